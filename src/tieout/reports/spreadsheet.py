"""Tables as an .xlsx workbook: amounts as exact numbers, text never read as a formula."""

from __future__ import annotations

import decimal
import io
from collections.abc import Collection, Sequence
from typing import Any

from openpyxl import Workbook

Sheet = tuple[str, Sequence[str], Sequence[dict[str, Any]]]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def xlsx_bytes(sheets: Sequence[Sheet], amounts: Collection[str] = ()) -> bytes:
    """One worksheet per (title, columns, rows); `amounts` columns as exact numbers."""
    book = Workbook()
    for index, (title, columns, rows) in enumerate(sheets):
        sheet = book.active if index == 0 else book.create_sheet()
        assert sheet is not None
        sheet.title = title[:31]  # Excel's limit on a sheet name
        sheet.append(list(columns))
        for row in rows:
            sheet.append([_cell(row.get(c), c in amounts) for c in columns])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(value: Any, amount: bool) -> Any:
    """Amounts as numbers; lists joined; text that starts like a formula gets a quote."""
    if value is None:
        return None
    if amount or isinstance(value, decimal.Decimal):
        return decimal.Decimal(str(value))
    if isinstance(value, list | dict):
        value = ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
