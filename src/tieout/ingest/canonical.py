"""From typed fields to canonical rows: ids, lineage, duplicates, derived tables, references.

Row-level problems (bad values, missing ids, values outside an enumeration, duplicate
native ids, references to records the same system did not export) send the source row to
quarantine; only clean rows reach the canonical tables.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import reduce

from sqlglot import exp

from tieout.config.presets import SEQ, ResolvedSource, ResolvedTable
from tieout.engine import Warehouse, ddl_type
from tieout.ingest import formats, numbers, quarantine
from tieout.ingest.canonical_insert import insert_rows
from tieout.ingest.fieldsql import (
    Typing,
    concat_ws,
    date_columns,
    number_columns,
    typed_select,
)
from tieout.ingest.land import LandedFile
from tieout.ingest.refusals import problems, rejection, warned, with_warning
from tieout.ingest.salesforce_ids import system_id
from tieout.model import table

TYPED = "_ingest_typed"
ROWS = "_ingest_rows"
ACCEPTED = "_ingest_accepted"


@dataclass(frozen=True)
class PrimaryLoad:
    """Which rows of a canonical table came straight from one source's files."""

    source: str
    table: str
    system: str
    object: str
    files: tuple[LandedFile, ...]
    readings: dict[str, dict[str, formats.Reading]]  # file -> field -> how its dates read
    # the load is the same under any upper date bound after this day (None: under its own
    # bounds only): no date read, by any layout tried, reached it, and none was implausible
    bound_free_after: dt.date | None = None


def load_source(
    wh: Warehouse,
    src: ResolvedSource,
    files: list[LandedFile],
    bounds: formats.Bounds,
    *,
    bound_free: bool = False,
) -> PrimaryLoad:
    """Type, check and map a source's files into their tables; `bound_free` also finds
    after which day the upper date bound stops mattering to it (for the typed cache)."""
    primary = src.primary
    readings: dict[str, dict[str, formats.Reading]] = {}
    selects = []
    seen: list[dt.datetime] = []
    for f in files:
        parquet = wh.parquet_source(f.data)
        readings[f.path] = formats.decide(
            wh, parquet, date_columns(src, f), bounds, src.date_orders, seen
        )
        commas = numbers.decimal_comma_columns(wh, parquet, number_columns(src, f))
        typing = Typing(readings[f.path], bounds, commas)
        selects.append(typed_select(src, f, parquet, typing))
    union = reduce(lambda a, b: exp.union(a, b, distinct=False), selects)  # type: ignore[arg-type, return-value]
    wh.create_temp_table(TYPED, union)
    free_after = _bound_free_after(wh, src, seen, bounds) if bound_free else None
    for f in files:
        quarantine.add_parse_rejects(wh, source=src.name, table=primary.name, landed=f)
    _load_primary(wh, src, primary, files)
    for derived in src.tables.values():
        if derived.group_by:
            _load_derived(wh, src, derived)
    wh.drop_table(TYPED)
    return PrimaryLoad(
        src.name, primary.name, src.system, primary.object, tuple(files), readings, free_after
    )


def _bound_free_after(
    wh: Warehouse, src: ResolvedSource, seen: list[dt.datetime], bounds: formats.Bounds
) -> dt.date | None:
    """The latest day any date of the source was read as (every layout scored, and the
    typed values), when none was implausible: the upper bound then decided nothing."""
    dated = [n for n, spec in src.fields.items() if spec.type in ("date", "timestamp")]
    flagged = exp.func(
        "count_if",
        exp.func(
            "contains",
            concat_ws(" ", exp.column("_error"), exp.column("_warning")),
            exp.Literal.string(formats.IMPLAUSIBLE),
        ),
    )
    row = wh.query(
        exp.select(flagged, *(exp.Max(this=exp.column(n, quoted=True)) for n in dated)).from_(TYPED)
    )[0]
    if row[0]:
        return None
    days = [v.date() if isinstance(v, dt.datetime) else v for v in [*seen, *row[1:]] if v]
    latest = max(days, default=dt.date.min)
    return latest if latest < bounds.latest else None


def _file_order() -> exp.Order:
    """Rows in the order people read them: file by file, row by row."""
    return exp.Order(
        expressions=[exp.Ordered(this=exp.column("_file")), exp.Ordered(this=exp.column("_row"))]
    )


def _already_loaded(spec: ResolvedTable, system: str) -> exp.Exists:
    """True for a mapped row (alias m) whose id an earlier source already loaded."""
    query = (
        exp.select("1")
        .from_(exp.to_table(spec.name, alias="e"))
        .where(
            exp.and_(
                exp.column("native_id", "e").eq(exp.column("native_id", "m")),
                exp.column("source_system", "e").eq(exp.Literal.string(system)),
                exp.column("source_object", "e").eq(exp.Literal.string(spec.object)),
            )
        )
    )
    return exp.Exists(this=query)


def is_file(f: LandedFile) -> exp.Expr:
    return exp.EQ(this=exp.column("_file"), expression=exp.Literal.string(f.path))


def _with_seq(base: exp.Select, spec: ResolvedTable) -> exp.Select:
    if not spec.number_rows_by:
        return base
    window = exp.Window(
        this=exp.RowNumber(),
        partition_by=[exp.column(k, quoted=True) for k in spec.number_rows_by],
        order=_file_order(),
    )
    return exp.select("*", exp.alias_(window, SEQ)).from_(base.subquery("b"))


def _quoted(expr: exp.Expr) -> exp.Expr:
    """Field names may be SQL keywords (date, group): quote every column reference."""

    def quote(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Column):
            return exp.column(node.name, quoted=True)
        if isinstance(node, exp.ConcatWs):
            return exp.Anonymous(this="concat_ws", expressions=node.expressions)
        return node

    return expr.copy().transform(quote)


def _projection(spec: ResolvedTable, system: str) -> list[exp.Expr]:
    """Canonical columns from fields; ids and references in their system's one form, so a
    15-character Salesforce reference names the record exported with 18 characters."""
    tbl = table(spec.name)
    native_id = exp.cast(_quoted(spec.native_id), "VARCHAR")
    out: list[exp.Expr] = [
        exp.column("_file"),
        exp.column("_row"),
        exp.column("_load"),
        exp.alias_(system_id(system, native_id), "native_id"),
    ]
    for col in tbl.business_columns:
        expr = spec.columns.get(col.name)
        value: exp.Expr = (
            exp.cast(_quoted(expr), ddl_type(col.type))
            if expr is not None
            else exp.cast(exp.null(), ddl_type(col.type))
        )
        if col.references and expr is not None:
            value = system_id(system, value)
        out.append(exp.alias_(value, col.name, quoted=True, copy=False))
    return out


def _load_primary(
    wh: Warehouse, src: ResolvedSource, spec: ResolvedTable, files: list[LandedFile]
) -> None:
    # rows are numbered before bad ones are set aside, so fixing a quarantined line later
    # does not renumber (and re-identify) the lines after it
    numbered = _with_seq(exp.select("*").from_(TYPED), spec)
    problem = (
        exp.Case()
        .when(exp.column("_error").is_(exp.null()).not_(), exp.column("_error"))
        .else_(with_warning(problems(spec)))
    )
    mapped = exp.select(*_projection(spec, src.system), *_CARRIED, *_latest(spec)).from_(
        numbered.subquery("s")
    )
    order = _latest_first() if spec.latest_by else _file_order()
    partition = [exp.column("_clean"), exp.column("native_id")]
    rank = exp.Window(this=exp.RowNumber(), partition_by=partition, order=order)
    first_file, first_row = (
        exp.Window(this=exp.FirstValue(this=exp.column(col)), partition_by=partition, order=order)
        for col in ("_file", "_row")
    )
    staged = exp.select(
        "*",
        exp.alias_(rank, "_rank"),
        exp.alias_(first_file, "_first_file"),
        exp.alias_(first_row, "_first_row"),
        exp.alias_(_already_loaded(spec, src.system), "_exists"),
    ).from_(
        exp.select("*", exp.alias_(exp.column("_problem").is_(exp.null()), "_clean"))
        .from_(
            exp.select("*", exp.alias_(problem, "_problem"))
            .from_(mapped.subquery("m0"))
            .subquery("m1")
        )
        .subquery("m")
    )
    wh.create_temp_table(ROWS, staged)
    later = exp.column("_rank") > 1
    # only a good row is superseded: two bad rows with one id (or none) are each quarantined
    superseded = exp.and_(
        later,
        exp.column("_clean"),
        exp.not_(exp.column("_exists")),
        exp.true() if spec.latest_by else exp.false(),
    )
    rejected = exp.or_(
        exp.column("_clean").not_(), exp.column("_exists"), exp.and_(later, superseded.not_())
    )
    kept = exp.and_(exp.not_(rejected), exp.not_(superseded))
    for f in files:
        quarantine.add_rows(
            wh,
            source=src.name,
            table=spec.name,
            landed=f,
            system=src.system,
            rows=exp.select(
                "_row",
                exp.alias_(
                    exp.Case().when(
                        exp.column("_error").is_(exp.null()).not_(), exp.column("_error_column")
                    ),
                    "column_name",
                ),
                exp.alias_(rejection(), "reason"),
                "native_id",
            )
            .from_(ROWS)
            .where(exp.and_(is_file(f), rejected)),
        )
    _record(wh, "superseded_row", src, spec, superseded, _SUPERSEDED)
    _record(wh, "field_warning", src, spec, warned(kept), _WARNED)
    insert_rows(wh, spec, src.system, exp.select("*").from_(ROWS).where(kept))
    # derived tables (an invoice from its lines, status history from an update log) read
    # every good row, superseded ones included
    wh.create_temp_table(
        ACCEPTED, exp.select("_file", "_row").from_(ROWS).where(exp.not_(rejected))
    )
    wh.drop_table(ROWS)


# typing's verdict on each row, carried next to the canonical columns
_CARRIED = ("_error", "_error_column", "_warning", "_warning_column")
_SUPERSEDED = ("_file", "_row", "native_id", "_first_file", "_first_row")
_WARNED = ("_file", "_row", "_warning_column", "_warning")


def _latest(spec: ResolvedTable) -> list[exp.Expr]:
    if not spec.latest_by:
        return []
    return [exp.alias_(exp.column(spec.latest_by, quoted=True), "_latest")]


def _latest_first() -> exp.Order:
    """An update log: the latest update of a record first, ties to the later line."""
    return exp.Order(
        expressions=[
            exp.Ordered(this=exp.column("_latest"), desc=True, nulls_first=False),
            exp.Ordered(this=exp.column("_file"), desc=True),
            exp.Ordered(this=exp.column("_row"), desc=True),
        ]
    )


def _record(
    wh: Warehouse,
    table_name: str,
    src: ResolvedSource,
    spec: ResolvedTable,
    where: exp.Expr,
    columns: tuple[str, ...],
) -> None:
    """Append the staged rows picked by `where` to a per-row log (warnings, superseded)."""
    select = (
        exp.select(exp.Literal.string(src.name), exp.Literal.string(spec.name), *columns)
        .from_(ROWS)
        .where(where)
    )
    wh.execute(exp.insert(select, table_name))


def _load_derived(wh: Warehouse, src: ResolvedSource, spec: ResolvedTable) -> None:
    """One row per distinct key among the accepted rows (e.g. an invoice from its lines)."""
    base = (
        exp.select("t.*")
        .from_(exp.to_table(TYPED, alias="t"))
        .join(
            exp.to_table(ACCEPTED, alias="a"),
            on=exp.and_(
                exp.column("_file", "t").eq(exp.column("_file", "a")),
                exp.column("_row", "t").eq(exp.column("_row", "a")),
            ),
        )
    )
    order = _file_order()
    first = exp.Window(
        this=exp.RowNumber(),
        partition_by=[exp.column(k, quoted=True) for k in spec.group_by],
        order=order,
    )
    ranked = exp.select("*", exp.alias_(first, "_first")).from_(_with_seq(base, spec).subquery("s"))
    firsts = exp.select("*").from_(ranked.subquery("r")).where(exp.column("_first").eq(1))
    mapped = exp.select(*_projection(spec, src.system)).from_(firsts.subquery("f"))
    existing = _already_loaded(spec, src.system)
    keep = (
        exp.select("*")
        .from_(mapped.subquery("m"))
        .where(exp.and_(exp.column("native_id").is_(exp.null()).not_(), existing.not_()))
    )
    insert_rows(wh, spec, src.system, keep)
