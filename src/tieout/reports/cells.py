"""Cells of every CSV tieout writes for people to open in a spreadsheet (the CLI's listings
and the web's downloads): text that starts with = + - @, a tab or a carriage return gets a
leading quote (OWASP's rule against CSV injection), so a spreadsheet shows it as text and
never runs it; numbers stay numbers (a negative amount is not a formula)."""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, TextIO

from tieout.reports.spreadsheet import FORMULA_STARTS

NEGATIVE = re.compile(r"-\d+(\.\d+)?")  # an amount already written out: a number still


def safe_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, int | float | Decimal):
        return str(value)
    text = str(value)
    if text.startswith(FORMULA_STARTS) and not NEGATIVE.fullmatch(text):
        return "'" + text
    return text


def write_csv(out: TextIO, rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
    """A header and one line per row, every cell made safe."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for r in rows:
        writer.writerow([safe_cell(r.get(c)) for c in columns])
