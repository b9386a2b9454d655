"""Tables as CSV for a spreadsheet: a cell that starts with = + - @ (or a tab or carriage
return) is prefixed with a quote, so a spreadsheet shows it as text, never runs it."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, int | float | Decimal):
        return str(value)  # a negative amount is a number, not a formula
    text = str(value)
    return "'" + text if text.startswith(DANGEROUS) else text


def to_csv(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for r in rows:
        writer.writerow([safe_cell(r.get(c)) for c in columns])
    return out.getvalue()
