"""SLA clocks: response and resolution time in business minutes of the service calendar,
with the clock paused while a ticket waits on the customer (see sql/sla.sql)."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from tieout.config.operating import ServiceConfig
from tieout.engine import Warehouse
from tieout.match.sqlfiles import load_macros
from tieout.operations.sqlfiles import run_sql, temp_table


def build_ticket_sla(wh: Warehouse, service: ServiceConfig, now: dt.datetime) -> int:
    """Fill ticket_sla; `now` (naive UTC) is where the clocks of open tickets stand."""
    policies = service.policies
    temp_table(
        wh,
        "_sla_policy",
        pa.table(
            {
                "ord": pa.array(range(len(policies)), pa.int32()),
                "priority": pa.array([p.priority for p in policies], pa.int32()),
                "tier": pa.array(
                    [p.tier.lower() if p.tier else None for p in policies], pa.string()
                ),
                "response_s": pa.array(
                    [int(p.response_hours * 3600) for p in policies], pa.int64()
                ),
                "resolution_s": pa.array(
                    [int(p.resolution_hours * 3600) for p in policies], pa.int64()
                ),
            }
        ),
    )
    temp_table(
        wh, "_sla_pause", pa.table({"status": pa.array(service.pause_statuses, pa.string())})
    )
    load_macros(wh)  # _match_domain: a ticket with no organisation is its requester's domain's
    run_sql(wh, "sla.sql", sla_now=now, sla_calendar=service.calendar)
    wh.drop_table("_sla_policy")
    wh.drop_table("_sla_pause")
    return wh.count("ticket_sla")


def unclocked_tickets(wh: Warehouse) -> int:
    """Resolved or closed tickets with no end time: sla.sql leaves them off the clock
    (never breached) instead of running them to the as-of date; the run warns of them."""
    return int(wh.scalar("SELECT count(*) FROM ticket_sla WHERE clock_source = 'no end time'"))
