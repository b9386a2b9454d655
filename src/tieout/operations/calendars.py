"""Working calendars as UTC intervals with a running total of working minutes.

Business time between two instants is then a difference of two running totals, each found
with one ASOF join, so an SLA clock over a million tickets is a join, not a loop. Local
working hours are turned into UTC here with zoneinfo, so daylight saving is exact.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pyarrow as pa

from tieout.config.operating import WEEKDAYS, CalendarConfig

UTC = dt.UTC


def working_days(cal: CalendarConfig, first: dt.date, last: dt.date) -> list[dt.date]:
    holidays = set(cal.holidays)
    days = {WEEKDAYS.index(d) for d in cal.days}
    out = []
    day = first
    while day <= last:
        if day.weekday() in days and day not in holidays:
            out.append(day)
        day += dt.timedelta(days=1)
    return out


def intervals(name: str, cal: CalendarConfig, first: dt.date, last: dt.date) -> pa.Table:
    """One row per working day from first to last: [start_at, end_at) in naive UTC."""
    zone = ZoneInfo(cal.timezone)
    start = dt.time.fromisoformat(cal.start)
    end = dt.time(0) if cal.end == "24:00" else dt.time.fromisoformat(cal.end)
    days, starts, ends, minutes, before = [], [], [], [], []
    total = 0
    for day in working_days(cal, first, last):
        local_end = dt.datetime.combine(
            day + dt.timedelta(days=1) if cal.end == "24:00" else day, end, zone
        )
        s = dt.datetime.combine(day, start, zone).astimezone(UTC).replace(tzinfo=None)
        e = local_end.astimezone(UTC).replace(tzinfo=None)
        length = int((e - s).total_seconds() // 60)
        days.append(day)
        starts.append(s)
        ends.append(e)
        minutes.append(length)
        before.append(total)
        total += length
    return pa.table(
        {
            "calendar": pa.array([name] * len(starts), pa.string()),
            "day": pa.array(days, pa.date32()),
            "start_at": pa.array(starts, pa.timestamp("us")),
            "end_at": pa.array(ends, pa.timestamp("us")),
            "minutes": pa.array(minutes, pa.int32()),
            "minutes_before": pa.array(before, pa.int64()),
        }
    )
