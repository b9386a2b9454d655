"""One `tieout run`: every stage into a fresh snapshot, switched to only when all succeed."""

from __future__ import annotations

import datetime as dt
import fcntl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from tieout import (
    __version__,
    accounts,
    facts,
    ingest,
    match,
    metrics,
    operations,
    plan,
    reconcile,
)
from tieout.accounts import AccountsSummary
from tieout.config import LoadedProject
from tieout.engine import SnapshotStore, Warehouse
from tieout.errors import RunFailedError, RunLockedError, TieoutError
from tieout.facts import FactsSummary
from tieout.ingest import IngestSummary
from tieout.match import MatchSummary
from tieout.metrics import MetricsSummary
from tieout.model.lookups import LOOKUPS
from tieout.operations import OperationsSummary
from tieout.plan import PlanSummary
from tieout.reconcile import ReconcileSummary
from tieout.state import StateStore

Progress = Callable[[str, int, int], None]
T = TypeVar("T")
WORK_DIR = ".tieout"


@dataclass(frozen=True)
class RunSummary:
    run_id: str
    as_of: dt.date
    ingest: IngestSummary
    match: MatchSummary
    facts: FactsSummary
    operations: OperationsSummary
    reconcile: ReconcileSummary
    metrics: MetricsSummary
    plan: PlanSummary
    accounts: AccountsSummary
    seconds: float
    stage_seconds: dict[str, float]
    pruned: tuple[str, ...]


def snapshots(project: LoadedProject) -> SnapshotStore:
    cfg, spark = project.config.warehouse, project.config.spark
    return SnapshotStore(
        project.root / cfg.dir,
        memory_limit=cfg.memory_limit,
        engine=cfg.engine,
        spark_master=spark.master,
        spark_conf=spark.conf,
    )


def attachments(project: LoadedProject) -> Path:
    """Where documents attached to exceptions are kept, each named by its SHA-256."""
    return project.root / WORK_DIR / "attachments"


def state_store(project: LoadedProject) -> StateStore:
    store = StateStore(project.config.state.url, project.root)
    store.upgrade()
    return store


def resolve_as_of(project: LoadedProject, as_of: dt.date | None) -> dt.date:
    return as_of or project.config.as_of or dt.date.today()


def run(
    project: LoadedProject,
    *,
    as_of: dt.date | None = None,
    progress: Progress | None = None,
    retrain: bool = False,
) -> RunSummary:
    """Every stage in order. `project` holds every definition already loaded and checked
    (`load_project`), so a bad one has stopped the run before anything was built."""
    as_of = resolve_as_of(project, as_of)
    work = project.root / WORK_DIR
    work.mkdir(parents=True, exist_ok=True)
    with _run_lock(work / "run.lock"):
        store = state_store(project)
        snaps = snapshots(project)
        run_id = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S-%f")[:-3]
        store.start_run(run_id, as_of)
        started = time.perf_counter()
        stages: dict[str, float] = {}
        stage = ["start"]  # the stage running now, named when one fails
        last = snaps.current_id()
        previous = snaps.path_for(last) if last else None
        wh = snaps.begin(run_id)
        try:

            def timed(name: str, label: str, work: Callable[[], T]) -> T:
                stage[0] = name
                if progress and label:
                    progress(label, 0, 1)
                t0 = time.perf_counter()
                out = work()
                stages[name] = round(time.perf_counter() - t0, 3)
                return out

            cache = work / "landing"
            summary = timed(
                "ingest",
                "",
                lambda: ingest.run(wh, project, cache_dir=cache, as_of=as_of, progress=progress),
            )
            matched = timed(
                "match",
                "matching customers and jobs",
                lambda: match.run(wh, project, store, retrain=retrain, previous=previous),
            )
            known = timed(
                "facts",
                "facts: customer keys, rates, jobs",
                lambda: facts.run(wh, project, as_of),
            )
            operated = timed(
                "operations",
                "operations: SLA clocks, capacity, funnel",
                lambda: operations.run(wh, project, as_of),
            )
            measured = timed(
                "metrics", "metrics: building the marts", lambda: metrics.run(wh, project, as_of)
            )
            planned = timed(
                "plan",
                "plan: targets against actuals",
                lambda: plan.run(wh, project, store, as_of),
            )
            reconciled = timed(
                "reconcile",
                "reconciling: running the exception rules",
                lambda: reconcile.run(wh, project, store, as_of),
            )
            health = timed(
                "accounts",
                "accounts: health scores and decisions",
                lambda: accounts.run(wh, project, store, as_of),
            )
            timed("lookups", "indexing for look-ups", lambda: _index_lookups(wh))
            wh.execute("CREATE TABLE run_info (run_id VARCHAR, as_of DATE, tieout_version VARCHAR)")
            wh.execute(
                "INSERT INTO run_info VALUES (:run_id, :as_of, :version)",
                {"run_id": run_id, "as_of": as_of, "version": __version__},
            )
            wh.close()
            snaps.commit(run_id)
        except BaseException as exc:
            wh.close()
            snaps.abort(run_id)
            failure = _as_failure(exc, stage)
            store.finish_run(
                run_id,
                status="failed",
                stage_seconds=stages,
                error=str(failure),
                files=getattr(exc, "files", None),
            )
            if failure is exc:
                raise
            raise failure from exc
        pruned = snaps.prune(project.config.warehouse.retention)
        seconds = round(time.perf_counter() - started, 3)
        store.finish_run(
            run_id,
            status="succeeded",
            rows=(summary.rows_read, summary.rows_accepted, summary.rows_quarantined),
            table_rows=summary.table_rows,
            stage_seconds=stages,
            files=[ingest.file_record(f) for f in summary.files],
        )
        store.close()
        return RunSummary(
            run_id,
            as_of,
            summary,
            matched,
            known,
            operated,
            reconciled,
            measured,
            planned,
            health,
            seconds,
            stages,
            tuple(pruned),
        )


def _as_failure(exc: BaseException, stage: list[str]) -> BaseException:
    """A failure people can act on: tieout's own errors as they are, anything else named
    by the stage it stopped (never a traceback); an interrupt stays an interrupt."""
    if isinstance(exc, TieoutError) or not isinstance(exc, Exception):
        return exc
    return RunFailedError(f"the {stage[0]} stage failed: {type(exc).__name__}: {exc}")


def _index_lookups(wh: Warehouse) -> None:
    for table, column in LOOKUPS:
        wh.create_index(table, column)


@contextmanager
def _run_lock(path: Path) -> Iterator[None]:
    """One run per project at a time; the OS drops the lock if the process dies."""
    with path.open("w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunLockedError(f"another tieout run is in progress ({path})") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
