"""The match stage's SQL lives in sql/*.sql (DuckDB dialect); this runs a file by name."""

from __future__ import annotations

from functools import cache
from importlib import resources

from tieout.engine import Warehouse

MACROS = ("normalise.sql", "references.sql")


@cache
def sql_text(name: str) -> str:
    return (resources.files("tieout.match") / "sql" / name).read_text(encoding="utf-8")


def run_sql(wh: Warehouse, name: str, **variables: str | float) -> None:
    """Run one file; keyword arguments are the values of its `:name` placeholders."""
    wh.run_script(sql_text(name), variables)


def load_macros(wh: Warehouse) -> None:
    for name in MACROS:
        run_sql(wh, name)
