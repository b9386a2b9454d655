"""Operations: how service, delivery and marketing are running, as tables rules and metrics read.

Entry point `run(wh, project, as_of) -> OperationsSummary`: lays out the working calendars,
runs every ticket's SLA clocks (ticket_sla), weighs delivery and service demand against
available hours (team_week, person_week) and follows each lead through the funnel under the
project's one definition of qualified (lead_funnel).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tieout.config import LoadedProject
from tieout.engine import Warehouse
from tieout.operations.calendars import intervals
from tieout.operations.capacity import build_capacity
from tieout.operations.funnel import build_funnel
from tieout.operations.sla import build_ticket_sla, unclocked_tickets

__all__ = ["OperationsSummary", "end_of_day", "run"]


@dataclass(frozen=True)
class OperationsSummary:
    tickets: int
    over_committed_weeks: int
    leads: int
    unclocked_tickets: int = 0  # closed with no end time: left out of SLA figures

    @property
    def warnings(self) -> list[str]:
        if not self.unclocked_tickets:
            return []
        return [
            f"{self.unclocked_tickets:,} resolved or closed ticket(s) have no resolved, closed "
            "or last-updated time and no exported duration: left out of SLA figures, not "
            "counted as breached (export resolved_at or sys_updated_on to clock them)"
        ]


def end_of_day(as_of: dt.date) -> dt.datetime:
    """Where the clocks stand in a run: the end of the as-of day, UTC."""
    return dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(0))


def run(wh: Warehouse, project: LoadedProject, as_of: dt.date) -> OperationsSummary:
    cfg = project.config
    build_calendars(wh, project, as_of)
    tickets = build_ticket_sla(wh, cfg.service, end_of_day(as_of))
    over = build_capacity(wh, cfg.capacity, cfg.calendars[cfg.capacity.calendar], as_of)
    leads = build_funnel(wh, cfg.funnel, cfg.reporting_currency, as_of)
    return OperationsSummary(tickets, over, leads, unclocked_tickets(wh))


def build_calendars(wh: Warehouse, project: LoadedProject, as_of: dt.date) -> None:
    """Every calendar from the first ticket or time entry to a year past the as-of date."""
    first = (
        wh.scalar(
            "SELECT least(min(CAST(opened_at AS DATE)), (SELECT min(entry_date) FROM time_entry)) "
            "FROM ticket"
        )
        or as_of
    )
    first = min(first, as_of - dt.timedelta(days=400)) - dt.timedelta(days=7)
    last = as_of + dt.timedelta(days=400)
    wh.execute("DELETE FROM business_interval")
    for name, cal in project.config.calendars.items():
        wh.register_arrow("_calendar_in", intervals(name, cal, first, last))
        wh.execute("INSERT INTO business_interval BY NAME SELECT * FROM _calendar_in")
        wh.unregister("_calendar_in")
