"""Reporting periods: a calendar month or year, and the periods a figure is compared with."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

from tieout.errors import UsageError

Compare = Literal["previous", "last-year", "ytd"]


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date
    label: str

    @classmethod
    def parse(cls, text: str) -> Period:
        """2026-09 (a month) or 2026 (a year)."""
        if re.fullmatch(r"\d{4}", text.strip()):
            year = int(text)
            return cls(dt.date(year, 1, 1), dt.date(year, 12, 31), text.strip())
        return cls._month(text, "--period must be a month like 2026-09 or a year like 2026")

    @classmethod
    def month(cls, text: str) -> Period:
        """2026-09 only."""
        return cls._month(text, "--period must be a month like 2026-09")

    @classmethod
    def _month(cls, text: str, problem: str) -> Period:
        if m := re.fullmatch(r"(\d{4})-(\d{2})", text.strip()):
            year, month = int(m.group(1)), int(m.group(2))
            if 1 <= month <= 12:
                last = calendar.monthrange(year, month)[1]
                return cls(dt.date(year, month, 1), dt.date(year, month, last), text.strip())
        raise UsageError(f"{problem}, got {text!r}")

    def shifted(self, compare: Compare) -> Period:
        if compare == "last-year":
            return Period(_years_back(self.start), _years_back(self.end), f"{self.label} last year")
        if compare == "previous":
            if self.start.month == 1 and self.end.month == 12:  # a year
                return Period.parse(str(self.start.year - 1))
            before = self.start - dt.timedelta(days=1)
            return Period.parse(before.strftime("%Y-%m"))
        return Period(_years_back(self.to_date.start), _years_back(self.end), "YTD last year")

    @property
    def to_date(self) -> Period:
        return Period(dt.date(self.end.year, 1, 1), self.end, f"YTD {self.end.year}")


def _years_back(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)
