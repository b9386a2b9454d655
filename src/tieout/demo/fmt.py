"""Vectorised text formatting: numbers, dates and ids become Arrow strings without Python loops.

Every column of the big exports goes through here, so ten million time entries cost a few
array operations rather than ten million f-strings. Money is carried as integer minor units
(pence, cents) and hours and quantities as integer quarters, so every figure is exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from functools import lru_cache
from typing import Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

EPOCH: Final = date(1970, 1, 1)
_CAL_FIRST: Final = date(2010, 1, 1)
_CAL_LAST: Final = date(2032, 12, 31)
_B62: Final = np.frombuffer(
    b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", dtype=np.uint8
)
_CHECKSUM: Final = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", dtype=np.uint8)
_HEX: Final = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_QUARTER: Final = ("", ".25", ".5", ".75")


def day_number(d: date) -> int:
    """Days since 1970-01-01: the integer form every date takes inside the generator."""
    return (d - EPOCH).days


def to_date(n: int) -> date:
    return EPOCH + timedelta(days=n)


def i64(values: object) -> IntArray:
    return np.asarray(values, dtype=np.int64)


def strings(values: Sequence[str | None]) -> pa.Array:
    return pa.array(values, type=pa.string())


def pick(pool: Sequence[str] | pa.Array, idx: IntArray) -> pa.Array:
    """pool[idx] as an Arrow string array (idx may be any length)."""
    arr = pool if isinstance(pool, pa.Array) else strings(list(pool))
    return arr.take(pa.array(idx, type=pa.int64()))


def join(*parts: pa.Array | str, sep: str = "") -> pa.Array:
    """Element-wise concatenation; a null part makes the result null."""
    return pc.binary_join_element_wise(*parts, sep)


def where(mask: BoolArray, yes: pa.Array | str | None, no: pa.Array | str | None) -> pa.Array:
    """Element-wise choice; None stands for a blank (null) field."""

    def arg(v: pa.Array | str | None) -> pa.Array | pa.Scalar:
        return pa.scalar(v, pa.string()) if v is None or isinstance(v, str) else v

    return pc.if_else(pa.array(mask, type=pa.bool_()), arg(yes), arg(no))


def blank_where(arr: pa.Array, mask: BoolArray) -> pa.Array:
    return where(mask, None, arr)


def constant(value: str | None, n: int) -> pa.Array:
    return pa.array([value], type=pa.string()).take(pa.array(np.zeros(n, dtype=np.int64)))


def ints(values: IntArray) -> pa.Array:
    return pa.array(i64(values), type=pa.int64()).cast(pa.string())


def fixed_text(chars: npt.NDArray[np.uint8]) -> pa.Array:
    """Rows of an (n, width) byte matrix as an Arrow string array, without copying per row."""
    n, width = chars.shape
    offsets = np.arange(0, n * width + 1, width, dtype=np.int32)
    data = np.ascontiguousarray(chars)
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data)])


def padded(values: IntArray, width: int) -> pa.Array:
    """Zero-padded decimal text of a fixed width, e.g. 1234 -> '00001234'."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    digits = (i64(values)[:, None] // powers) % 10 + 48
    return fixed_text(digits.astype(np.uint8))


def _whole(v: IntArray, thousands: bool) -> pa.Array:
    plain = ints(v)
    big = v >= 1000
    if not thousands or not big.any():
        return plain
    grouped = join(_whole(v // 1000, True), padded(v % 1000, 3), sep=",")
    return pc.if_else(pa.array(big), grouped, plain)


def money(minor: IntArray, *, thousands: bool = False) -> pa.Array:
    """Minor units as '1234.50' (or '1,234.50', as a spreadsheet re-save writes it)."""
    v = i64(minor)
    a = np.abs(v)
    text = join(_whole(a // 100, thousands), padded(a % 100, 2), sep=".")
    neg = v < 0
    return where(neg, join("-", text), text) if neg.any() else text


def quarters(q4: IntArray) -> pa.Array:
    """Quarter units as shortest decimal text: 6 -> '1.5', 8 -> '2', 1 -> '0.25'."""
    v = i64(q4)
    a = np.abs(v)
    text = join(ints(a // 4), pick(_QUARTER, a % 4))
    neg = v < 0
    return where(neg, join("-", text), text) if neg.any() else text


@lru_cache(maxsize=16)
def _calendar(fmt: str) -> pa.Array:
    first, last = day_number(_CAL_FIRST), day_number(_CAL_LAST)
    return strings([to_date(d).strftime(fmt) for d in range(first, last + 1)])


@lru_cache(maxsize=1)
def _clock() -> pa.Array:
    return strings([f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86400)])


def dates(days: IntArray, fmt: str = "%Y-%m-%d") -> pa.Array:
    """Day numbers as text, by lookup in a precomputed calendar (fast for any length)."""
    return _calendar(fmt).take(pa.array(i64(days) - day_number(_CAL_FIRST)))


def datetimes(
    seconds: IntArray, *, date_fmt: str = "%Y-%m-%d", sep: str = " ", suffix: str = ""
) -> pa.Array:
    """Epoch seconds as text: `date sep HH:MM:SS suffix`."""
    s = i64(seconds)
    text = join(dates(s // 86400, date_fmt), _clock().take(pa.array(s % 86400)), sep=sep)
    return join(text, suffix) if suffix else text


def dates_or_blank(days: IntArray, fmt: str = "%Y-%m-%d") -> pa.Array:
    """As `dates`, blank where the day is negative (not happened)."""
    d = i64(days)
    return blank_where(dates(np.where(d < 0, day_number(_CAL_FIRST), d), fmt), d < 0)


def datetimes_or_blank(
    seconds: IntArray, *, date_fmt: str = "%Y-%m-%d", sep: str = " ", suffix: str = ""
) -> pa.Array:
    """As `datetimes`, blank where the time is negative (not happened)."""
    s = i64(seconds)
    safe = np.where(s < 0, day_number(_CAL_FIRST) * 86400, s)
    return blank_where(datetimes(safe, date_fmt=date_fmt, sep=sep, suffix=suffix), s < 0)


def salesforce_ids(rng: np.random.Generator, prefix: str, n: int, pod: str = "Dn") -> pa.Array:
    """18-character Salesforce ids: key prefix, pod, a rising base-62 serial, case-safe suffix.

    Serials rise in small random steps, as real ids created over time do; the last three
    characters are the real checksum, so tools that validate or shorten ids accept them.
    """
    start = int(rng.integers(62**4, 3 * 62**5))
    serial = start + np.cumsum(rng.integers(1, 97, size=n))
    chars = np.empty((n, 18), dtype=np.uint8)
    chars[:, :6] = np.frombuffer(f"{prefix}{pod}0".encode(), dtype=np.uint8)
    powers = 62 ** np.arange(8, -1, -1, dtype=np.int64)
    chars[:, 6:15] = _B62[(serial[:, None] // powers) % 62]
    upper = ((chars[:, :15] >= 65) & (chars[:, :15] <= 90)).astype(np.int64)
    weights = 1 << np.arange(5, dtype=np.int64)
    for k in range(3):
        chars[:, 15 + k] = _CHECKSUM[upper[:, 5 * k : 5 * k + 5] @ weights]
    return fixed_text(chars)


def hex_ids(rng: np.random.Generator, n: int, width: int = 32) -> pa.Array:
    """Random lower-case hex ids such as ServiceNow sys_ids."""
    return fixed_text(_HEX[rng.integers(0, 16, size=(n, width))])


def id_list(ids: pa.Array) -> list[str]:
    """Salesforce ids as exported (18 characters), which is how tieout keys them."""
    result: list[str] = ids.to_pylist()
    return result
