"""Rows from two engines compared as multisets: the test that a statement is portable.

Values are made comparable, not equal by force: numbers to 10 significant digits (a DOUBLE
against a DECIMAL(38,6) share still differs), time stamps in UTC without a zone, structs
and lists as tuples in their order (a list whose order differs is a different list).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any


def value(v: Any, list_order: bool = True) -> Any:
    """A value made comparable; with list_order False a list compares as a multiset (for
    DuckDB's list_distinct and list(DISTINCT), whose order is not defined)."""
    if v is None or isinstance(v, bool | str):
        return v
    if isinstance(v, int | float | Decimal):
        f = float(v)
        if math.isnan(f):
            return "NaN"
        return float(f"{f:.10g}")
    if isinstance(v, dt.datetime):
        return v.astimezone(dt.UTC).replace(tzinfo=None) if v.tzinfo else v
    if isinstance(v, dict):  # a DuckDB struct (a Spark struct is a Row, a tuple)
        return tuple(value(x, list_order) for x in v.values())
    if isinstance(v, list) and not list_order:
        return ("list", *sorted((value(x, False) for x in v), key=repr))
    if isinstance(v, list | tuple):
        return tuple(value(x, list_order) for x in v)
    if isinstance(v, dt.timedelta):
        return v.total_seconds()
    if isinstance(v, bytes | bytearray):
        return bytes(v)
    return v


def canonical(rows: Iterable[Sequence[Any]], list_order: bool = True) -> Counter[tuple[Any, ...]]:
    """The rows as a multiset of comparable tuples."""
    return Counter(tuple(value(v, list_order) for v in row) for row in rows)


def difference(want: Iterable[Sequence[Any]], got: Iterable[Sequence[Any]]) -> str | None:
    """None when the two are the same multiset, else a one-line account of how they differ."""
    a, b = canonical(want), canonical(got)
    if a == b:
        return None
    missing, extra = a - b, b - a
    sample = next(iter(missing or extra), ())
    return (
        f"{sum(a.values())} rows against {sum(b.values())}; {sum(missing.values())} missing, "
        f"{sum(extra.values())} extra, e.g. {str(sample)[:200]}"
    )
