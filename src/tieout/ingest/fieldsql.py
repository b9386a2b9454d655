"""SQL that types and validates the landed text of one file, field by field.

Built with sqlglot expression nodes (never by pasting values into strings), so the same
query renders for DuckDB or Spark. Each field yields its typed value plus, when the text
is present but not valid, a reason; a row with any reason goes to quarantine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlglot import exp

from tieout.config import FieldSpec
from tieout.config.presets import ResolvedSource
from tieout.errors import SourceFileError
from tieout.ingest import date_layouts, formats, numbers
from tieout.ingest.currencies import ISO_4217
from tieout.ingest.land import LandedFile
from tieout.ingest.salesforce_ids import SF_EMPTY, matches, salesforce_id

ISO_LAYOUTS = ("%Y-%m-%d", "%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d %H:%M:%S")
_NUMBER = r"^[-+]?[£$€]?\(?[-+]?[£$€]?([0-9]{1,3}(,[0-9]{3})+|[0-9]+)?(\.[0-9]+)?\)?$"
_PERCENT = r"^[-+]?([0-9]+)?(\.[0-9]+)?\s*%?$"
_TRUE = ("true", "t", "yes", "y", "1", "x")
_FALSE = ("false", "f", "no", "n", "0")
_SQL_TYPES = {
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "integer": "INTEGER",
    "boolean": "BOOLEAN",
}
_DECIMALS = {
    "money": "DECIMAL(18,2)",
    "price": "DECIMAL(18,4)",
    "quantity": "DECIMAL(18,4)",
    "hours": "DECIMAL(12,2)",
    "percent": "DECIMAL(9,4)",
    "rate": "DECIMAL(18,8)",
}
_SQL_TYPES.update(_DECIMALS)
# optional or not, a row whose amount or kind cannot be read is not kept without it
_STRICT = frozenset({*_DECIMALS, "enum"})
# amounts in a currency: meaningless without it
_DENOMINATED = frozenset({"money", "price"})


def concat_ws(separator: str, *parts: exp.Expr) -> exp.Expr:
    """CONCAT_WS that skips NULLs (DuckDB, Spark and PostgreSQL agree on this)."""
    return exp.Anonymous(this="concat_ws", expressions=[exp.Literal.string(separator), *parts])


def normalise_header(name: str) -> str:
    """Header identity as people see it: case, spacing, BOM and Xero's leading '*' ignored."""
    return re.sub(r"\s+", " ", name.replace("\ufeff", "").strip().lstrip("*").strip()).lower()


@dataclass(frozen=True)
class BoundField:
    name: str
    spec: FieldSpec
    header: str | None  # the header it was read from, None when the file lacks it
    index: int | None


def bind_fields(src: ResolvedSource, landed: LandedFile) -> list[BoundField]:
    """Match fields to this file's headers; a missing required header stops the file."""
    positions = {normalise_header(h): i for i, h in reversed(list(enumerate(landed.headers)))}
    bound: list[BoundField] = []
    missing: list[str] = []
    for name, spec in src.fields.items():
        hit = next((c for c in spec.columns if normalise_header(c) in positions), None)
        if hit is None and spec.required and spec.default is None:
            missing.append(spec.columns[0] if spec.columns else name)
        index = positions[normalise_header(hit)] if hit else None
        bound.append(
            BoundField(name, spec, landed.headers[index] if index is not None else hit, index)
        )
    if missing:
        what = f"preset {src.preset_id}" if src.preset_id else f"source {src.name}"
        raise SourceFileError(
            f"{landed.path}: missing required column(s) {', '.join(missing)} for {what}"
        )
    return bound


def preferred_layouts(src: ResolvedSource, spec: FieldSpec) -> tuple[str, ...]:
    """The layouts a date field lists (field, then source or preset), tried first."""
    listed = src.date_formats if spec.type == "date" else src.timestamp_formats
    more = src.date_formats if spec.type == "timestamp" else ()
    return tuple(dict.fromkeys([*spec.formats, *listed, *more, *ISO_LAYOUTS]))


def number_columns(src: ResolvedSource, landed: LandedFile) -> list[tuple[str, int]]:
    """The amount fields this file has, for `numbers.decimal_comma_columns`."""
    return [
        (f.name, f.index)
        for f in bind_fields(src, landed)
        if f.spec.type in _DECIMALS and f.index is not None
    ]


def date_columns(src: ResolvedSource, landed: LandedFile) -> list[formats.Column]:
    """The date and date-time fields this file has, for `formats.decide`."""
    return [
        formats.Column(f.name, f.header or f.name, f.index, preferred_layouts(src, f.spec))
        for f in bind_fields(src, landed)
        if f.spec.type in ("date", "timestamp") and f.index is not None
    ]


@dataclass(frozen=True)
class Typing:
    """What typing one file needs beyond its source: its date readings and bounds."""

    readings: dict[str, formats.Reading]
    bounds: formats.Bounds
    decimal_comma: frozenset[str] = frozenset()  # number fields written like 7,5


def typed_select(
    src: ResolvedSource, landed: LandedFile, parquet: exp.Table, typing: Typing
) -> exp.Select:
    """One row per landed record: _file, _load, _row, typed fields, and two problems:
    _error (a required field is empty or unreadable, or an amount or a classifying value
    is unreadable: the row goes to quarantine, since without them it would misstate money
    or be counted as the wrong kind of record) and _warning (another optional field is
    unreadable: it is set null and the row is kept)."""
    fields = bind_fields(src, landed)
    projection: list[exp.Expr] = [
        exp.alias_(exp.Literal.string(landed.path), "_file"),
        exp.alias_(exp.Literal.string(landed.load_id), "_load"),
        exp.column("_row"),
    ]
    problems: dict[bool, tuple[list[exp.Expr], list[exp.Expr]]] = {True: ([], []), False: ([], [])}
    typed = [(f, *_field(f, src, typing)) for f in fields]
    # an unreadable currency is emptied and the record kept; its amounts go with it, so
    # no amount is ever stored without the unit it is in
    no_unit = [
        bad
        for f, _, bad, _ in typed
        if f.spec.type == "currency" and bad is not None and not f.spec.required
    ]
    emptied: tuple[list[exp.Expr], list[exp.Expr]] = ([], [])  # listed after their cause
    for f, value, bad, reason in typed:
        label = exp.Literal.string(f.header or f.name)
        if no_unit and f.spec.type in _DENOMINATED:
            unit_lost = exp.and_(
                exp.or_(*no_unit), exp.not_(exp.Is(this=value.copy(), expression=exp.null()))
            )
            emptied[0].append(
                exp.Case().when(
                    unit_lost,
                    exp.Literal.string(f"{f.header or f.name}: emptied with its currency"),
                )
            )
            emptied[1].append(exp.Case().when(unit_lost.copy(), label))
            value = exp.Case().when(exp.or_(*no_unit), exp.null()).else_(value)
        projection.append(exp.alias_(value, f.name, quoted=True, copy=False))
        if bad is None:
            continue
        strict = f.spec.required or f.spec.type in _STRICT
        problems[strict][0].append(exp.Case().when(bad, reason))
        problems[strict][1].append(exp.Case().when(bad, label))
    problems[False][0].extend(emptied[0])
    problems[False][1].extend(emptied[1])
    for required, name in ((True, "_error"), (False, "_warning")):
        reasons, labels = problems[required]
        text = (
            exp.func("nullif", concat_ws("; ", *reasons), exp.Literal.string(""))
            if reasons
            else exp.null()
        )
        column = exp.func("coalesce", *labels) if labels else exp.null()
        projection += [exp.alias_(text, name), exp.alias_(column, f"{name}_column")]
    # each cell trimmed once, below: the typing above names it instead of repeating it
    cells = exp.select(
        "_row",
        *(
            exp.alias_(
                exp.func("nullif", exp.func("trim", exp.column(f"c{i}")), exp.Literal.string("")),
                f"t{i}",
            )
            for i in sorted({f.index for f in fields if f.index is not None})
        ),
    ).from_(parquet)
    return exp.select(*projection, copy=False).from_(cells.subquery("cells"), copy=False)


def _field(
    f: BoundField, src: ResolvedSource, typing: Typing
) -> tuple[exp.Expr, exp.Expr | None, exp.Expr]:
    """(typed value, condition that the text is bad, reason text)."""
    spec = f.spec
    if f.index is None:
        if spec.default is None:
            return exp.cast(exp.null(), _SQL_TYPES.get(spec.type, "VARCHAR")), None, exp.null()
        raw: exp.Expr = exp.null()
    else:
        raw = exp.column(f"t{f.index}")
    if spec.type == "salesforce_id":
        raw = exp.Case().when(matches(raw, SF_EMPTY), exp.null()).else_(raw)
    text = raw
    if spec.extract:
        extracted = exp.RegexpExtract(
            this=raw, expression=exp.Literal.string(spec.extract), group=exp.Literal.number(1)
        )
        text = exp.func("nullif", exp.func("trim", extracted), exp.Literal.string(""))
    if spec.default is not None:
        text = exp.func("coalesce", text, exp.Literal.string(spec.default))
    label = f.header or f.name
    if spec.type in ("date", "timestamp"):
        value, reason_bad = _dated(text, raw, label, f, src, typing)
    else:
        if f.name in typing.decimal_comma:
            text = numbers.with_decimal_point(text)
        value, expectation = _typed(text, spec, src)
        reason_bad = exp.func(
            "concat",
            exp.Literal.string(f"{label}: {expectation}, got '"),
            raw,
            exp.Literal.string("'"),
        )
    present = exp.Not(this=exp.Is(this=raw, expression=exp.null()))
    missing = exp.Is(this=text, expression=exp.null())
    invalid = exp.and_(present, exp.Is(this=value, expression=exp.null()))
    if spec.required:
        bad = exp.or_(missing, invalid)
        reason = (
            exp.Case()
            .when(missing, exp.Literal.string(f"{label}: required value is empty"))
            .else_(reason_bad)
        )
        return value, bad, reason
    if spec.type == "text" and not spec.extract:
        return value, None, reason_bad
    return value, invalid, reason_bad


def _typed(text: exp.Expr, spec: FieldSpec, src: ResolvedSource) -> tuple[exp.Expr, str]:
    kind = spec.type
    if kind == "text":
        return text, "a value"
    if kind == "salesforce_id":
        return salesforce_id(text), "a 15 or 18 character Salesforce id"
    if kind in ("money", "price", "quantity", "hours", "rate"):
        return _decimal(text, _DECIMALS[kind], _NUMBER), "a number like 1,234.50"
    if kind == "percent":
        return _decimal(text, _DECIMALS[kind], _PERCENT), "a percentage like 12.5"
    if kind == "integer":
        return exp.Case().when(
            matches(text, r"^[-+]?[0-9]+$"),
            exp.TryCast(this=text, to=exp.DataType.build("INTEGER")),
        ), "a whole number"
    if kind == "boolean":
        low = exp.Lower(this=text)
        return (
            exp.Case()
            .when(exp.In(this=low, expressions=[exp.Literal.string(v) for v in _TRUE]), exp.true())
            .when(
                exp.In(this=low, expressions=[exp.Literal.string(v) for v in _FALSE]), exp.false()
            ),
            "true/false or yes/no",
        )
    if kind == "currency":
        up = exp.Upper(this=text)
        return (
            exp.Case().when(
                exp.In(this=up, expressions=[exp.Literal.string(c) for c in ISO_4217]), up
            ),
            "an ISO 4217 currency code",
        )
    if kind == "enum":
        case = exp.Case()
        low = exp.Lower(this=text)
        for source_value, canonical in spec.values.items():
            case = case.when(
                exp.EQ(this=low, expression=exp.Literal.string(source_value.lower())),
                exp.Literal.string(canonical),
            )
        for keyword, canonical in spec.keywords.items():
            case = case.when(matches(low, keyword.lower()), exp.Literal.string(canonical))
        shown = ", ".join(sorted(spec.values)[:8]) + (", ..." if len(spec.values) > 8 else "")
        return case, f"one of {shown}"
    raise AssertionError(kind)


def _decimal(text: exp.Expr, type_: str, pattern: str) -> exp.Expr:
    cleaned: exp.Expr = text
    for ch in (",", "£", "$", "€", "(", ")", "%", " ", "+"):
        cleaned = exp.func("replace", cleaned, exp.Literal.string(ch), exp.Literal.string(""))
    number = exp.TryCast(this=cleaned, to=exp.DataType.build(type_))
    negative = exp.Like(this=text, expression=exp.Literal.string("(%)"))
    signed = exp.Case().when(negative, exp.Neg(this=exp.Paren(this=number))).else_(number)
    has_digit = matches(text, "[0-9]")
    return exp.Case().when(exp.and_(matches(text, pattern), has_digit), signed)


def _dated(
    text: exp.Expr,
    raw: exp.Expr,
    label: str,
    f: BoundField,
    src: ResolvedSource,
    typing: Typing,
) -> tuple[exp.Expr, exp.Expr]:
    """A date read with its column's one layout, kept only when plausible."""
    reading = typing.readings.get(f.name)
    layouts = reading.formats if reading else preferred_layouts(src, f.spec)
    tz = src.timezone if f.spec.type == "timestamp" else None
    parsed = formats.parse(text, layouts, tz)
    lo, hi = typing.bounds.earliest.isoformat(), typing.bounds.latest.isoformat()
    plausible = exp.Between(
        this=parsed,
        low=exp.cast(exp.Literal.string(lo), "TIMESTAMP"),
        high=exp.cast(exp.Literal.string(hi), "TIMESTAMP"),
    )
    kept = exp.Case().when(plausible, parsed)
    value = exp.cast(kept, "DATE") if f.spec.type == "date" else kept
    reason = (
        exp.Case()
        .when(
            parsed.is_(exp.null()),
            exp.func(
                "concat",
                exp.Literal.string(f"{label}: expected {date_layouts.human(layouts[0])} "),
                exp.Literal.string("(the format of this column), got '"),
                raw,
                exp.Literal.string("'"),
            ),
        )
        .else_(
            exp.func(
                "concat",
                exp.Literal.string(f"{label}: '"),
                raw,
                exp.Literal.string(f"' {formats.IMPLAUSIBLE}{lo} to {hi})"),
            )
        )
    )
    return value, reason
