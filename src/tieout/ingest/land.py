"""Landing: turn one export file into text columns numbered by spreadsheet row.

Landing is the expensive part of ingest (decoding, splitting records), so its result is
cached as Parquet under the file's content hash: an unchanged file is never re-read.
Typing and validation run on the landed text every run, so changing a mapping does not
need a re-read either. Every record in the file ends up either in `data.parquet` or in
`rejects.parquet` (a record that could not be split into the header's columns).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from tieout.engine import Warehouse
from tieout.errors import SourceFileError

LANDING_VERSION = "4"
CHUNK_ROWS = 50_000
DELIMITERS = (",", ";", "\t", "|")
_READ_BYTES = 1 << 20

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

    @property
    def load_id(self) -> str:
        return self.sha256[:16]


def land(
    path: Path,
    display: str,
    cache_dir: Path,
    wh: Warehouse,
    *,
    delimiter: str | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
) -> LandedFile:
    sha = file_sha256(path, cache_dir)
    settings = f"{LANDING_VERSION}|{delimiter}|{encoding}|{sheet}"
    key = hashlib.sha256(f"{sha}|{settings}".encode()).hexdigest()[:24]
    folder = cache_dir / key
    meta_file = folder / "meta.json"
    if meta_file.exists():
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        return LandedFile(**{**meta, "path": display, "cached": True})
    tmp = folder.with_name(folder.name + ".tmp")
    tmp.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        landed = _land_xlsx(path, display, sha, tmp, sheet)
    elif suffix == ".parquet":
        landed = _land_parquet(path, display, sha, tmp, wh)
    else:
        landed = _land_csv(path, display, sha, tmp, wh, delimiter, encoding)
    final = {**asdict(landed)}
    final["data"] = str(folder / "data.parquet")
    final["rejects"] = str(folder / "rejects.parquet") if landed.rejects else None
    (tmp / "meta.json").write_text(json.dumps(final), encoding="utf-8")
    if folder.exists():
        _rmtree(folder)
    tmp.replace(folder)
    return LandedFile(**final)


def file_sha256(path: Path, cache_dir: Path) -> str:
    """Content hash, memoised on (size, mtime) so an untouched file is not even read."""
    stat = path.stat()
    memo_file = cache_dir / "hashes.json"
    memo: dict[str, Any] = {}
    if memo_file.exists():
        memo = json.loads(memo_file.read_text(encoding="utf-8"))
    entry = memo.get(str(path.resolve()))
    if entry and entry["size"] == stat.st_size and entry["mtime_ns"] == stat.st_mtime_ns:
        return str(entry["sha256"])
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(_READ_BYTES), b""):
            digest.update(chunk)
    sha = digest.hexdigest()
    memo[str(path.resolve())] = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": sha}
    cache_dir.mkdir(parents=True, exist_ok=True)
    staged = memo_file.with_suffix(".tmp")
    staged.write_text(json.dumps(memo, sort_keys=True), encoding="utf-8")
    staged.replace(memo_file)
    return sha


# CSV -------------------------------------------------------------------------------


def _land_csv(
    path: Path,
    display: str,
    sha: str,
    out: Path,
    wh: Warehouse,
    delimiter: str | None,
    encoding: str | None,
) -> LandedFile:
    enc, needs_transcode = (encoding, True) if encoding else detect_encoding(path)
    source = path
    if needs_transcode:
        source = out / "utf8.csv"
        _transcode(path, source, enc)
    head = _first_record_text(source)
    if head is None:
        raise SourceFileError(f"{display}: the file is empty (no header row)")
    delim = delimiter or sniff_delimiter(head)
    headers = next(csv.reader(io.StringIO(head), delimiter=delim), [])
    headers = [h.lstrip("\ufeff") for h in headers]
    if not any(h.strip() for h in headers):
        raise SourceFileError(f"{display}: the first row is empty; expected a header row")
    data = out / "data.parquet"
    rejects_file = out / "rejects.parquet"
    parsed = wh.csv_to_parquet_strict(
        source, data, rejects_file, delimiter=delim, columns=len(headers)
    )
    if parsed is None:
        parsed = _parse_forgiving(source, delim, len(headers), data, rejects_file)
    written, rejected = parsed
    rejects = str(rejects_file) if rejected else None
    if needs_transcode:
        source.unlink()
    return LandedFile(
        display, sha, headers, delim, enc, written + rejected, rejected, str(data), rejects
    )


def detect_encoding(path: Path) -> tuple[str, bool]:
    """UTF-8 (with or without BOM) if it decodes, else cp1252, else latin-1.

    Returns the encoding and whether the file must be transcoded before DuckDB reads it
    (anything not plain UTF-8, and any file with NUL bytes, which no CSV reader keeps).
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    has_nul = False
    try:
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(_READ_BYTES), b""):
                has_nul = has_nul or b"\x00" in chunk
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        try:
            with path.open("rb") as fh:
                for chunk in iter(lambda: fh.read(_READ_BYTES), b""):
                    chunk.decode("cp1252")
        except UnicodeDecodeError:
            return "latin-1", True
        return "cp1252", True
    return "utf-8", has_nul


def _transcode(src: Path, dest: Path, encoding: str) -> None:
    """Re-encode as UTF-8; NUL becomes U+FFFD so the row stays visible, not silently cut."""
    decoder = codecs.getincrementaldecoder("utf-8-sig" if encoding == "utf-8" else encoding)(
        errors="replace"
    )
    with src.open("rb") as fin, dest.open("w", encoding="utf-8", newline="") as fout:
        if fin.read(3) != codecs.BOM_UTF8:  # a BOM is not part of any encoding's text
            fin.seek(0)
        for chunk in iter(lambda: fin.read(_READ_BYTES), b""):
            fout.write(decoder.decode(chunk).replace("\x00", "\ufffd"))
        fout.write(decoder.decode(b"", final=True))


def _first_record_text(path: Path) -> str | None:
    with path.open("r", encoding="utf-8-sig", newline="", errors="replace") as fh:
        text = fh.read(_READ_BYTES)
    if not text.strip():
        return None
    line_end = min((i for i in (text.find("\n"), text.find("\r")) if i >= 0), default=len(text))
    return text[:line_end]


def sniff_delimiter(header: str) -> str:
    """The candidate that splits the header into the most fields (ties go to comma)."""
    counts = {d: len(next(csv.reader(io.StringIO(header), delimiter=d), [])) for d in DELIMITERS}
    best = max(counts.values())
    return next(d for d in DELIMITERS if counts[d] == best)


def _parse_forgiving(
    path: Path, delim: str, ncols: int, data: Path, rejects: Path
) -> tuple[int, int]:
    """Python's csv module: slower than DuckDB, but it keeps every record and its number."""
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
        next(records, None)
        for chunk in _chunks(_numbered(records), CHUNK_ROWS):
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


def _numbered(records: Iterable[list[str]]) -> Iterator[tuple[int, list[str]]]:
    row = 1
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
