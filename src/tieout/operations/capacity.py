"""Capacity: who is free when. Available hours come from the working calendar less holidays
and time off (part-time people from `capacity.people`); demand is open and committed work
plus recent ticket load; a week whose demand exceeds what the team has is over-committed."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from tieout.config.operating import CalendarConfig, CapacityConfig
from tieout.engine import Warehouse
from tieout.operations.sqlfiles import sql_text, temp_table


def build_capacity(
    wh: Warehouse, capacity: CapacityConfig, calendar: CalendarConfig, as_of: dt.date
) -> int:
    """Fill person_week, work_order_demand and team_week; returns over-committed team-weeks."""
    temp_table(
        wh,
        "_cap_hours",
        pa.table(
            {
                "name": pa.array(list(capacity.people), pa.string()),
                "weekly_hours": pa.array(list(capacity.people.values()), pa.decimal128(12, 2)),
            }
        ),
    )
    wh.run_script(
        sql_text("capacity.sql"),
        {
            "cap_team_field": capacity.team_field,
            "cap_calendar": capacity.calendar,
            "cap_as_of": as_of,
            "cap_weeks": capacity.weeks,
            "cap_days_per_week": len(calendar.days),
            "cap_weekly_hours": capacity.weekly_hours,
            "cap_service_team": capacity.service_team,
            "cap_hours_per_ticket": capacity.hours_per_ticket,
        },
    )
    wh.drop_table("_cap_hours")
    return int(wh.scalar("SELECT count(*) FROM team_week WHERE over_committed"))
