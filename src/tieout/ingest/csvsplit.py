"""Splitting a CSV that DuckDB's strict reader refused, record by record.

Python's csv module is slower than DuckDB but keeps every record and its spreadsheet row
number: a record that does not split into the header's columns goes to the rejects file
with its reason, never silently dropped or merged with the next.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

CHUNK_ROWS = 50_000


def parse_forgiving(
    path: Path, delim: str, ncols: int, data: Path, rejects: Path, titles: int = 0
) -> tuple[int, int]:
    """Python's csv module: slower than DuckDB, but it keeps every record and its number.

    `titles` records (a report's title and blank rows) come before the header."""
    names = ["_row", *(f"c{i}" for i in range(ncols))]
    schema = pa.schema([("_row", pa.int32()), *((n, pa.string()) for n in names[1:])])
    reject_schema = pa.schema([("_row", pa.int32()), ("reason", pa.string()), ("raw", pa.string())])
    written = rejected = 0
    bad: list[tuple[int, str, str]] = []
    with (
        path.open("r", encoding="utf-8-sig", newline="", errors="replace") as fh,
        pq.ParquetWriter(data, schema) as writer,
    ):
        records = csv.reader(fh, delimiter=delim, quotechar='"', doublequote=True, strict=False)
        for _ in range(titles + 1):
            next(records, None)
        for chunk in _chunks(_numbered(records, titles + 1), CHUNK_ROWS):
            good = [r for r in chunk if len(r[1]) == ncols]
            for row, rec in chunk:
                if len(rec) != ncols:
                    bad.append(
                        (row, f"expected {ncols} fields, found {len(rec)}", _join(rec, delim))
                    )
            columns: list[list[Any]] = [[r[0] for r in good]]
            columns += [[r[1][i] or None for r in good] for i in range(ncols)]
            writer.write_table(
                pa.Table.from_arrays(
                    [pa.array(c, type=f.type) for c, f in zip(columns, schema, strict=True)],
                    schema=schema,
                )
            )
            written += len(good)
    rejected = len(bad)
    if bad:
        rows, reasons, raws = zip(*bad, strict=True)
        pq.write_table(
            pa.Table.from_arrays(
                [pa.array(rows, pa.int32()), pa.array(reasons), pa.array(raws)],
                schema=reject_schema,
            ),
            rejects,
        )
    return written, rejected


def _numbered(records: Iterable[list[str]], header_row: int) -> Iterator[tuple[int, list[str]]]:
    row = header_row
    for rec in records:
        if not rec:
            continue  # a blank line is not a record
        row += 1
        yield row, rec


def _chunks(
    items: Iterator[tuple[int, list[str]]], size: int
) -> Iterator[list[tuple[int, list[str]]]]:
    chunk: list[tuple[int, list[str]]] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _join(rec: list[str], delim: str) -> str:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delim, lineterminator="").writerow(rec)
    return buf.getvalue()
