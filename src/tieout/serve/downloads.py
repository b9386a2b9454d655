"""Every table the app shows, as CSV or XLSX for a spreadsheet. A cell that starts with
= + - @ (or a tab or carriage return) gets a leading quote, so a spreadsheet shows it as
text and never runs it; amounts stay numbers."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from fastapi import HTTPException
from fastapi.responses import Response

from tieout.reports.cells import safe_cell
from tieout.reports.spreadsheet import xlsx_bytes

FORMATS = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def to_csv(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for r in rows:
        writer.writerow([safe_cell(r.get(c)) for c in columns])
    return out.getvalue()


def download(
    rows: Sequence[dict[str, Any]], columns: Sequence[str], name: str, fmt: str
) -> Response:
    """A table as an attachment named `name`.csv or `name`.xlsx."""
    if fmt not in FORMATS:
        raise HTTPException(400, f"format must be one of {', '.join(FORMATS)}")
    body: str | bytes = (
        to_csv(rows, columns) if fmt == "csv" else xlsx_bytes([(name, columns, rows)])
    )
    return Response(
        body,
        media_type=FORMATS[fmt],
        headers={"Content-Disposition": f"attachment; filename={name}.{fmt}"},
    )
