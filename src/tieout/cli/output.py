"""Listing output: a Rich table for people, JSON or CSV for scripts (`--format`); every
CSV goes through the formula-safe writer the web's downloads use."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import sys
from collections.abc import Collection, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from tieout.reports.cells import write_csv
from tieout.reports.spreadsheet import Sheet, xlsx_bytes

console = Console()
err_console = Console(stderr=True)


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


class ReportFormat(StrEnum):
    """Reports people take into a spreadsheet also come as xlsx."""

    table = "table"
    json = "json"
    csv = "csv"
    xlsx = "xlsx"


def _plain(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def _csv_value(value: Any) -> Any:
    """Dates as ISO text, as in JSON; amounts stay numbers for the formula-safe writer."""
    return value.isoformat() if isinstance(value, dt.date | dt.datetime) else value


def write_json(payload: Any) -> None:
    """A report as JSON: amounts as exact strings, dates ISO."""
    json.dump(payload, sys.stdout, indent=2, default=_json_value)
    sys.stdout.write("\n")


def _json_value(value: Any) -> Any:
    if isinstance(value, decimal.Decimal | dt.date | dt.datetime):
        return _plain(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def amount(value: Any, places: int = 2) -> str:
    """An amount for people: thousands separated, `places` decimals."""
    return f"{decimal.Decimal(str(value)):,.{places}f}"


def emit(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str],
    fmt: Format,
    *,
    title: str | None = None,
    numeric: Sequence[str] = (),
    wrap: Sequence[str] = (),
) -> None:
    """Print rows; in a table only the `wrap` columns fold, the rest stay on one line."""
    if fmt is Format.json:
        json.dump([{c: _plain(r.get(c)) for c in columns} for r in rows], sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    if fmt is Format.csv:
        write_csv(sys.stdout, [{c: _csv_value(r.get(c)) for c in columns} for r in rows], columns)
        return
    table = Table(title=title, title_justify="left", header_style="bold")
    for c in columns:
        table.add_column(
            c,
            justify="right" if c in numeric else "left",
            overflow="fold" if c in wrap else "ellipsis",
            no_wrap=c not in wrap,
        )
    for r in rows:
        table.add_row(*("" if r.get(c) is None else str(_plain(r.get(c))) for c in columns))
    console.print(table)


def write_xlsx(dest: Path, sheets: Sequence[Sheet], amounts: Collection[str] = ()) -> None:
    """One worksheet per (title, columns, rows); `amounts` columns as exact numbers."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(xlsx_bytes(sheets, amounts))
