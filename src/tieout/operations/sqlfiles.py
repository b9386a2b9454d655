"""The operating stage's SQL lives in sql/*.sql (DuckDB dialect); this runs a file by name."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import pyarrow as pa

from tieout.engine import Warehouse


@cache
def sql_text(name: str) -> str:
    return (resources.files("tieout.operations") / "sql" / name).read_text(encoding="utf-8")


def run_sql(wh: Warehouse, name: str, **variables: Any) -> None:
    """Run one file; keyword arguments are the values of its `:name` placeholders."""
    wh.run_script(sql_text(name), variables)


def temp_table(wh: Warehouse, name: str, data: pa.Table) -> None:
    """A small input (config, calendar) as a temp table the SQL files can join."""
    wh.register_arrow(f"{name}_in", data)
    wh.create_temp_table(name, f"SELECT * FROM {name}_in")
    wh.unregister(f"{name}_in")
