"""Pipeline movement between two snapshots: what is new, won, lost, pulled in, pushed out or
changed in amount. Both sides are valued at one rate, this snapshot's on its as-of date, so a
movement is never currency noise, and the changes add up exactly to the difference in open
pipeline."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from tieout.engine import Warehouse

CATEGORIES = ("new", "won", "lost", "pulled_in", "pushed_out", "amount_changed", "removed")


@dataclass(frozen=True)
class Movement:
    rows: list[dict[str, Any]]
    open_before: Decimal
    open_now: Decimal

    def summary(self) -> list[dict[str, Any]]:
        """Per category: how many, and by how much each moved the open pipeline."""
        out = []
        for category in CATEGORIES:
            rows = [r for r in self.rows if r["category"] == category]
            change = sum((r["change"] for r in rows), Decimal(0))
            out.append({"category": category, "opportunities": len(rows), "change": change})
        return out


def pipeline_movement(wh: Warehouse, earlier: Path, currency: str) -> Movement:
    """Opportunities that moved between the snapshot at `earlier` and this one."""
    at = wh.scalar("SELECT as_of FROM run_info")
    wh.attach(earlier, "earlier")
    try:
        rows = wh.query_dicts(_sql(), {"movement_currency": currency, "movement_at": at})
        open_before = _open(wh, "earlier.opportunity", currency, at)
        open_now = _open(wh, "opportunity", currency, at)
    finally:
        wh.detach("earlier")
    for r in rows:
        r["change"] = r["open_now"] - r["open_before"]
    return Movement(rows, open_before, open_now)


@cache
def _sql() -> str:
    folder = resources.files("tieout.metrics") / "sql"
    return (folder / "pipeline_movement.sql").read_text(encoding="utf-8")


def _open(wh: Warehouse, table: str, currency: str, at: dt.date) -> Decimal:
    """Open pipeline in `table` at the rate of `at`, rounded per opportunity like the rows."""
    value = wh.scalar(
        f"""
        SELECT sum(CAST(round(o.amount * r.rate, 2) AS DECIMAL(18, 2)))
        FROM {table} o
        LEFT JOIN currency_rate r ON r.from_currency = o.currency AND r.to_currency = :currency
             AND CAST(:at AS DATE) BETWEEN r.valid_from AND r.valid_until
        WHERE NOT o.is_closed
        """,
        {"currency": currency, "at": at},
    )
    return Decimal(value or 0)
