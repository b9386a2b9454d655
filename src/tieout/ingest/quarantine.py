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
    raw_text VARCHAR,
    source_system VARCHAR,
    native_id VARCHAR
)
"""

# Rows kept, with an optional field set null because its text could not be read.
FIELD_WARNING_DDL = """
CREATE TABLE field_warning (
    source VARCHAR NOT NULL,
    target_table VARCHAR,
    source_file VARCHAR NOT NULL,
    source_row INTEGER NOT NULL,
    column_name VARCHAR,
    reason VARCHAR NOT NULL
)
"""

# Rows of an update log that a later update of the same record replaced.
SUPERSEDED_DDL = """
CREATE TABLE superseded_row (
    source VARCHAR NOT NULL,
    target_table VARCHAR,
    source_file VARCHAR NOT NULL,
    source_row INTEGER NOT NULL,
    native_id VARCHAR,
    kept_file VARCHAR,
    kept_row INTEGER
)
"""


def create_table(wh: Warehouse) -> None:
    for ddl in (QUARANTINE_DDL, FIELD_WARNING_DDL, SUPERSEDED_DDL):
        wh.execute(ddl)


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
    system: str | None = None,
) -> int:
    """Quarantine the landed records picked by `rows` (columns: _row, column_name, reason,
    and native_id when the row's id could be read)."""
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
            exp.Literal.string(system) if system else exp.null(),
            exp.column("native_id", "q") if _has_native_id(rows) else exp.null(),
        )
        .from_(picked)
        .join(
            wh.parquet_source(landed.data, alias="l"),
            on=exp.EQ(this=exp.column("_row", "l"), expression=exp.column("_row", "q")),
        )
    )
    wh.execute(exp.insert(select, "quarantine"))
    return wh.count("quarantine") - before


def _has_native_id(rows: exp.Select) -> bool:
    return "native_id" in rows.named_selects


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
        exp.null(),
        exp.null(),
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


WARNING_COLUMNS = ("source", "source_file", "source_row", "column_name", "reason")


def list_warnings(wh: Warehouse, *, limit: int | None = None) -> list[dict[str, object]]:
    """Accepted rows with an unreadable optional value that was set empty, in file order."""
    query = (
        exp.select(*WARNING_COLUMNS)
        .from_("field_warning")
        .order_by("source", "source_file", "source_row")
    )
    if limit:
        query = query.limit(limit)
    return wh.query_dicts(query)


def load_log(wh: Warehouse) -> list[dict[str, object]]:
    """Per file: rows read, accepted and quarantined in the snapshot."""
    return wh.query_dicts(exp.select("*").from_("load_file").order_by("source", "source_file"))


def top_reasons(wh: Warehouse, file: str, limit: int = 3) -> list[tuple[str, int, int]]:
    """A file's commonest reasons (the quoted values left out), with a count and first row."""
    pattern = exp.RegexpReplace(
        this=exp.column("reason"),
        expression=exp.Literal.string("'[^']*'"),
        replacement=exp.Literal.string("'...'"),
        modifiers=exp.Literal.string("g"),
    )
    query = (
        exp.select(
            exp.alias_(pattern, "pattern"),
            exp.alias_(exp.Count(this=exp.Star()), "n"),
            exp.alias_(exp.Min(this=exp.column("source_row")), "first_row"),
        )
        .from_("quarantine")
        .where(exp.column("source_file").eq(exp.Literal.string(file)))
        .group_by("pattern")
        .order_by(exp.Ordered(this=exp.column("n"), desc=True), "pattern")
        .limit(limit)
    )
    return [(str(r[0]), int(r[1]), int(r[2])) for r in wh.query(query)]
