"""The typed cache: what loading a source wrote, kept so an unchanged source is not re-typed.

Landing caches each file's text; typing, validation and mapping onto the canonical tables
(`canonical.load_source`) are most of ingest's time and used to run again on every run.
Their result depends only on the source's definition, its landed files, the date bounds
and the rows earlier sources of the same system and object put in the same table (an id
loaded twice is refused), so it is kept under a key of exactly those (and of the code that
loads it): the rows the source added to each canonical table and to quarantine,
superseded_row and field_warning, as Parquet, and how each file's dates were read. A later
run with the same key appends those rows instead of loading; anything else (a changed
file, mapping or tieout version) loads afresh and replaces the entry. The upper date bound
(the as-of date plus `ingest.latest_years_ahead`) moves every day with the as-of date, so
it is not in the key: an entry serves any upper bound after every date its source was read
as, by any layout tried, when none was implausible (else only its own). The checks across
sources (references, derived totals) run on every run either way. Only the embedded DuckDB
warehouse uses the cache.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from dataclasses import asdict, dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from sqlglot import exp

from tieout.config.presets import ResolvedSource
from tieout.engine import Warehouse
from tieout.ingest import formats
from tieout.ingest.canonical import PrimaryLoad, load_source
from tieout.ingest.land import LandedFile

VERSION = "1"
LOGS = ("quarantine", "superseded_row", "field_warning")  # rows carry the source's name
_CODE = ("tieout.ingest", "tieout.model", "tieout.engine")


@cache
def _code_digest() -> str:
    """The code that types and maps rows: a change to it re-keys every entry."""
    digest = hashlib.sha256()
    for package in _CODE:
        root = resources.files(package)
        for path in sorted(_code_files(Path(str(root)))):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _code_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.suffix in (".py", ".sql", ".yml", ".yaml")]


def _file_identity(f: LandedFile) -> dict[str, object]:
    """A landed file as loading sees it; its landing key, not where the cache sits."""
    return {
        "path": f.path,
        "sha256": f.sha256,
        "landed": Path(f.data).parent.name,
        "headers": f.headers,
        "delimiter": f.delimiter,
        "encoding": f.encoding,
        "rows_read": f.rows_read,
        "rejected": f.rejected,
        "encodings": f.encodings,
        "skipped": f.skipped,
    }


@dataclass
class TypedCache:
    """One run's use of the cache under `root`: which sources it restored or loaded."""

    root: Path
    restored: list[str] = field(default_factory=list)
    loaded: list[str] = field(default_factory=list)
    _used: set[str] = field(default_factory=set)
    _by_target: dict[tuple[str, ...], list[str]] = field(default_factory=dict)  # -> keys

    def load(
        self,
        wh: Warehouse,
        src: ResolvedSource,
        files: list[LandedFile],
        bounds: formats.Bounds,
    ) -> PrimaryLoad:
        """Restore the source's rows from the cache, or load it and keep what it wrote."""
        tables = list(src.tables)
        key = self._key(src, files, bounds)
        self._used.add(key)
        folder = self.root / key
        meta_file = folder / "meta.json"
        meta = json.loads(meta_file.read_text(encoding="utf-8")) if meta_file.exists() else None
        if meta is not None and _fits(meta, bounds):
            for name, rows in meta["tables"].items():
                if rows:
                    source = wh.parquet_source(folder / f"{name}.parquet")
                    wh.execute(exp.insert(exp.select("*").from_(source), _table(name)))
            self.restored.append(src.name)
            self._loaded_as(src, key, meta["free_after"] is not None, bounds)
            return _primary_load(src, files, meta["readings"])
        before = {name: wh.count(name) for name in (*tables, *LOGS)}
        load = load_source(wh, src, files, bounds, bound_free=True)
        self.loaded.append(src.name)
        self._loaded_as(src, key, load.bound_free_after is not None, bounds)
        self._keep(wh, src, load, bounds, before, folder)
        return load

    def _loaded_as(self, src: ResolvedSource, key: str, free: bool, bounds: formats.Bounds) -> None:
        """What later sources of the same records depend on: the entry, and the upper bound
        too when that decided something in it."""
        token = key if free else f"{key}|{bounds.latest.isoformat()}"
        for target in _targets(src):
            self._by_target.setdefault(target, []).append(token)

    def _key(
        self,
        src: ResolvedSource,
        files: list[LandedFile],
        bounds: formats.Bounds,
    ) -> str:
        targets = _targets(src)
        earlier = list(dict.fromkeys(k for t in targets for k in self._by_target.get(t, [])))
        parts = {
            "version": VERSION,
            "code": _code_digest(),
            "source": repr(src),
            "earliest": bounds.earliest.isoformat(),  # the upper bound: see `_fits`
            "files": [_file_identity(f) for f in files],
            "earlier": earlier,  # sources that loaded the same records first
        }
        text = json.dumps(parts, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:24]

    def _keep(
        self,
        wh: Warehouse,
        src: ResolvedSource,
        load: PrimaryLoad,
        load_bounds: formats.Bounds,
        before: dict[str, int],
        folder: Path,
    ) -> None:
        """Write the rows the load added; nothing when they cannot be told apart exactly."""
        paths = [exp.Literal.string(f.path) for f in load.files]
        picks: dict[str, exp.Expr] = {
            name: exp.and_(
                exp.column("source_system").eq(exp.Literal.string(src.system)),
                exp.In(this=exp.column("source_file"), expressions=paths),
            )
            for name in src.tables
        }
        picks.update({name: exp.column("source").eq(exp.Literal.string(src.name)) for name in LOGS})
        counts: dict[str, int] = {}
        for name, where in picks.items():
            counts[name] = int(wh.scalar(exp.select("count(*)").from_(_table(name)).where(where)))
            if counts[name] != wh.count(name) - before[name]:
                return  # rows of this table from elsewhere look alike: do not cache
        tmp = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        for name, where in picks.items():
            if counts[name]:
                rows = exp.select("*").from_(_table(name)).where(where)
                wh.copy_to_parquet(rows, tmp / f"{name}.parquet")
        readings = {
            path: {name: asdict(r) for name, r in fields.items()}
            for path, fields in load.readings.items()
        }
        free_after = load.bound_free_after
        meta = {
            "source": src.name,
            "tables": counts,
            "readings": readings,
            "latest": load_bounds.latest.isoformat(),
            "free_after": free_after.isoformat() if free_after else None,
        }
        (tmp / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
        shutil.rmtree(folder, ignore_errors=True)
        tmp.replace(folder)

    def prune(self) -> None:
        """Drop entries this run did not use (a file changed, a source went)."""
        if not self.root.exists():
            return
        for entry in self.root.iterdir():
            if entry.name not in self._used:
                shutil.rmtree(entry, ignore_errors=True)


def _fits(meta: dict[str, Any], bounds: formats.Bounds) -> bool:
    """An entry serves these bounds: its own upper bound, or any upper bound after every
    date its source was read as (the as-of date moves it each day; it decided nothing)."""
    if meta["latest"] == bounds.latest.isoformat():
        return True
    free_after = meta["free_after"]
    return free_after is not None and dt.date.fromisoformat(free_after) < bounds.latest


def _targets(src: ResolvedSource) -> list[tuple[str, ...]]:
    """(table, system, object) of each table the source writes: a row whose id an earlier
    source loaded under the same three is refused, so only those earlier sources matter."""
    return [(t.name, src.system, t.object) for t in src.tables.values()]


def _table(name: str) -> exp.Table:
    return exp.Table(this=exp.to_identifier(name, quoted=True))


def _primary_load(
    src: ResolvedSource, files: list[LandedFile], readings: dict[str, dict[str, dict[str, object]]]
) -> PrimaryLoad:
    primary = src.primary
    return PrimaryLoad(
        src.name,
        primary.name,
        src.system,
        primary.object,
        tuple(files),
        {
            path: {name: _reading(r) for name, r in fields.items()}
            for path, fields in readings.items()
        },
    )


def _reading(r: dict[str, object]) -> formats.Reading:
    values = dict(r)
    for name in ("formats", "alternatives"):
        values[name] = tuple(values[name])  # type: ignore[arg-type]
    return formats.Reading(**values)  # type: ignore[arg-type]
