"""The state store on a real PostgreSQL: processes starting together migrate one empty
database without colliding, the migrated columns are as long as the models say (the
length check in state/lengths.py reads the models; PostgreSQL enforces the schema), and a
whole `tieout run` keeps its records there."""

from __future__ import annotations

import multiprocessing as mp
from importlib import resources
from pathlib import Path
from typing import Any

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from typer.testing import CliRunner

from pg import Server
from support import invoke, write_project
from tieout.state import Base, StateStore
from tieout.state.lengths import limits

MIGRATORS = 4


def _migrate(url: str, root: str, start: Any, failures: Any) -> None:
    """One process as a web worker or a CLI command starts: open the store, upgrade it."""
    store = StateStore(url, Path(root))
    start.wait()
    try:
        store.upgrade()
    except Exception as exc:  # reported by the parent, which counts failures
        failures.put(f"{type(exc).__name__}: {exc}")
    finally:
        store.close()


def _head() -> str:
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("tieout.state") / "migrations"))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    assert head is not None
    return head


def test_four_processes_migrate_one_empty_database_at_once(
    pg_server: Server, tmp_path: Path
) -> None:
    url = pg_server.database()
    fork = mp.get_context("fork")  # each child opens its own store after the fork
    start, failures = fork.Barrier(MIGRATORS), fork.Queue()
    procs = [
        fork.Process(target=_migrate, args=(url, str(tmp_path), start, failures))
        for _ in range(MIGRATORS)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    failed = []
    while not failures.empty():
        failed.append(failures.get())
    assert failed == []
    assert [p.exitcode for p in procs] == [0] * MIGRATORS

    store = StateStore(url, tmp_path)
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [
            _head()
        ]
        assert {"audit_log", "audit_head", "exception_case"} <= set(inspect(conn).get_table_names())
        assert conn.execute(text("SELECT seq FROM audit_head")).scalar_one() == 0
    store.close()


def test_the_migrated_text_columns_are_as_long_as_the_models_say(
    pg_server: Server, tmp_path: Path
) -> None:
    store = StateStore(pg_server.fresh(), tmp_path)
    with store.connect() as conn:
        columns = inspect(conn)
        migrated = {
            (t.name, c["name"]): getattr(c["type"], "length", None)
            for t in Base.metadata.sorted_tables
            for c in columns.get_columns(t.name)
        }
    store.close()
    modelled = {
        (t.name, name): length
        for t in Base.metadata.sorted_tables
        for name, length in limits(t).items()
    }
    assert {key: migrated.get(key) for key in modelled} == modelled


def test_a_run_keeps_its_records_on_postgresql(
    pg_server: Server, tmp_path: Path, cli: CliRunner
) -> None:
    yml = (
        f"name: pg\nas_of: 2026-03-31\nstate: {{url: '{pg_server.fresh()}'}}\n"
        "sources:\n  - {name: crm, path: Account.csv, preset: salesforce.account}\n"
    )
    root = write_project(tmp_path, yml, {"Account.csv": "Id,Name\n001Dn000004AAAaIAK,Acme\n"})
    code, out = invoke(cli, "run", "-p", str(root))
    assert code == 0, out
    code, out = invoke(cli, "runs", "-p", str(root), "-f", "json")
    assert code == 0 and '"succeeded"' in out, out
    code, out = invoke(cli, "audit", "verify", "-p", str(root))
    assert code == 0 and "audit log intact" in out, out
