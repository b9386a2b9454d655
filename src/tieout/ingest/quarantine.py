"""Quarantine: every row that was read but not accepted, with where it was and why."""

from __future__ import annotations

from sqlglot import exp

from tieout.engine import Warehouse
from tieout.ingest.fieldsql import concat_ws
from tieout.ingest.land import LandedFile

QUARANTINE_DDL = """
CREATE TABLE quarantine (
    source VARCHAR NOT NULL,
    target_table VARCHAR,
    source_file VARCHAR NOT NULL,
    load_id VARCHAR NOT NULL,
    source_row INTEGER NOT NULL,
    column_name VARCHAR,
    reason VARCHAR NOT NULL,
    raw_text VARCHAR
)
"""


def create_table(wh: Warehouse) -> None:
    wh.execute(QUARANTINE_DDL)


def raw_text(landed: LandedFile, ncols: int) -> exp.Expr:
    """The record as it looked in the file (fields re-joined with the file's delimiter)."""
    delim = landed.delimiter or "\t"
    if not ncols:
        return exp.Literal.string("")
    return concat_ws(delim, *(_csv_field(exp.column(f"c{i}"), delim) for i in range(ncols)))


def _csv_field(value: exp.Expr, delim: str) -> exp.Expr:
    """Quote a field as a CSV writer would, so the raw text reads back the same."""
    needs_quotes = exp.or_(
        *(
            exp.Like(this=value, expression=exp.Literal.string(f"%{ch}%"))
            for ch in (delim, '"', "\n", "\r")
        )
    )
    quoted = exp.func(
        "concat",
        exp.Literal.string('"'),
        exp.func("replace", value, exp.Literal.string('"'), exp.Literal.string('""')),
        exp.Literal.string('"'),
    )
    return (
        exp.Case()
        .when(needs_quotes, quoted)
        .else_(exp.func("coalesce", value, exp.Literal.string("")))
    )


def add_rows(
    wh: Warehouse,
    *,
    source: str,
    table: str | None,
    landed: LandedFile,
    rows: exp.Select,
) -> int:
    """Quarantine the landed records picked by `rows` (columns: _row, column_name, reason)."""
    before = wh.count("quarantine")
    picked = rows.subquery("q")
    select = (
        exp.select(
            exp.Literal.string(source),
            exp.Literal.string(table) if table else exp.null(),
            exp.Literal.string(landed.path),
            exp.Literal.string(landed.load_id),
            exp.column("_row", "q"),
            exp.column("column_name", "q"),
            exp.column("reason", "q"),
            raw_text(landed, len(landed.headers)),
        )
        .from_(picked)
        .join(
            wh.parquet_source(landed.data, alias="l"),
            on=exp.EQ(this=exp.column("_row", "l"), expression=exp.column("_row", "q")),
        )
    )
    wh.execute(exp.insert(select, "quarantine"))
    return wh.count("quarantine") - before


def add_parse_rejects(wh: Warehouse, *, source: str, table: str, landed: LandedFile) -> None:
    """Records that could not be split into the header's columns (ragged rows)."""
    if not landed.rejects:
        return
    select = exp.select(
        exp.Literal.string(source),
        exp.Literal.string(table),
        exp.Literal.string(landed.path),
        exp.Literal.string(landed.load_id),
        "_row",
        exp.null(),
        "reason",
        "raw",
    ).from_(wh.parquet_source(landed.rejects))
    wh.execute(exp.insert(select, "quarantine"))


COLUMNS = ("source", "source_file", "source_row", "column_name", "reason", "raw_text")


def list_rows(
    wh: Warehouse,
    *,
    source: str | None = None,
    file: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[dict[str, object]]:
    """Quarantined rows in file order, optionally for one source or file; `limit` and
    `offset` page through them."""
    query = exp.select(*COLUMNS, "target_table", "load_id").from_("quarantine")
    if source:
        query = query.where(exp.column("source").eq(exp.Literal.string(source)))
    if file:
        query = query.where(exp.column("source_file").eq(exp.Literal.string(file)))
    query = query.order_by("source", "source_file", "source_row")
    if limit:
        query = query.limit(limit)
    if offset:
        query = query.offset(offset)
    return wh.query_dicts(query)


def load_log(wh: Warehouse) -> list[dict[str, object]]:
    """Per file: rows read, accepted and quarantined in the snapshot."""
    return wh.query_dicts(exp.select("*").from_("load_file").order_by("source", "source_file"))
