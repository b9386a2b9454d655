"""Ingest: land every export, type and validate it, map it onto the canonical model.

Entry point `run(wh, project, ...) -> IngestSummary`. Every row read is accepted or
quarantined with its reason; per file, rows read = rows accepted + rows quarantined.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlglot import exp

from tieout.config import LoadedProject
from tieout.config.presets import ResolvedSource
from tieout.engine import Warehouse
from tieout.errors import QuarantineLimitError, SourceFileError, TieoutError
from tieout.ingest import archive, formats, quarantine
from tieout.ingest.canonical import PrimaryLoad, load_source
from tieout.ingest.fieldsql import bind_fields
from tieout.ingest.land import LandedFile, land
from tieout.ingest.references import check_references
from tieout.ingest.totals import derive_totals
from tieout.ingest.typed_cache import TypedCache
from tieout.model import TABLES

__all__ = [
    "FileSummary",
    "IngestSummary",
    "file_record",
    "run",
]

Progress = Callable[[str, int, int], None]
TYPED_DIR = "typed"  # under the landing cache: readable once the warehouse is sealed


@dataclass(frozen=True)
class FileSummary:
    source: str
    file: str
    table: str
    load_id: str
    encoding: str
    rows_read: int
    rows_accepted: int  # superseded rows of an update log included
    rows_quarantined: int
    cached: bool
    rows_superseded: int = 0
    fields_nulled: int = 0  # accepted rows with an unreadable optional value set null
    dates: tuple[formats.Reading, ...] = ()
    report_rows: dict[str, int] = field(default_factory=dict)  # layout rows, not records

    @property
    def quarantined_pct(self) -> float:
        return 100.0 * self.rows_quarantined / self.rows_read if self.rows_read else 0.0


@dataclass(frozen=True)
class IngestSummary:
    files: tuple[FileSummary, ...]
    table_rows: dict[str, int]
    warnings: tuple[str, ...] = field(default=())
    sources_restored: tuple[str, ...] = ()  # taken whole from the typed cache, not re-typed

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def rows_accepted(self) -> int:
        return sum(f.rows_accepted for f in self.files)

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)


def run(
    wh: Warehouse,
    project: LoadedProject,
    *,
    cache_dir: Path,
    as_of: dt.date,
    progress: Progress | None = None,
) -> IngestSummary:
    """Load every source; fails (keeping the previous snapshot) when a file cannot be read
    or sets aside more of its rows than `ingest.max_quarantine_pct`."""
    sources = project.definitions.sources
    settings = project.config.ingest
    ahead = dt.timedelta(days=round(365.25 * settings.latest_years_ahead))
    bounds = formats.Bounds(settings.earliest_date, as_of + ahead)
    warnings: list[str] = []
    plan: list[tuple[ResolvedSource, list[LandedFile]]] = []
    matched = [(src, _files(project.root, src)) for src in sources]
    total = sum(len(paths) for _, paths in matched)
    done = 0
    for src, paths in matched:
        if not paths:
            warnings.append(f"source {src.name}: no file matches {src.path}")
        landed: list[LandedFile] = []
        for path in paths:
            display = _display(project.root, path)
            if progress:
                progress(f"reading {display}", done, total)
            one = land(
                path,
                display,
                cache_dir,
                wh,
                delimiter=src.delimiter,
                encoding=src.encoding,
                sheet=src.sheet,
                layout=src.report,
            )
            bind_fields(src, one)  # a file that cannot be mapped stops the run here
            landed.append(one)
            done += 1
        plan.append((src, landed))
    wh.seal([cache_dir])  # landing done: from here on SQL reads the landed files, no others
    for tbl in TABLES:
        wh.create_model_table(tbl)
    quarantine.create_table(wh)
    loads: list[PrimaryLoad] = []
    typed = TypedCache(cache_dir / TYPED_DIR) if type(wh) is Warehouse else None
    for i, (src, landed) in enumerate(plan):
        if progress:
            progress(f"loading {src.name}", i, len(plan))
        if landed:
            loads.append(_load(wh, src, landed, bounds, typed))
    check_references(wh, loads)
    warnings += derive_totals(wh)
    files = _file_summaries(wh, loads)
    _write_load_log(wh, files)
    warnings += _date_warnings(files) + _nulled_warning(files) + _encoding_warnings(plan)
    warnings += _report_row_notes(files)
    over = [f for f in files if f.quarantined_pct > settings.max_quarantine_pct]
    if over:
        raise QuarantineLimitError(
            too_much_quarantined(wh, over, settings.max_quarantine_pct),
            [file_record(f) for f in files],
        )
    if typed is not None:
        typed.prune()
    return IngestSummary(
        files=tuple(files),
        table_rows={t.name: wh.count(t.name) for t in TABLES},
        warnings=tuple(warnings),
        sources_restored=tuple(typed.restored) if typed else (),
    )


def _load(
    wh: Warehouse,
    src: ResolvedSource,
    landed: list[LandedFile],
    bounds: formats.Bounds,
    typed: TypedCache | None,
) -> PrimaryLoad:
    """Load one source (from the typed cache when it holds it unchanged); an engine failure
    names the source and its files, never a traceback."""
    try:
        if typed is not None:
            return typed.load(wh, src, landed, bounds)
        return load_source(wh, src, landed, bounds)
    except TieoutError:
        raise
    except Exception as exc:  # the engine's own error types stay inside engine/
        names = ", ".join(f.path for f in landed)
        raise SourceFileError(f"{names}: source {src.name} could not be loaded ({exc})") from None


def file_record(f: FileSummary) -> dict[str, object]:
    """A file's load as the run history keeps it (`tieout runs -f json`)."""
    return {
        "file": f.file,
        "source": f.source,
        "table": f.table,
        "encoding": f.encoding,
        "read": f.rows_read,
        "accepted": f.rows_accepted,
        "quarantined": f.rows_quarantined,
        "superseded": f.rows_superseded,
        "fields_nulled": f.fields_nulled,
        "report_rows": f.report_rows,
        "dates": [
            {
                "column": r.header,
                "reading": r.shown,
                "layouts": list(r.formats),
                "values": r.values,
                "read": r.read,
                "plausible": r.plausible,
                "decided_by": r.decided_by,
                "alternatives": list(r.alternatives),
            }
            for r in f.dates
        ],
    }


def _date_warnings(files: list[FileSummary]) -> list[str]:
    return [
        f"{f.file}: {r.header} read as {r.shown}: {r.decided_by}"
        for f in files
        for r in f.dates
        if r.ambiguous
    ]


def _report_row_notes(files: list[FileSummary]) -> list[str]:
    return [
        f"{f.file}: not records, the report's own rows: "
        + ", ".join(f"{n:,} {kind} row{'' if n == 1 else 's'}" for kind, n in f.report_rows.items())
        for f in files
        if f.report_rows
    ]


def _encoding_warnings(plan: list[tuple[ResolvedSource, list[LandedFile]]]) -> list[str]:
    return [
        f"{f.path}: mixed encodings, each line read in its own ("
        + ", ".join(f"{n:,} line(s) {enc}" for enc, n in sorted(f.encodings.items()))
        + ")"
        for _, landed in plan
        for f in landed
        if f.mixed_encoding
    ]


def _nulled_warning(files: list[FileSummary]) -> list[str]:
    nulled = [f for f in files if f.fields_nulled]
    if not nulled:
        return []
    rows = sum(f.fields_nulled for f in nulled)
    return [
        f"{rows:,} row(s) in {len(nulled)} file(s) kept with an unreadable optional value "
        "set empty (tieout quarantine --warnings)"
    ]


def too_much_quarantined(wh: Warehouse, files: list[FileSummary], limit: float) -> str:
    """Which files set aside too much, and their commonest reasons, to act on at once."""
    lines = [f"more than {limit:g}% of a file's rows quarantined (ingest.max_quarantine_pct):"]
    for f in files:
        lines.append(
            f"  {f.file}: {f.rows_quarantined:,} of {f.rows_read:,} rows "
            f"({f.quarantined_pct:.1f}%) quarantined"
        )
        for reason, n, row in quarantine.top_reasons(wh, f.file):
            lines.append(f"    {n:,} x {reason} (first at row {row})")
    lines.append(
        "The previous snapshot stays current. Fix the file or the mapping, or raise "
        "ingest.max_quarantine_pct in tieout.yml to accept it."
    )
    return "\n".join(lines)


def _files(root: Path, src: ResolvedSource) -> list[Path]:
    """Files the source's path matches; a zip stands for the exports inside it, and
    `delivery.zip!Account*.csv` picks members (see `archive`)."""
    outer, member_glob = archive.split_pattern(src.path)
    pattern = Path(outer)
    if pattern.is_absolute():
        found = Path(pattern.anchor).glob(str(pattern.relative_to(pattern.anchor)))
    else:
        found = root.glob(outer)
    return sorted(m for p in found if p.is_file() for m in archive.expand(p, member_glob))


def _display(root: Path, path: Path) -> str:
    try:
        return str(path.resolve().relative_to(root))
    except ValueError:
        return str(path)


def _file_summaries(wh: Warehouse, loads: list[PrimaryLoad]) -> list[FileSummary]:
    out: list[FileSummary] = []
    for load in loads:
        for f in load.files:
            accepted = _count(
                wh,
                load.table,
                source_system=load.system,
                source_object=load.object,
                source_file=f.path,
            )
            quarantined = _count(wh, "quarantine", source=load.source, source_file=f.path)
            superseded = _count(wh, "superseded_row", source=load.source, source_file=f.path)
            nulled = _count(wh, "field_warning", source=load.source, source_file=f.path)
            accepted += superseded
            if accepted + quarantined != f.rows_read:
                raise TieoutError(
                    f"internal error: {f.path} read {f.rows_read} rows but accepted {accepted} "
                    f"and quarantined {quarantined}"
                )
            out.append(
                FileSummary(
                    load.source,
                    f.path,
                    load.table,
                    f.load_id,
                    f.encoding,
                    f.rows_read,
                    accepted,
                    quarantined,
                    f.cached,
                    superseded,
                    nulled,
                    tuple(load.readings.get(f.path, {}).values()),
                    f.skipped,
                )
            )
    return out


def _count(wh: Warehouse, table: str, **where: str) -> int:
    """Rows (distinct source rows, for quarantine) matching every column = value."""
    condition = exp.and_(*(exp.column(k).eq(exp.Literal.string(v)) for k, v in where.items()))
    counted = exp.Count(this=exp.Distinct(expressions=[exp.column("source_row")]))
    return int(wh.scalar(exp.select(counted).from_(table).where(condition)))


def _write_load_log(wh: Warehouse, files: list[FileSummary]) -> None:
    wh.execute(
        "CREATE TABLE load_file (source VARCHAR, source_file VARCHAR, target_table VARCHAR, "
        "load_id VARCHAR, encoding VARCHAR, rows_read INTEGER, rows_accepted INTEGER, "
        "rows_quarantined INTEGER, cached BOOLEAN, rows_superseded INTEGER, "
        "fields_nulled INTEGER)"
    )
    wh.execute(
        "CREATE TABLE load_format (source_file VARCHAR, field VARCHAR, header VARCHAR, "
        "reading VARCHAR, layouts VARCHAR, n_values INTEGER, n_read INTEGER, "
        "n_plausible INTEGER, decided_by VARCHAR, alternatives VARCHAR)"
    )
    for f in files:
        for r in f.dates:
            _insert_row(
                wh,
                "load_format",
                {
                    "source_file": f.file,
                    "field": r.field,
                    "header": r.header,
                    "reading": r.shown,
                    "layouts": " | ".join(r.formats),
                    "n_values": r.values,
                    "n_read": r.read,
                    "n_plausible": r.plausible,
                    "decided_by": r.decided_by,
                    "alternatives": ", ".join(r.alternatives),
                },
            )
        _insert_row(
            wh,
            "load_file",
            {
                "source": f.source,
                "source_file": f.file,
                "target_table": f.table,
                "load_id": f.load_id,
                "encoding": f.encoding,
                "rows_read": f.rows_read,
                "rows_accepted": f.rows_accepted,
                "rows_quarantined": f.rows_quarantined,
                "cached": f.cached,
                "rows_superseded": f.rows_superseded,
                "fields_nulled": f.fields_nulled,
            },
        )


def _insert_row(wh: Warehouse, table: str, row: dict[str, Any]) -> None:
    """One row, its values named by column (in the table's column order)."""
    columns = ", ".join(row)
    values = ", ".join(f":{name}" for name in row)
    wh.execute(f"INSERT INTO {table} ({columns}) VALUES ({values})", row)
