"""`tieout state copy --to URL`: a SQLite state store moves to a real PostgreSQL with every
row, id and the audit chain intact, proven by the audit verify on the copy; a non-empty
target is refused, and a value PostgreSQL would not hold stops the copy before any row."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, inspect, select
from typer.testing import CliRunner

from pg import PASSWORD, Server
from state_workflow import fill
from support import invoke, write_project
from tieout import pipeline
from tieout.cli.main import app
from tieout.config import load_project
from tieout.state import StateStore
from tieout.state.exceptions import comment
from tieout.state.models import Base
from tieout.state.verify import verify


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = write_project(tmp_path, "name: copy\n", {})
    store = pipeline.state_store(load_project(root))
    fill(store)
    store.close()
    return root


def _rows(conn: Connection) -> dict[str, list[dict[str, Any]]]:
    return {
        t.name: [dict(r) for r in conn.execute(select(t).order_by(*t.primary_key)).mappings()]
        for t in Base.metadata.sorted_tables
    }


def test_copy_to_postgresql_keeps_every_row_and_the_chain(
    root: Path, pg_server: Server, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    full = pg_server.database()
    bare = pg_server.url(full.rsplit("/", 1)[1], password=False)
    monkeypatch.setenv("TIEOUT_STATE_PASSWORD", PASSWORD)  # the password stays off the command
    result = cli.invoke(app, ["state", "copy", "--to", bare, "-p", str(root), "-f", "json"])
    assert result.exit_code == 0, result.output
    assert "audit log intact there: 19 entries" in result.stderr
    counts = {r["table"]: r["rows"] for r in json.loads(result.stdout)}

    source = StateStore(f"sqlite:///{root / '.tieout/state.db'}", root)
    target = StateStore(full, root)
    with source.connect() as src, target.connect() as dst:
        before, after = _rows(src), _rows(dst)
        assert set(inspect(dst).get_table_names()) == set(inspect(src).get_table_names())
    assert after == before  # ids, hashes, timestamps, JSON, decimals: all as they were
    assert counts == {name: len(rows) for name, rows in before.items()}
    assert counts["audit_log"] == 19 and counts["exception_case"] == 3
    assert sum(1 for n in counts.values() if n) >= 15

    comment(target, "EX-1", "written after the move", by="fin1")  # sequences moved on
    verdict = verify(target)
    assert verdict.problems == [] and verdict.entries == 20
    source.close()
    target.close()

    code, out = invoke(cli, "state", "copy", "--to", bare, "-p", str(root))
    assert code == 2, out
    assert "already holds data" in out


def test_a_value_postgresql_cannot_hold_stops_the_copy_before_any_row(
    root: Path, pg_server: Server, cli: CliRunner
) -> None:
    url = pg_server.database()
    with sqlite3.connect(root / ".tieout/state.db") as db:  # SQLite never enforced the length
        db.execute("UPDATE exception_case SET assigned_to = ? WHERE id = 'EX-2'", ("a" * 240,))
    code, out = invoke(cli, "state", "copy", "--to", url, "-p", str(root))
    assert code == 2, out
    assert "exception_case row EX-2: assigned_to is 240 characters long" in out
    assert "Traceback" not in out

    target = StateStore(url, root)
    with target.connect() as dst:
        assert {n: len(rows) for n, rows in _rows(dst).items() if rows} == {"audit_head": 1}
    target.close()
    with sqlite3.connect(root / ".tieout/state.db") as db:
        db.execute("UPDATE exception_case SET assigned_to = 'fin1' WHERE id = 'EX-2'")
    code, out = invoke(cli, "state", "copy", "--to", url, "-p", str(root))
    assert code == 1, out  # copied, but the verify sees the edit made behind the log's back
    assert "tampered:" in out and "EX-2" in out


def test_the_target_must_be_reachable_and_another_store(root: Path, cli: CliRunner) -> None:
    code, out = invoke(cli, "state", "copy", "--to", "sqlite:///.tieout/state.db", "-p", str(root))
    assert code == 2 and "the project's own state store" in out, out
    dead = "postgresql+psycopg://tieout:x@127.0.0.1:1/tieout"
    code, out = invoke(cli, "state", "copy", "--to", dead, "-p", str(root))
    assert code == 2, out
    assert "--to: cannot reach the state store" in out and ":x@" not in out
