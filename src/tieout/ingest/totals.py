"""Totals an export lacks (formula fields that Data Export leaves out), from their lines."""

from __future__ import annotations

from functools import cache
from importlib import resources

from tieout.engine import Warehouse


@cache
def _script() -> str:
    return (resources.files("tieout.ingest") / "sql" / "derive_totals.sql").read_text("utf-8")


def derive_totals(wh: Warehouse) -> list[str]:
    """Fill missing line and header totals; say how many of each were computed."""
    wh.run_script(_script())
    counts = wh.query(
        "SELECT target_table, column_name, count(*) FROM derived_value "
        "GROUP BY ALL ORDER BY target_table, column_name"
    )
    return [
        f"{table}.{column}: {n:,} value(s) computed from the lines (the export has none; "
        "flagged in derived_value)"
        for table, column, n in counts
    ]
