"""Ingest: land every export, type and validate it, map it onto the canonical model.

Entry point `run(wh, project, ...) -> IngestSummary`. Every row read is accepted or
quarantined with its reason; per file, rows read = rows accepted + rows quarantined.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlglot import exp

from tieout.config import LoadedProject
from tieout.engine import Warehouse
from tieout.errors import TieoutError
from tieout.ingest import quarantine
from tieout.ingest.canonical import PrimaryLoad, load_source
from tieout.ingest.fieldsql import bind_fields
from tieout.ingest.land import LandedFile, land
from tieout.ingest.presets import ResolvedSource, builtin_presets, resolve_sources
from tieout.ingest.references import check_references
from tieout.model import TABLES

__all__ = ["FileSummary", "IngestSummary", "builtin_presets", "resolve_sources", "run"]

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class FileSummary:
    source: str
    file: str
    table: str
    load_id: str
    encoding: str
    rows_read: int
    rows_accepted: int
    rows_quarantined: int
    cached: bool


@dataclass(frozen=True)
class IngestSummary:
    files: tuple[FileSummary, ...]
    table_rows: dict[str, int]
    warnings: tuple[str, ...] = field(default=())

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
    progress: Progress | None = None,
) -> IngestSummary:
    sources = resolve_sources(project)
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
            )
            bind_fields(src, one)  # a file that cannot be mapped stops the run here
            landed.append(one)
            done += 1
        plan.append((src, landed))
    for tbl in TABLES:
        wh.create_model_table(tbl)
    quarantine.create_table(wh)
    loads: list[PrimaryLoad] = []
    for i, (src, landed) in enumerate(plan):
        if progress:
            progress(f"loading {src.name}", i, len(plan))
        if landed:
            loads.append(load_source(wh, src, landed))
    check_references(wh, loads)
    files = _file_summaries(wh, loads)
    _write_load_log(wh, files)
    return IngestSummary(
        files=tuple(files),
        table_rows={t.name: wh.count(t.name) for t in TABLES},
        warnings=tuple(warnings),
    )


def _files(root: Path, src: ResolvedSource) -> list[Path]:
    pattern = Path(src.path)
    if pattern.is_absolute():
        return sorted(
            p
            for p in Path(pattern.anchor).glob(str(pattern.relative_to(pattern.anchor)))
            if p.is_file()
        )
    return sorted(p for p in root.glob(src.path) if p.is_file())


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
        "rows_quarantined INTEGER, cached BOOLEAN)"
    )
    for f in files:
        wh.execute(
            "INSERT INTO load_file VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                f.source,
                f.file,
                f.table,
                f.load_id,
                f.encoding,
                f.rows_read,
                f.rows_accepted,
                f.rows_quarantined,
                f.cached,
            ],
        )
