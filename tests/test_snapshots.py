"""Snapshots are pruned by retention, runs are serialised, the state store migrates."""

from __future__ import annotations

import fcntl
from pathlib import Path

import pytest
import sqlalchemy as sa

from support import write_project
from tieout import pipeline
from tieout.config import load_project
from tieout.errors import RunLockedError
from tieout.state import StateStore

FX = "native_id,rate_date,from_currency,to_currency,rate\nFX1,2026-01-31,EUR,GBP,0.85\n"


def _project(root: Path, retention: int = 2) -> Path:
    yml = (
        f"name: s\nas_of: 2026-10-31\nwarehouse: {{retention: {retention}}}\n"
        "sources:\n  - {name: fx, path: fx.csv, preset: canonical.fx_rate}\n"
    )
    return write_project(root, yml, {"fx.csv": FX})


def test_retention_keeps_the_newest_snapshots(tmp_path: Path) -> None:
    project = load_project(_project(tmp_path, retention=2))
    ids = [pipeline.run(project).run_id for _ in range(3)]
    snaps = pipeline.snapshots(project)
    kept = [s.run_id for s in snaps.all()]
    assert kept == ids[1:]
    assert snaps.current_id() == ids[-1]
    assert not list(snaps.directory.glob("*.tmp"))


def test_a_run_refuses_while_another_holds_the_lock(tmp_path: Path) -> None:
    project = load_project(_project(tmp_path))
    lock = tmp_path / ".tieout" / "run.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        with pytest.raises(RunLockedError):
            pipeline.run(project)
    assert pipeline.run(project).run_id


def test_state_store_migrates_idempotently(tmp_path: Path) -> None:
    store = StateStore("sqlite:///state.db", tmp_path)
    store.upgrade()
    store.upgrade()
    tables = set(sa.inspect(store.engine).get_table_names())
    assert {"run", "audit_log", "alembic_version"} <= tables
    assert (tmp_path / "state.db").exists()


def test_every_run_is_audited(tmp_path: Path) -> None:
    project = load_project(_project(tmp_path))
    run_id = pipeline.run(project).run_id
    store = pipeline.state_store(project)
    with store.engine.connect() as conn:
        actions = [
            r[0]
            for r in conn.execute(
                sa.text("SELECT action FROM audit_log WHERE entity_id = :id ORDER BY id"),
                {"id": run_id},
            )
        ]
    assert actions == ["run.start", "run.succeeded"]
