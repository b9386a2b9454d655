"""Landing: turn one export file into text columns numbered by spreadsheet row.

Landing is the expensive part of ingest (decoding, splitting records), so its result is
cached as Parquet under the file's content hash: an unchanged file is never re-read.
Typing and validation run on the landed text every run, so changing a mapping does not
need a re-read either. Every record in the file ends up either in `data.parquet` or in
`rejects.parquet` (a record that could not be split into the header's columns).
A zip member lands like a file of its own (see `archive`); text is decoded line by line
(see `decode`), and how many lines each encoding read is kept with the landed file.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import sys
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from tieout.config.fields import ReportLayout
from tieout.engine import Warehouse
from tieout.errors import SourceFileError
from tieout.ingest import archive, decode
from tieout.ingest.csvsplit import Split, grouped_headers, parse_forgiving

LANDING_VERSION = "6"  # 6: report layout rows skipped and counted
DELIMITERS = (",", ";", "\t", "|")
_READ_BYTES = 1 << 20
_TITLE_ROWS = 20  # report title rows searched for the header

csv.field_size_limit(sys.maxsize)


@dataclass(frozen=True)
class LandedFile:
    path: str  # as shown to users: relative to the project directory
    sha256: str
    headers: list[str]
    delimiter: str | None
    encoding: str
    rows_read: int
    rejected: int
    data: str  # landed parquet (absolute path)
    rejects: str | None
    cached: bool = False
    encodings: dict[str, int] = field(default_factory=dict)  # non-ASCII lines per encoding
    skipped: dict[str, int] = field(default_factory=dict)  # report layout rows, by kind

    @property
    def load_id(self) -> str:
        return self.sha256[:16]

    @property
    def mixed_encoding(self) -> bool:
        """Lines needed different encodings: the file was appended to by different tools."""
        return len(self.encodings) > 1


def land(
    path: Path,
    display: str,
    cache_dir: Path,
    wh: Warehouse,
    *,
    delimiter: str | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    layout: ReportLayout | None = None,
) -> LandedFile:
    """Land one file, or one zip member (`a.zip!m.csv`; a zip holding one export may be
    named alone)."""
    zipped, member = archive.split(path)
    if member is None and archive.is_archive(path):
        names = archive.members(path)
        if len(names) > 1:
            raise SourceFileError(
                f"{display}: the zip holds {len(names)} exports; name one as "
                f"{display}{archive.SEP}<member> (members: {', '.join(names[:8])})"
            )
        member, display = names[0], f"{display}{archive.SEP}{names[0]}"
    sha = file_sha256(path if member is None else archive.member_path(zipped, member), cache_dir)
    settings = f"{LANDING_VERSION}|{delimiter}|{encoding}|{sheet}|{layout}"
    key = hashlib.sha256(f"{sha}|{settings}".encode()).hexdigest()[:24]
    folder = cache_dir / key
    meta_file = folder / "meta.json"
    if meta_file.exists():  # its files where this cache is now (a project moved or copied)
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        meta["data"] = str(folder / "data.parquet")
        meta["rejects"] = meta["rejects"] and str(folder / "rejects.parquet")
        return LandedFile(**{**meta, "path": display, "cached": True})
    tmp = folder.with_name(folder.name + ".tmp")
    tmp.mkdir(parents=True, exist_ok=True)
    if member is not None:
        path = tmp / ("member" + Path(member).suffix.lower())
        archive.extract(zipped, member, path)
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        landed = _land_xlsx(path, display, sha, tmp, sheet)
    elif suffix == ".parquet":
        landed = _land_parquet(path, display, sha, tmp, wh)
    else:
        landed = _land_csv(path, display, sha, tmp, wh, delimiter, encoding, layout)
    if member is not None:
        path.unlink()
    final = {**asdict(landed)}
    final["data"] = str(folder / "data.parquet")
    final["rejects"] = str(folder / "rejects.parquet") if landed.rejects else None
    (tmp / "meta.json").write_text(json.dumps(final), encoding="utf-8")
    if folder.exists():
        _rmtree(folder)
    tmp.replace(folder)
    return LandedFile(**final)


def file_sha256(path: Path, cache_dir: Path) -> str:
    """Content hash, memoised on (size, mtime) so an untouched file is not even read.

    A zip member's hash is of the member's bytes, memoised on the zip's size and mtime."""
    zipped, member = archive.split(path)
    stat = zipped.stat()
    key = str(zipped.resolve()) + (f"{archive.SEP}{member}" if member else "")
    memo_file = cache_dir / "hashes.json"
    memo: dict[str, Any] = {}
    if memo_file.exists():
        memo = json.loads(memo_file.read_text(encoding="utf-8"))
    entry = memo.get(key)
    if entry and entry["size"] == stat.st_size and entry["mtime_ns"] == stat.st_mtime_ns:
        return str(entry["sha256"])
    sha = _sha256(zipped) if member is None else archive.sha256(zipped, member)
    memo[key] = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": sha}
    cache_dir.mkdir(parents=True, exist_ok=True)
    staged = memo_file.with_suffix(".tmp")
    staged.write_text(json.dumps(memo, sort_keys=True), encoding="utf-8")
    staged.replace(memo_file)
    return sha


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(_READ_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


# CSV -------------------------------------------------------------------------------


def _land_csv(
    path: Path,
    display: str,
    sha: str,
    out: Path,
    wh: Warehouse,
    delimiter: str | None,
    encoding: str | None,
    layout: ReportLayout | None,
) -> LandedFile:
    """Clean UTF-8 goes straight to DuckDB's strict reader; anything else is first
    rewritten as UTF-8 (line by line, unless the source names its encoding). Reports
    (title rows, a layout, a footer the strict reader refuses) are split record by record."""
    source = out / "utf8.csv"
    if encoding:
        decode.transcode(path, source, encoding)
        enc, lines = encoding, {}
    else:
        scanned = decode.scan(path)
        if scanned.needs_transcode:
            scanned = decode.transcode_lines(path, source)
        else:
            source = path
        enc, lines = scanned.name, scanned.lines
    found = _header_text(source)
    if found is None:
        raise SourceFileError(f"{display}: the file is empty (no header row)")
    titles, head = found
    delim = delimiter or sniff_delimiter(head)
    headers = next(csv.reader(io.StringIO(head), delimiter=delim), [])
    headers = grouped_headers([h.lstrip("\ufeff") for h in headers], layout)
    if not any(h.strip() for h in headers):
        raise SourceFileError(f"{display}: the first row is empty; expected a header row")
    data = out / "data.parquet"
    rejects_file = out / "rejects.parquet"
    split = None
    # DuckDB's reader numbers rows from a header on line 1
    if not titles and (layout is None or not layout.row_by_row):
        strict = wh.csv_to_parquet_strict(
            source,
            data,
            rejects_file,
            delimiter=delim,
            columns=len(headers),
            footer=layout is not None and layout.footer,
        )
        if strict is not None:
            written, rejected, footer = strict
            split = Split(written, rejected, Counter({"footer": footer} if footer else {}))
    if split is None:
        split = parse_forgiving(source, delim, headers, data, rejects_file, titles, layout)
    rejects = str(rejects_file) if split.rejected else None
    if source != path:
        source.unlink()
    return LandedFile(
        display,
        sha,
        headers,
        delim,
        enc,
        split.written + split.rejected,
        split.rejected,
        str(data),
        rejects,
        encodings=lines,
        skipped=dict(sorted(split.skipped.items())),
    )


def _header_text(path: Path) -> tuple[int, str] | None:
    with path.open("r", encoding="utf-8-sig", newline="", errors="replace") as fh:
        text = fh.read(_READ_BYTES)
    return header_line(text) if text.strip() else None


def header_line(text: str) -> tuple[int, str]:
    """(records before the header, the header line).

    Reports (QuickBooks "Sales by Customer Detail", "Invoice List") open with title rows
    of one cell (report name, company, period) and a blank row before the header, so the
    header is the first line that splits into two cells or more; a file whose first line
    does is read from its first line, as before.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")[:_TITLE_ROWS]
    for index, line in enumerate(lines):
        if max(_cells(line, d) for d in DELIMITERS) >= 2:
            return index, line
    return 0, lines[0]


def _cells(line: str, delimiter: str) -> int:
    return len(next(csv.reader(io.StringIO(line), delimiter=delimiter), []))


def sniff_delimiter(header: str) -> str:
    """The candidate that splits the header into the most fields (ties go to comma)."""
    counts = {d: len(next(csv.reader(io.StringIO(header), delimiter=d), [])) for d in DELIMITERS}
    best = max(counts.values())
    return next(d for d in DELIMITERS if counts[d] == best)


# XLSX and Parquet ------------------------------------------------------------------------


def _land_xlsx(path: Path, display: str, sha: str, out: Path, sheet: str | None) -> LandedFile:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise SourceFileError(f"{display}: not a readable XLSX workbook ({exc})") from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise SourceFileError(
                f"{display}: no sheet {sheet!r} (sheets: {', '.join(book.sheetnames)})"
            )
        ws = book[sheet] if sheet else book.worksheets[0]
        rows = ws.iter_rows()
        headers: list[str] = []
        for cells in rows:
            values = [_cell_text(c.value) for c in cells]
            if any(values):
                headers = [v or "" for v in values]
                break
        if not headers:
            raise SourceFileError(f"{display}: the sheet is empty (no header row)")
        while headers and not headers[-1]:
            headers.pop()
        ncols = len(headers)
        good: list[tuple[int, list[str | None]]] = []
        bad: list[tuple[int, str, str]] = []
        for cells in rows:
            values = [_cell_text(c.value) for c in cells]
            if not any(values):
                continue
            row_number = int(next(c.row for c in cells if hasattr(c, "row")))
            extra = [v for v in values[ncols:] if v]
            if extra:
                bad.append(
                    (
                        row_number,
                        f"values beyond the {ncols} header columns",
                        "\t".join(v or "" for v in values),
                    )
                )
                continue
            good.append((row_number, (values + [None] * ncols)[:ncols]))
    finally:
        book.close()
    _write_rows(good, ncols, out / "data.parquet")
    rejects = None
    if bad:
        _write_rejects(bad, out / "rejects.parquet")
        rejects = str(out / "rejects.parquet")
    return LandedFile(
        display,
        sha,
        headers,
        None,
        "xlsx",
        len(good) + len(bad),
        len(bad),
        str(out / "data.parquet"),
        rejects,
    )


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    text = str(value)
    return text if text.strip() else None


def _write_rows(rows: list[tuple[int, list[str | None]]], ncols: int, dest: Path) -> None:
    arrays = [pa.array([r[0] for r in rows], pa.int32())]
    arrays += [pa.array([r[1][i] for r in rows], pa.string()) for i in range(ncols)]
    pq.write_table(
        pa.Table.from_arrays(arrays, names=["_row", *(f"c{i}" for i in range(ncols))]), dest
    )


def _write_rejects(bad: list[tuple[int, str, str]], dest: Path) -> None:
    rows, reasons, raws = zip(*bad, strict=True)
    pq.write_table(
        pa.Table.from_arrays(
            [pa.array(rows, pa.int32()), pa.array(reasons), pa.array(raws)],
            names=["_row", "reason", "raw"],
        ),
        dest,
    )


def _land_parquet(path: Path, display: str, sha: str, out: Path, wh: Warehouse) -> LandedFile:
    data = out / "data.parquet"
    try:
        headers = wh.parquet_to_varchar_parquet(path, data)
    except Exception as exc:  # the engine reports a broken Parquet file in its own terms
        raise SourceFileError(f"{display}: not a readable Parquet file ({exc})") from None
    rows = int(pq.ParquetFile(data).metadata.num_rows)
    return LandedFile(display, sha, headers, None, "parquet", rows, 0, str(data), None)


def _rmtree(folder: Path) -> None:
    for child in folder.iterdir():
        child.unlink()
    folder.rmdir()
