"""Snapshot warehouse: each run builds a new database file and switches to it atomically.

`CURRENT` names the live snapshot. A run writes `<run_id>.duckdb.tmp`, renames it when
every stage succeeded, and only then replaces `CURRENT` (os.replace is atomic on POSIX).
A failed or killed run leaves `CURRENT` and the file it names untouched, so readers in
other processes never see a half-built warehouse.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tieout.engine.warehouse import Warehouse
from tieout.errors import NoSnapshotError

SUFFIX = ".duckdb"


@dataclass(frozen=True)
class Snapshot:
    run_id: str
    path: Path
    size_bytes: int
    current: bool


class SnapshotStore:
    def __init__(
        self,
        directory: Path,
        *,
        memory_limit: str | None = None,
        engine: str = "duckdb",
        spark_master: str = "local[2]",
        spark_conf: Mapping[str, str] | None = None,
    ) -> None:
        self.directory = directory
        self.memory_limit = memory_limit
        self.engine = engine
        self.spark_master = spark_master
        self.spark_conf = dict(spark_conf or {})

    @property
    def pointer(self) -> Path:
        return self.directory / "CURRENT"

    def current_id(self) -> str | None:
        try:
            run_id = self.pointer.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return run_id or None

    def path_for(self, run_id: str) -> Path:
        return self.directory / f"{run_id}{SUFFIX}"

    def open_current(self) -> Warehouse:
        """Open the live snapshot read-only; safe while another process runs."""
        run_id = self.current_id()
        if run_id is None:
            raise NoSnapshotError("no warehouse snapshot yet: run `tieout run` first")
        return Warehouse(self.path_for(run_id), read_only=True)

    def open_as_of(self, day: dt.date) -> Warehouse:
        """The snapshot as things stood on `day`, read-only."""
        return Warehouse(self.path_as_of(day), read_only=True)

    def path_as_of(self, day: dt.date) -> Path:
        """The newest kept snapshot whose run's as-of date is on or before `day`."""
        for snap in sorted(self.all(), key=lambda s: s.run_id, reverse=True):
            with Warehouse(snap.path, read_only=True) as wh:
                as_of = wh.scalar("SELECT max(as_of) FROM run_info")
            if as_of is not None and as_of <= day:
                return snap.path
        raise NoSnapshotError(f"no kept snapshot is as of {day} or earlier (see `tieout runs`)")

    def begin(self, run_id: str) -> Warehouse:
        self.directory.mkdir(parents=True, exist_ok=True)
        tmp = self._tmp(run_id)
        tmp.unlink(missing_ok=True)
        if self.engine == "spark":  # builds on Spark, leaves a DuckDB snapshot for serving
            from tieout.engine.spark import SparkWarehouse

            return SparkWarehouse(
                tmp, master=self.spark_master, conf=self.spark_conf, memory_limit=self.memory_limit
            )
        return Warehouse(tmp, memory_limit=self.memory_limit, spill_dir=self.directory / "spill")

    def commit(self, run_id: str) -> None:
        """Publish a finished snapshot: rename it, then swing the pointer."""
        final = self.path_for(run_id)
        self._tmp(run_id).replace(final)
        staged = self.directory / "CURRENT.tmp"
        staged.write_text(run_id + "\n", encoding="utf-8")
        with staged.open("rb") as fh:
            os.fsync(fh.fileno())
        staged.replace(self.pointer)

    def abort(self, run_id: str) -> None:
        self._tmp(run_id).unlink(missing_ok=True)
        Path(f"{self._tmp(run_id)}.wal").unlink(missing_ok=True)

    def all(self) -> list[Snapshot]:
        current = self.current_id()
        if not self.directory.exists():
            return []
        return [
            Snapshot(p.stem, p, p.stat().st_size, p.stem == current)
            for p in sorted(self.directory.glob(f"*{SUFFIX}"))
        ]

    def prune(self, keep: int) -> list[str]:
        """Delete all but the newest `keep` snapshots (never the current one) and stale temps."""
        snaps = self.all()
        doomed = [s for s in snaps[: max(len(snaps) - keep, 0)] if not s.current]
        for snap in doomed:
            snap.path.unlink(missing_ok=True)
        for tmp in self.directory.glob(f"*{SUFFIX}.tmp*"):
            tmp.unlink(missing_ok=True)
        for spilled in (self.directory / "spill").glob("*"):
            spilled.unlink(missing_ok=True)
        return [s.run_id for s in doomed]

    def _tmp(self, run_id: str) -> Path:
        return self.directory / f"{run_id}{SUFFIX}.tmp"
