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
from tieout.errors import SourceFileError
from tieout.ingest.currencies import ISO_4217
from tieout.ingest.land import LandedFile
from tieout.ingest.presets import ResolvedSource

ISO_DATES = ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S")
ISO_TIMESTAMPS = (
    "%Y-%m-%dT%H:%M:%S.%gZ",
    "%Y-%m-%dT%H:%M:%SZ",
    "%Y-%m-%dT%H:%M:%S.%g%z",
    "%Y-%m-%dT%H:%M:%S%z",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
)
_NUMBER = r"^[-+]?[£$€]?\(?[-+]?[£$€]?([0-9]{1,3}(,[0-9]{3})+|[0-9]+)?(\.[0-9]+)?\)?$"
_PERCENT = r"^[-+]?([0-9]+)?(\.[0-9]+)?\s*%?$"
_SFID = r"^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$"
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


def typed_select(src: ResolvedSource, landed: LandedFile, parquet: exp.Table) -> exp.Select:
    """One row per landed record: _file, _load, _row, typed fields, _error, _error_column."""
    fields = bind_fields(src, landed)
    select = exp.select(
        exp.alias_(exp.Literal.string(landed.path), "_file"),
        exp.alias_(exp.Literal.string(landed.load_id), "_load"),
        exp.column("_row"),
    )
    errors: list[exp.Expr] = []
    error_columns: list[exp.Expr] = []
    for f in fields:
        value, bad, reason = _field(f, src)
        select = select.select(exp.alias_(value, f.name, quoted=True))
        if bad is None:
            continue
        label = f.header or f.name
        errors.append(exp.Case().when(bad, reason))
        error_columns.append(exp.Case().when(bad, exp.Literal.string(label)))
    error = (
        exp.func("nullif", concat_ws("; ", *errors), exp.Literal.string(""))
        if errors
        else exp.null()
    )
    select = select.select(
        exp.alias_(error, "_error"),
        exp.alias_(
            exp.func("coalesce", *error_columns) if error_columns else exp.null(), "_error_column"
        ),
    )
    return select.from_(parquet)


def _field(f: BoundField, src: ResolvedSource) -> tuple[exp.Expr, exp.Expr | None, exp.Expr]:
    """(typed value, condition that the text is bad, reason text)."""
    spec = f.spec
    if f.index is None:
        if spec.default is None:
            return exp.cast(exp.null(), _SQL_TYPES.get(spec.type, "VARCHAR")), None, exp.null()
        raw: exp.Expr = exp.null()
    else:
        raw = exp.func(
            "nullif", exp.func("trim", exp.column(f"c{f.index}")), exp.Literal.string("")
        )
    text = raw
    if spec.extract:
        extracted = exp.RegexpExtract(
            this=raw, expression=exp.Literal.string(spec.extract), group=exp.Literal.number(1)
        )
        text = exp.func("nullif", exp.func("trim", extracted), exp.Literal.string(""))
    if spec.default is not None:
        text = exp.func("coalesce", text, exp.Literal.string(spec.default))
    value, expectation = _typed(text, spec, src)
    label = f.header or f.name
    present = exp.Not(this=exp.Is(this=raw, expression=exp.null()))
    missing = exp.Is(this=text, expression=exp.null())
    invalid = exp.and_(present, exp.Is(this=value, expression=exp.null()))
    reason_bad = exp.func(
        "concat",
        exp.Literal.string(f"{label}: {expectation}, got '"),
        raw,
        exp.Literal.string("'"),
    )
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
        return (
            exp.Case().when(
                _matches(text, _SFID),
                exp.Substring(
                    this=text, start=exp.Literal.number(1), length=exp.Literal.number(15)
                ),
            ),
            "a 15 or 18 character Salesforce id",
        )
    if kind == "date":
        formats = _unique([*spec.formats, *src.date_formats, *ISO_DATES])
        return _first_parse(text, formats, date=True, tz=None), f"a date ({_show(formats)})"
    if kind == "timestamp":
        formats = _unique(
            [*spec.formats, *src.timestamp_formats, *ISO_TIMESTAMPS, *src.date_formats]
        )
        return _first_parse(
            text, formats, date=False, tz=src.timezone
        ), f"a date-time ({_show(formats)})"
    if kind in ("money", "price", "quantity", "hours", "rate"):
        return _decimal(text, _DECIMALS[kind], _NUMBER), "a number like 1,234.50"
    if kind == "percent":
        return _decimal(text, _DECIMALS[kind], _PERCENT), "a percentage like 12.5"
    if kind == "integer":
        return exp.Case().when(
            _matches(text, r"^[-+]?[0-9]+$"),
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
        shown = ", ".join(sorted(spec.values)[:8]) + (", ..." if len(spec.values) > 8 else "")
        return case, f"one of {shown}"
    raise AssertionError(kind)


def _matches(text: exp.Expr, pattern: str) -> exp.Expr:
    return exp.RegexpLike(this=text, expression=exp.Literal.string(pattern))


def _decimal(text: exp.Expr, type_: str, pattern: str) -> exp.Expr:
    cleaned: exp.Expr = text
    for ch in (",", "£", "$", "€", "(", ")", "%", " ", "+"):
        cleaned = exp.func("replace", cleaned, exp.Literal.string(ch), exp.Literal.string(""))
    number = exp.TryCast(this=cleaned, to=exp.DataType.build(type_))
    negative = exp.Like(this=text, expression=exp.Literal.string("(%)"))
    signed = exp.Case().when(negative, exp.Neg(this=exp.Paren(this=number))).else_(number)
    has_digit = _matches(text, "[0-9]")
    return exp.Case().when(exp.and_(_matches(text, pattern), has_digit), signed)


def _first_parse(text: exp.Expr, formats: list[str], *, date: bool, tz: str | None) -> exp.Expr:
    parsed: list[exp.Expr] = []
    for fmt in formats:
        fmt_lit = exp.Literal.string(fmt)
        if date:
            parsed.append(exp.StrToDate(this=text, format=fmt_lit, safe=True))
            continue
        one: exp.Expr = exp.StrToTime(this=text, format=fmt_lit, safe=True)
        if tz and "%z" not in fmt and not fmt.endswith("Z"):
            one = exp.ConvertTimezone(
                source_tz=exp.Literal.string(tz), target_tz=exp.Literal.string("UTC"), timestamp=one
            )
        parsed.append(one)
    return exp.func("coalesce", *parsed) if len(parsed) > 1 else parsed[0]


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _show(formats: list[str]) -> str:
    human = {"%Y": "YYYY", "%m": "MM", "%d": "DD", "%H": "hh", "%M": "mm", "%S": "ss", "%b": "Mon"}
    first = formats[0]
    for code, word in human.items():
        first = first.replace(code, word)
    return first + (" or ISO" if len(formats) > 1 else "")
