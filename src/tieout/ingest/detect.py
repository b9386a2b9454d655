"""Recognise an export by its header: which system and object wrote it."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from tieout.errors import SourceFileError
from tieout.ingest.fieldsql import normalise_header
from tieout.ingest.land import detect_encoding, sniff_delimiter
from tieout.ingest.presets import Preset, builtin_presets

EXPORT_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".parquet")


@dataclass(frozen=True)
class Recognition:
    path: Path
    headers: list[str]
    preset: str | None  # set when every required column of the preset is present
    nearest: str | None
    missing: tuple[str, ...]  # required columns of `nearest` the file lacks
    extra: tuple[str, ...]  # file columns the nearest preset does not read


def read_headers(path: Path) -> list[str]:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            for row in book.worksheets[0].iter_rows(values_only=True):
                if any(v not in (None, "") for v in row):
                    return [str(v) if v is not None else "" for v in row]
            return []
        finally:
            book.close()
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        return list(pq.read_schema(path).names)
    encoding, _ = detect_encoding(path)
    with path.open("rb") as fh:
        head = fh.read(1 << 16)
    text = head.decode("utf-8-sig" if encoding == "utf-8" else encoding, errors="replace")
    first = text.splitlines()[0] if text.strip() else ""
    if not first:
        raise SourceFileError(f"{path}: the file is empty (no header row)")
    return next(csv.reader(io.StringIO(first), delimiter=sniff_delimiter(first)), [])


def recognise(path: Path) -> Recognition:
    headers = read_headers(path)
    present = {normalise_header(h) for h in headers}
    best: tuple[float, int, str] | None = None
    for pid, preset in builtin_presets().items():
        required = _required(preset)
        known = _known(preset)
        hits = len(required & present)
        coverage = hits / len(required) if required else 0.0
        score = (coverage, len(known & present), pid)
        if best is None or score[:2] > best[:2]:
            best = score
    assert best is not None
    preset = builtin_presets()[best[2]]
    missing = tuple(sorted(_required(preset) - present))
    extra = tuple(h for h in headers if normalise_header(h) not in _known(preset))
    return Recognition(
        path=path,
        headers=headers,
        preset=best[2] if not missing and best[1] > 0 else None,
        nearest=best[2] if best[1] > 0 else None,
        missing=missing,
        extra=extra,
    )


def _required(preset: Preset) -> set[str]:
    return {normalise_header(h) for h in preset.signature}


def _known(preset: Preset) -> set[str]:
    return {normalise_header(c) for f in preset.fields.values() for c in f.columns}
