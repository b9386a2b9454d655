"""CSV writing: Arrow's fast writer for the bulk, verbatim lines for the broken rows."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Final

import pyarrow as pa
import pyarrow.csv as pacsv

BATCH: Final = 200_000
_OPTIONS: Final = pacsv.WriteOptions(include_header=False, quoting_style="needed")


def _encode(text: bytes, encoding: str, crlf: bool) -> bytes:
    if encoding != "utf-8":
        text = text.decode("utf-8").encode(encoding)
    return text.replace(b"\n", b"\r\n") if crlf else text


def _line(fields: list[str]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\n").writerow(fields)
    return buf.getvalue().encode("utf-8")


def write_csv(
    path: Path,
    table: pa.Table,
    *,
    raw: dict[int, list[str]],
    encoding: str = "utf-8",
    bom: bool = False,
    crlf: bool = False,
) -> int:
    """Write `table` as CSV (every text field quoted), replacing the rows in `raw` with the
    given fields verbatim; returns the number of data records written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    n = int(table.num_rows)
    cuts = [*sorted(raw), n]
    with path.open("wb") as out:
        if bom:
            out.write(b"\xef\xbb\xbf")
        out.write(_encode(_line(table.column_names), encoding, crlf))
        start = 0
        for cut in cuts:
            for lo in range(start, cut, BATCH):
                sink = pa.BufferOutputStream()
                pacsv.write_csv(table.slice(lo, min(BATCH, cut - lo)), sink, _OPTIONS)
                out.write(_encode(sink.getvalue().to_pybytes(), encoding, crlf))
            if cut < n:
                out.write(_encode(_line(raw[cut]), encoding, crlf))
            start = cut + 1
    return n
