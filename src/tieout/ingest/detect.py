"""Recognise an export by its header: which system and object wrote it.

Recognition weighs evidence rather than counting matches, because objects of one system
share many headers (Contact and User both have names and e-mails; Quote and Contract both
have a name and a billing address). Each preset lists the headers that together say a file
is its export (`identify`; a preset without one falls back to its required columns):

- every identifying header present is strong evidence, and one missing rules the preset out;
- every other header the preset reads is weak evidence;
- every header it does not read counts a little against it (exports carry custom fields).

The best preset is chosen only when it is clearly ahead of the runner-up; otherwise the
file is listed, never guessed. A preset's score depends on the header and that preset
alone, so adding presets can make a file ambiguous but never changes another's evidence.
The evidence (headers that decided it, the runner-up) is kept so `tieout init` can say why.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from tieout.config.presets import Preset, builtin_presets
from tieout.errors import SourceFileError
from tieout.ingest import archive, decode
from tieout.ingest.csvsplit import grouped_headers
from tieout.ingest.fieldsql import normalise_header
from tieout.ingest.land import header_line, sniff_delimiter

EXPORT_SUFFIXES = (*archive.MEMBER_SUFFIXES, ".zip")
IDENTIFY_WEIGHT = 4.0  # a header that says which export this is
READ_WEIGHT = 1.0  # a header the preset reads; weak, since objects share Name, Email, ...
UNKNOWN_WEIGHT = 0.25  # a header the preset does not read; mild, exports add custom fields
MARGIN = IDENTIFY_WEIGHT - READ_WEIGHT  # a lead of one identifying header the rival only reads
_HEAD_BYTES = 1 << 16
BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Evidence:
    """What one preset makes of one header."""

    preset: str
    identified_by: tuple[str, ...]  # file headers matching identify entries
    lacking: tuple[str, ...]  # identify entries absent (as written, 'a|b' for alternatives)
    read: tuple[str, ...]  # other file headers the preset reads
    unknown: tuple[str, ...]  # file headers the preset does not read
    unreadable: tuple[str, ...]  # required columns absent: the file could not be loaded

    @property
    def eligible(self) -> bool:
        return not self.lacking

    @property
    def score(self) -> float:
        return (
            IDENTIFY_WEIGHT * len(self.identified_by)
            + READ_WEIGHT * len(self.read)
            - UNKNOWN_WEIGHT * len(self.unknown)
        )

    @property
    def coverage(self) -> float:
        found = len(self.identified_by)
        return found / (found + len(self.lacking)) if found + len(self.lacking) else 0.0


@dataclass(frozen=True)
class Recognition:
    path: Path  # the file, or the zip holding `member`
    headers: list[str]
    preset: str | None  # set when the file is placed
    nearest: str | None  # the winner, or the closest preset when none wins
    missing: tuple[str, ...]  # what `nearest` lacks: identifying, else required columns
    extra: tuple[str, ...]  # file columns `nearest` does not read (all columns without one)
    reason: str  # one line: why placed, or why not
    evidence: Evidence | None = None  # for `nearest`
    runner_up: Evidence | None = None
    member: str | None = None

    @property
    def display(self) -> str:
        return f"{self.path}{archive.SEP}{self.member}" if self.member else str(self.path)


def recognise(path: Path) -> Recognition:
    """One file, or one zip member given as `a.zip!m.csv`."""
    zipped, member = archive.split(path)
    return decide(zipped, read_headers(path), builtin_presets().values(), member)


def recognise_file(path: Path) -> list[Recognition]:
    """A file, or each readable member of a zip (recognised by its content, not its name)."""
    return [recognise(p) for p in archive.expand(path)]


def decide(
    path: Path, headers: list[str], presets: Iterable[Preset], member: str | None = None
) -> Recognition:
    ranked = sorted((weigh(p, headers) for p in presets), key=_rank)
    eligible = [e for e in ranked if e.eligible]
    best = eligible[0] if eligible else (ranked[0] if ranked and ranked[0].identified_by else None)
    runner = _runner_up(best, eligible, ranked)
    placed, reason = _verdict(best, runner)
    return Recognition(
        path=path,
        headers=headers,
        preset=best.preset if best and placed else None,
        nearest=best.preset if best else None,
        missing=(best.lacking or best.unreadable) if best else (),
        extra=best.unknown if best else tuple(h for h in headers if h.strip()),
        reason=reason,
        evidence=best,
        runner_up=runner,
        member=member,
    )


def weigh(preset: Preset, headers: list[str]) -> Evidence:
    headers = grouped_headers(headers, preset.report)
    by_name = {normalise_header(h): h for h in headers if normalise_header(h)}
    identified: list[str] = []
    lacking: list[str] = []
    for written, entry in identify_entries(preset):
        found = next((by_name[a] for a in entry if a in by_name), None)
        if found is None:
            lacking.append(written)
        elif found not in identified:
            identified.append(found)
    known = {normalise_header(c) for f in preset.fields.values() for c in f.columns}
    read = [h for n, h in by_name.items() if n in known and h not in identified]
    unknown = [h for n, h in by_name.items() if n not in known and h not in identified]
    unreadable = [
        f.columns[0]
        for f in preset.fields.values()
        if f.required
        and f.default is None
        and f.columns
        and not any(normalise_header(c) in by_name for c in f.columns)
    ]
    return Evidence(
        preset.id, tuple(identified), tuple(lacking), tuple(read), tuple(unknown), tuple(unreadable)
    )


def identify_entries(preset: Preset) -> list[tuple[str, tuple[str, ...]]]:
    """Each entry as written and its alternative spellings normalised; the required
    columns when the preset sets no `identify`."""
    written = preset.identify or [
        "|".join(f.columns) for f in preset.fields.values() if f.required and f.columns
    ]
    return [
        (entry, tuple(normalise_header(a) for a in entry.split("|") if a.strip()))
        for entry in written
    ]


def explain(e: Evidence) -> str:
    """`salesforce.user (no Username)` or `salesforce.lead (score 14.0)`."""
    if not e.eligible:
        return f"{e.preset} (no {', '.join(a.replace('|', ' or ') for a in e.lacking)})"
    return f"{e.preset} (score {e.score:g})"


def _rank(e: Evidence) -> tuple[bool, float, float, str]:
    return (not e.eligible, -e.coverage, -e.score, e.preset)


def _runner_up(
    best: Evidence | None, eligible: list[Evidence], ranked: list[Evidence]
) -> Evidence | None:
    """The closest rival: another eligible preset, else the nearest one ruled out."""
    rivals = [e for e in eligible if e is not best] or [
        e for e in ranked if e is not best and e.identified_by
    ]
    return rivals[0] if rivals else None


def _verdict(best: Evidence | None, runner: Evidence | None) -> tuple[bool, str]:
    if best is None:
        return False, "no preset's identifying columns are in the header"
    decided = f"identified by {', '.join(best.identified_by)}"
    if not best.eligible:
        lacks = ", ".join(a.replace("|", " or ") for a in best.lacking)
        return False, f"nearest {best.preset} ({decided}) but the header has no {lacks}"
    if runner is not None and runner.eligible and best.score - runner.score < MARGIN:
        return False, (
            f"ambiguous: {explain(best)} and {explain(runner)} both fit; set the preset by hand"
        )
    if best.unreadable:
        return False, (
            f"looks like {best.preset} ({decided}) but lacks required column(s) "
            f"{', '.join(best.unreadable)}"
        )
    rival = f"; runner-up {explain(runner)}" if runner else ""
    return True, f"{decided}{rival}"


def read_headers(path: Path) -> list[str]:
    """The header row of a file or zip member (`a.zip!m.csv`), decoded as landing would."""
    zipped, member = archive.split(path)
    suffix = Path(member or path.name).suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".parquet"):
        source = io.BytesIO(archive.read_all(zipped, member)) if member else path
        try:
            return _xlsx_headers(source) if suffix != ".parquet" else _parquet_headers(source)
        except Exception as exc:  # openpyxl and pyarrow raise many types for a broken file
            raise SourceFileError(f"{path}: not a readable {suffix[1:]} file ({exc})") from None
    if member:
        head = archive.read_head(zipped, member, _HEAD_BYTES)
    else:
        with path.open("rb") as fh:
            head = fh.read(_HEAD_BYTES)
    text = "\n".join(decode.decode_line(raw)[1] for raw in head.removeprefix(BOM).splitlines())
    if not text.strip():
        raise SourceFileError(f"{path}: the file is empty (no header row)")
    _, first = header_line(text)
    return next(csv.reader(io.StringIO(first), delimiter=sniff_delimiter(first)), [])


def _xlsx_headers(source: Path | io.BytesIO) -> list[str]:
    import openpyxl

    book = openpyxl.load_workbook(source, read_only=True, data_only=True)
    try:
        for row in book.worksheets[0].iter_rows(values_only=True):
            if any(v not in (None, "") for v in row):
                return [str(v) if v is not None else "" for v in row]
        return []
    finally:
        book.close()


def _parquet_headers(source: Path | io.BytesIO) -> list[str]:
    import pyarrow.parquet as pq

    return list(pq.read_schema(source).names)
