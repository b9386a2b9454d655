"""Date formats are a property of a file's column, decided from all of its values.

Reading value by value with the first format that fits gives one file two readings
(`03-12-2025` as 3 December beside `03-13-2025` as 13 March). Instead, every date column
of every file gets one *reading*: a date layout (day, month and year in one order, with
one separator) plus the time layouts seen with it. Candidate layouts are scored on the
whole column: how many values they read, and how many of those are plausible (a `%Y`
reading of `8/14/18` is the year 18, which loses to `%y`). When readings in different
orders tie, because every day is 12 or less, the source's `date_order` setting, the
system's documented default or the project's setting decides; failing all three the
first listed format wins and the decision says it was assumed, so a person can see it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

import pyarrow as pa
from sqlglot import exp

from tieout.config import DateOrder
from tieout.engine import Warehouse, render
from tieout.ingest.date_layouts import catalogue, date_part, human, order_of

__all__ = ["Bounds", "Column", "DateOrder", "Reading", "decide", "parse"]

_SAMPLES_PER_SHAPE = 24
_MAX_SHAPES = 40


@dataclass(frozen=True)
class Reading:
    """How one date column of one file is read, and why."""

    field: str
    header: str
    formats: tuple[str, ...]  # strptime layouts, all with the same date part, in priority order
    values: int  # non-empty values in the column
    read: int  # values the formats parse
    plausible: int  # of those, dates between the floor and the ceiling
    decided_by: str  # "the values", "date_order DMY (source)", "assumed: ..." ...
    alternatives: tuple[str, ...] = ()  # other readings that fit the values as well

    @property
    def shown(self) -> str:
        return human(self.formats[0]) if self.formats else "-"

    @property
    def ambiguous(self) -> bool:
        return self.decided_by.startswith("assumed")


@dataclass(frozen=True)
class Column:
    """A date or date-time field bound to a column of the landed file."""

    field: str
    header: str
    index: int
    preferred: tuple[str, ...]  # formats the field, source or preset lists, in order


IMPLAUSIBLE = "is not a plausible date (outside "  # the reason typing gives, with the bounds


@dataclass(frozen=True)
class Bounds:
    """Dates outside [earliest, latest] are implausible: typos, 2-digit years read as %Y."""

    earliest: dt.date
    latest: dt.date


def decide(
    wh: Warehouse,
    parquet: exp.Table,
    columns: Sequence[Column],
    bounds: Bounds,
    orders: Sequence[tuple[DateOrder, str]],
    seen: list[dt.datetime] | None = None,
) -> dict[str, Reading]:
    """One reading per column, from every value in it; `seen` gets the latest value each
    layout scored read (what the choice could depend on of the upper bound).

    A tie between day-first and month-first is settled first by the file's other date
    columns (one system wrote them all: a column whose values prove its order proves the
    file's), then by `orders`, the configured date orders, most authoritative first, each
    with where it was set ("source", "preset", "project").
    """
    scored: list[tuple[Column, int, dict[str, list[str]], dict[str, tuple[int, int]]]] = []
    out: dict[str, Reading] = {}
    for col in columns:
        samples, total = _samples(wh, parquet, col.index)
        if not total:
            out[col.field] = Reading(col.field, col.header, col.preferred[:1], 0, 0, 0, "empty")
            continue
        groups = _group_by_date_part(_candidates(wh, col, samples), col.preferred)
        scores, latest = _score(wh, parquet, col.index, groups, bounds)
        scored.append((col, total, groups, scores))
        if seen is not None:
            seen += latest
    proven = {col.header: _proven_order(scores) for col, _, _, scores in scored}
    day_month = {h: o for h, o in proven.items() if o in ("DMY", "MDY")}
    file_orders: list[tuple[DateOrder, str]] = []
    if len(set(day_month.values())) == 1:
        header, order = min(day_month.items())
        file_orders.append((order, f"the file's {header} column"))
    for col, total, groups, scores in scored:
        out[col.field] = _choose(col, groups, scores, total, [*file_orders, *orders])
    return out


def _proven_order(scores: dict[str, tuple[int, int]]) -> DateOrder | None:
    """The order the values alone prove: the best readings are all of one order."""
    if not scores or max(s[1] for s in scores.values()) == 0:
        return None
    top = max(scores.values(), key=lambda s: (s[1], s[0]))
    orders = {order_of(part) for part, s in scores.items() if s == top}
    return next(iter(orders)) if len(orders) == 1 else None


def _text(index: int) -> exp.Expr:
    return exp.func("nullif", exp.func("trim", exp.column(f"c{index}")), exp.Literal.string(""))


def _samples(wh: Warehouse, parquet: exp.Table, index: int) -> tuple[list[str], int]:
    """A few values of every shape the column has (digits as 9, letters as a)."""
    value = _text(index)
    digits = exp.RegexpReplace(
        this=value,
        expression=exp.Literal.string("[0-9]"),
        replacement=exp.Literal.string("9"),
        modifiers=exp.Literal.string("g"),
    )
    shape = exp.RegexpReplace(
        this=digits,
        expression=exp.Literal.string("[A-Za-z]+"),
        replacement=exp.Literal.string("a"),
        modifiers=exp.Literal.string("g"),
    )
    per_shape = (
        exp.select(
            exp.alias_(shape, "shape"),
            exp.alias_(value, "v"),
        )
        .from_(parquet)
        .where(value.is_(exp.null()).not_())
    )
    rows = wh.query(
        f"SELECT shape, count(*) AS n, min(v) AS lo, max(v) AS hi, "
        f"list(v ORDER BY hash(v))[1:{_SAMPLES_PER_SHAPE}] AS some "
        f"FROM ({render(per_shape)}) GROUP BY shape ORDER BY n DESC LIMIT {_MAX_SHAPES}"
    )
    total = sum(int(r[1]) for r in rows)
    samples: list[str] = []
    for _, _, lo, hi, some in rows:
        samples += [lo, hi, *some]
    return list(dict.fromkeys(samples)), total


_SHAPES = {
    "%Y": r"\d{4}",
    "%y": r"\d{2}",
    "%m": r"\d{1,2}",
    "%d": r"\d{1,2}",
    "%H": r"\d{1,2}",
    "%I": r"\d{1,2}",
    "%M": r"\d{1,2}",
    "%S": r"\d{1,2}",
    "%f": r"\d{1,9}",
    "%b": r"[A-Za-z]{3,4}\.?",
    "%B": r"[A-Za-z]+",
    "%p": r"[AaPp]\.?[Mm]\.?",
    "%z": r"[+-]\d{2}:?\d{2}",
    "%Z": r"[A-Za-z_/+-]+",
}


@cache
def _shape(layout: str) -> re.Pattern[str]:
    """A quick regular expression for what a layout can read, to spare the engine."""
    parts = re.split(r"(%[A-Za-z])", layout)
    return re.compile(
        "".join(_SHAPES.get(p, ".+") if p.startswith("%") else re.escape(p) for p in parts)
    )


def _candidates(wh: Warehouse, col: Column, samples: list[str]) -> list[str]:
    """Layouts that read at least one sample; the listed ones are always tried."""
    layouts = [
        f
        for f in dict.fromkeys([*col.preferred, *catalogue()])
        if any(_shape(f).fullmatch(v) for v in samples)
    ]
    if not layouts:
        return list(col.preferred)
    wh.register_arrow("_ingest_samples", pa.table({"v": pa.array(samples, pa.string())}))
    try:
        counts = wh.query(
            exp.select(
                *(
                    exp.Count(
                        this=exp.StrToTime(
                            this=exp.column("v"), format=exp.Literal.string(f), safe=True
                        )
                    )
                    for f in layouts
                )
            ).from_("_ingest_samples")
        )[0]
    finally:
        wh.unregister("_ingest_samples")
    hit = {f for f, n in zip(layouts, counts, strict=True) if n}
    return [f for f in layouts if f in hit or f in col.preferred]


def _group_by_date_part(layouts: Iterable[str], preferred: Sequence[str]) -> dict[str, list[str]]:
    """Layouts that share a date part read one column together (with or without a time)."""
    groups: dict[str, list[str]] = {}
    for fmt in layouts:
        groups.setdefault(date_part(fmt), []).append(fmt)
    ranked = sorted(
        groups,
        key=lambda part: min(
            (i for i, f in enumerate(preferred) if date_part(f) == part), default=len(preferred)
        ),
    )
    return {part: groups[part] for part in ranked}


def parse(text: exp.Expr, formats: Sequence[str], timezone: str | None = None) -> exp.Expr:
    """The value read by the first of `formats` that fits, as a UTC timestamp without zone.

    A layout with an offset or zone converts to UTC; one without is in `timezone` when the
    source names one, else taken as written."""
    parsed: list[exp.Expr] = []
    for fmt in formats:
        one: exp.Expr = exp.StrToTime(this=text, format=exp.Literal.string(fmt), safe=True)
        if "%z" in fmt or "%Z" in fmt:
            one = exp.AtTimeZone(this=one, zone=exp.Literal.string("UTC"))
        elif timezone and not fmt.endswith("Z"):
            one = exp.ConvertTimezone(
                source_tz=exp.Literal.string(timezone),
                target_tz=exp.Literal.string("UTC"),
                timestamp=one,
            )
        parsed.append(exp.cast(one, "TIMESTAMP"))
    return exp.func("coalesce", *parsed) if len(parsed) > 1 else parsed[0]


def _score(
    wh: Warehouse,
    parquet: exp.Table,
    index: int,
    groups: dict[str, list[str]],
    bounds: Bounds,
) -> tuple[dict[str, tuple[int, int]], list[dt.datetime]]:
    """(values read, plausible values read) per date part, over the whole column, and the
    latest value each part read."""
    if not groups:
        return {}, []
    text = _text(index)
    select = exp.select().from_(parquet)
    for i, formats in enumerate(groups.values()):
        value = parse(text, formats)
        plausible = exp.Between(
            this=value,
            low=exp.cast(exp.Literal.string(bounds.earliest.isoformat()), "TIMESTAMP"),
            high=exp.cast(exp.Literal.string(bounds.latest.isoformat()), "TIMESTAMP"),
        )
        select = select.select(
            exp.alias_(exp.Count(this=value), f"r{i}"),
            exp.alias_(exp.func("count_if", plausible), f"p{i}"),
            exp.alias_(exp.Max(this=value.copy()), f"m{i}"),
        )
    row = wh.query(select)[0]
    scores = {
        part: (int(row[3 * i] or 0), int(row[3 * i + 1] or 0)) for i, part in enumerate(groups)
    }
    return scores, [row[3 * i + 2] for i in range(len(groups)) if row[3 * i + 2] is not None]


def _choose(
    col: Column,
    groups: dict[str, list[str]],
    scores: dict[str, tuple[int, int]],
    total: int,
    orders: Sequence[tuple[DateOrder, str]],
) -> Reading:
    if not scores or max(s[1] for s in scores.values()) == 0:
        best_read = max(scores.values(), default=(0, 0))[0]
        fallback = col.preferred[:1] or (catalogue()[0],)
        return Reading(
            col.field, col.header, tuple(fallback), total, best_read, 0, "no layout fits"
        )
    top = max(scores.values(), key=lambda s: (s[1], s[0]))
    tied = [part for part, s in scores.items() if s == top]
    chosen, decided_by = tied[0], "the values"
    tied_orders = {order_of(p) for p in tied}
    if len(tied_orders) > 1:
        for order, where in orders:
            fits = [p for p in tied if order_of(p) == order]
            if fits:
                chosen, decided_by = fits[0], f"date_order {order} ({where})"
                break
        else:
            decided_by = (
                f"assumed {order_of(tied[0])}: every value fits "
                + " and ".join(sorted(str(o) for o in tied_orders if o))
                + "; set date_order to decide"
            )
    others = tuple(human(p) for p in tied if p != chosen)
    formats = _by_preference(groups[chosen], col.preferred)
    read, plausible = scores[chosen]
    return Reading(col.field, col.header, formats, total, read, plausible, decided_by, others)


def _by_preference(formats: list[str], preferred: Sequence[str]) -> tuple[str, ...]:
    rank = {f: i for i, f in enumerate(preferred)}
    return tuple(sorted(formats, key=lambda f: (rank.get(f, len(rank)), -len(f))))
