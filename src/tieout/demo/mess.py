"""Malformed rows, planted the way real exports carry them, and written down for the truth.

About one row in a thousand (at least one of each kind a file gets) is broken: an
impossible date, an amount with a letter in it, a currency code typo, a blank required
field, a row with a field too many or too few, a Salesforce Id exported twice, a record
pointing at an Account the export does not contain. Rows tied to a planted anomaly are
left alone, so a quarantined row never hides an exception the truth expects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tieout.demo.exports import Export
from tieout.demo.fmt import BoolArray, salesforce_ids

RATE: Final = 0.001
REASONS: Final = {
    "impossible date": "impossible date",
    "bad amount": "unparseable amount",
    "unknown currency": "unknown currency code",
    "blank required field": "blank required field",
    "ragged row": "wrong number of fields",
    "duplicate Id": "duplicate Id",
    "orphan AccountId": "AccountId not in Account.csv",
}


@dataclass
class Planted:
    table: pa.Table
    raw: dict[int, list[str]]  # 0-based record index -> fields to write verbatim (ragged rows)
    rows: list[tuple[int, str]]  # (0-based record index, reason)


def impossible_date(value: str) -> str:
    """Same year, same time of day, on the 30th or 31st of February."""
    iso = re.match(r"^(\d{4})-\d{2}-\d{2}(.*)$", value, flags=re.S)
    if iso:
        return f"{iso.group(1)}-02-30{iso.group(2)}"
    dmy = re.match(r"^\d{2}/\d{2}/(\d{4})(.*)$", value, flags=re.S)
    if dmy:
        return f"31/02/{dmy.group(1)}{dmy.group(2)}"
    return "31/02/2026"


def bad_amount(value: str) -> str:
    """'1200.00' -> '1,2O0.00': a stray separator and a letter O typed for a zero."""
    whole, _, frac = value.replace(",", "").lstrip("-").partition(".")
    whole, frac = whole or "0", frac or "00"
    if len(whole) == 1:
        return f"{whole}O.{frac}"
    text = f"{whole[0]},{whole[1:]}"
    zero = text.find("0", 2)
    i = zero if zero >= 0 else len(text) - 1
    return f"{text[:i]}O{text[i + 1 :]}.{frac}"


def _choose(rng: np.random.Generator, free: BoolArray, k: int) -> list[int]:
    idx = np.flatnonzero(free)
    picked = rng.choice(idx, size=min(k, len(idx)), replace=False) if len(idx) else idx
    return [int(i) for i in picked]


def plant(export: Export, rng: np.random.Generator) -> Planted:
    """Break a few rows of `export` in the ways its `defects` list, and say which."""
    table = export.table
    n = table.num_rows
    if not export.defects or n < 20:
        return Planted(table, {}, [])
    count = max(len(export.defects), 3, round(RATE * n))
    kinds = [export.defects[i % len(export.defects)] for i in range(count)]
    free = np.ones(n, dtype=np.bool_)
    if len(export.protected) == n:
        free &= ~export.protected
    rows: list[tuple[int, str]] = []

    dupes = kinds.count("duplicate Id")
    if dupes:
        # an Id exported twice: the copy lands somewhere after the original
        src = np.asarray(_choose(rng, free, dupes), dtype=np.int64)
        at = rng.integers(src + 1, n + 1)
        marker = np.insert(np.arange(n), at, -1 - np.arange(len(src)))
        inserted = marker < 0
        order = np.where(inserted, src[np.maximum(-1 - marker, 0)], marker)
        table = table.take(pa.array(order))
        free = free[order] & ~inserted & ~np.isin(order, src)
        rows += [(int(i), REASONS["duplicate Id"]) for i in np.flatnonzero(inserted)]

    edits: dict[str, dict[int, str]] = {}
    raw: dict[int, list[str]] = {}
    for spec in export.defects:
        kind, _, column = spec.partition(":")
        if kind == "duplicate Id":
            continue
        column = column or "AccountId"
        allowed = free
        if kind == "bad amount":  # break a real amount, not a zero
            zero = pc.starts_with(table[column], "0.").to_numpy(zero_copy_only=False)
            allowed = free & ~np.asarray(zero, dtype=np.bool_)
        if kind == "unknown currency":
            gbp = pc.match_substring(table[column], "GBP").to_numpy(zero_copy_only=False)
            allowed = free & np.asarray(gbp, dtype=np.bool_)
        picked = _choose(rng, allowed, kinds.count(spec))
        free[picked] = False
        rows += [(row, REASONS[kind]) for row in picked]
        if kind == "ragged row":
            for row in picked:
                record = table.slice(row, 1).to_pylist()[0]
                values = ["" if v is None else str(v) for v in record.values()]
                raw[row] = [*values, ""] if len(raw) % 2 == 0 else values[:-1]
            continue
        old_values: list[str | None] = table[column].take(pa.array(picked, pa.int64())).to_pylist()
        for row, value in zip(picked, old_values, strict=True):
            old = value or ""
            if kind == "impossible date":
                new = impossible_date(old)
            elif kind == "bad amount":
                new = bad_amount(old)
            elif kind == "unknown currency":
                new = old.replace("GBP", "GPB")
            elif kind == "orphan AccountId":
                new = salesforce_ids(rng, "001", 1, pod="Dp")[0].as_py()
            else:
                new = ""
            edits.setdefault(column, {})[row] = new

    for column, changes in edits.items():
        positions = sorted(changes)
        mask = np.zeros(table.num_rows, dtype=np.bool_)
        mask[positions] = True
        new_values = pa.array([changes[r] for r in positions], pa.string())
        col = pc.replace_with_mask(table[column].combine_chunks(), pa.array(mask), new_values)
        table = table.set_column(table.column_names.index(column), column, col)
    return Planted(table, raw, sorted(rows))
