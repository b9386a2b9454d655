"""The demo's working calendar `uk` and business time on it, vectorised.

SLA clocks, ticket timelines and capacity all count time inside working hours: Monday to
Friday 09:00-17:30 Europe/London, English bank holidays off. Each day's window is turned into
UTC once (zoneinfo, so daylight saving is exact); business seconds up to an instant are then
a running total plus a clipped difference, for any number of instants at once.
"""

from __future__ import annotations

from datetime import date, datetime, time
from functools import lru_cache
from typing import Final
from zoneinfo import ZoneInfo

import numpy as np

from tieout.demo.fmt import BoolArray, IntArray, day_number, i64, to_date

TIMEZONE: Final = "Europe/London"
START: Final = time(9, 0)
END: Final = time(17, 30)
DAY_SECONDS: Final = 8 * 3600 + 1800
HOLIDAYS: Final = tuple(
    date.fromisoformat(d)
    for d in (
        "2024-01-01", "2024-03-29", "2024-04-01", "2024-05-06", "2024-05-27", "2024-08-26",
        "2024-12-25", "2024-12-26",
        "2025-01-01", "2025-04-18", "2025-04-21", "2025-05-05", "2025-05-26", "2025-08-25",
        "2025-12-25", "2025-12-26",
        "2026-01-01", "2026-04-03", "2026-04-06", "2026-05-04", "2026-05-25", "2026-08-31",
        "2026-12-25", "2026-12-28",
    )
)  # fmt: skip
_FIRST: Final = day_number(date(2023, 1, 2))  # a Monday
_LAST: Final = day_number(date(2029, 12, 30))  # a Sunday


class Clock:
    """Working windows of every day from 2023 to 2029 as UTC epoch seconds."""

    def __init__(self) -> None:
        zone = ZoneInfo(TIMEZONE)
        days = np.arange(_FIRST, _LAST + 1, dtype=np.int64)
        holidays = {day_number(h) for h in HOLIDAYS}
        working = ((days + 3) % 7 < 5) & ~np.isin(days, list(holidays))
        start = np.zeros(len(days), dtype=np.int64)
        for k, d in enumerate(days.tolist()):
            local = datetime.combine(to_date(d), START, zone)
            start[k] = int(local.timestamp())
        length = np.where(working, DAY_SECONDS, 0).astype(np.int64)
        self.working: BoolArray = working
        self.start: IntArray = start
        self.length: IntArray = length
        self.before: IntArray = i64(np.cumsum(length) - length)  # business seconds before day

    def _index(self, day: IntArray) -> IntArray:
        return i64(np.clip(i64(day) - _FIRST, 0, len(self.start) - 1))

    def cum(self, t: IntArray) -> IntArray:
        """Business seconds from the calendar's start to each instant t (epoch seconds)."""
        t = i64(t)
        k = self._index(t // 86400)
        inside = np.clip(t - self.start[k], 0, self.length[k])
        return i64(self.before[k] + inside)

    def between(self, a: IntArray, b: IntArray) -> IntArray:
        """Business seconds in [a, b) (0 when b <= a)."""
        return i64(np.maximum(self.cum(b) - self.cum(a), 0))

    def at(self, business: IntArray) -> IntArray:
        """The first instant whose running total reaches `business` (inverse of `cum`):
        always inside a working window, so events land in working hours."""
        x = i64(business)
        ends = self.before + self.length
        k = np.searchsorted(ends, x, side="left")
        k = np.minimum(k, len(ends) - 1)
        return i64(self.start[k] + (x - self.before[k]))

    def add(self, t: IntArray, seconds: IntArray) -> IntArray:
        """The instant `seconds` of working time after t."""
        return self.at(self.cum(t) + i64(seconds))

    def is_working(self, day: IntArray) -> BoolArray:
        out: BoolArray = self.working[self._index(day)]
        return out

    def working_days(self, first: IntArray, last: IntArray) -> IntArray:
        """Working days in [first, last] (day numbers, inclusive)."""
        counts = self._counts()
        hi = counts[self._index(last)]
        lo = counts[self._index(i64(first) - 1)]
        return i64(np.where(i64(last) >= i64(first), hi - lo, 0))

    def nth_working(self, day: IntArray, n: IntArray) -> IntArray:
        """The n-th working day counting from `day` (n = 1: the first working day on or
        after it)."""
        counts = self._counts()
        k = self._index(day)
        target = counts[k] - self.working[k] + i64(n)
        return i64(np.searchsorted(counts, target, side="left") + _FIRST)

    def _counts(self) -> IntArray:
        return i64(np.cumsum(self.working.astype(np.int64)))


@lru_cache(maxsize=1)
def clock() -> Clock:
    return Clock()


def holiday_texts() -> list[str]:
    return [h.isoformat() for h in HOLIDAYS]
