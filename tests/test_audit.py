"""The audit log is hash-chained: `tieout audit verify` passes on an untouched log and names
the entry when someone edits or deletes one directly in the database. The tests on a store
itself run on SQLite and on a real PostgreSQL (the `state_url` fixture)."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from decimal import Decimal
from importlib import resources
from pathlib import Path
from types import SimpleNamespace

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import select, text
from typer.testing import CliRunner

from support import copy_project, invoke, write_project
from tieout.state import Base, StateStore
from tieout.state.audit import entry_hash
from tieout.state.closes import prepare_close
from tieout.state.exceptions import sync_cases
from tieout.state.users import add_user, issue_token
from tieout.state.verify import verify

YML = """
name: audit
as_of: 2026-03-31
sources:
  - {name: crm, path: Account.csv, preset: salesforce.account}
"""
ACCOUNTS = "Id,Name\n001Dn000004AAAaIAK,Acme Ltd\n"


@pytest.fixture(scope="module")
def project_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cli = CliRunner()
    root = write_project(tmp_path_factory.mktemp("audit") / "audit", YML, {"Account.csv": ACCOUNTS})
    assert invoke(cli, "run", "-p", str(root))[0] == 0
    assert invoke(cli, "run", "-p", str(root))[0] == 0
    return root


@pytest.fixture
def project(project_run: Path, tmp_path: Path) -> tuple[CliRunner, Path]:
    """The project after two runs (run once for the module): each test's own copy."""
    return CliRunner(), copy_project(project_run, tmp_path / "audit")


def _db(root: Path) -> sqlite3.Connection:
    return sqlite3.connect(root / ".tieout" / "state.db")


def test_an_untouched_log_verifies(project: tuple[CliRunner, Path]) -> None:
    cli, root = project
    code, out = invoke(cli, "audit", "verify", "-p", str(root))
    assert code == 0 and "audit log intact" in out, out
    with _db(root) as db:
        (count,) = db.execute("SELECT count(*) FROM audit_log").fetchone()
    assert count >= 4  # two runs, each started and finished


def test_an_edited_entry_is_found(project: tuple[CliRunner, Path]) -> None:
    cli, root = project
    with _db(root) as db:
        db.execute("UPDATE audit_log SET actor = 'mallory' WHERE id = 2")
    code, out = invoke(cli, "audit", "verify", "-p", str(root))
    assert code == 1 and "entry 2" in out and "edited" in out, out


def test_a_deleted_entry_is_found(project: tuple[CliRunner, Path]) -> None:
    cli, root = project
    with _db(root) as db:
        db.execute("DELETE FROM audit_log WHERE id = 2")
    code, out = invoke(cli, "audit", "verify", "-p", str(root))
    assert code == 1 and "entry 3" in out and "deleted" in out, out


def _tamper(store: StateStore, sql: str, **params: object) -> None:
    """What someone with write access to the database does, behind the store's back."""
    with store.engine.begin() as conn:
        conn.execute(text(sql), params)


def test_entries_written_before_the_chain_are_chained_on_upgrade(
    empty_state_url: str, tmp_path: Path
) -> None:
    store = StateStore(empty_state_url, tmp_path)
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("tieout.state") / "migrations"))
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0007")
    for i in range(3):
        _tamper(
            store,
            "INSERT INTO audit_log (at, actor, action, entity, entity_id, detail) "
            "VALUES (:at, 'ann', 'run.succeeded', 'run', :run, '{\"n\": 1}')",
            at=dt.datetime(2026, 3, 1, 9, i),
            run=f"r{i}",
        )
    store.upgrade()
    store.audit("exception.ack", "exception", "EX-1", {"note": "seen"})
    verdict = verify(store)
    assert (verdict.entries, verdict.problems) == (4, [])


def test_exceptions_a_run_raises_in_bulk_are_chained(state_url: str, tmp_path: Path) -> None:
    """sync_cases writes its audit entries with one bulk INSERT, which skips the ORM flush
    hook; they must still join the chain (opened, then auto-resolved on the next run)."""
    store = StateStore(state_url, tmp_path)
    store.upgrade()
    store.audit("run.start", "run", "r1", {})
    found = [
        {
            "id": f"EX-{i}",
            "rule": "unbilled_work",
            "severity": "high",
            "owner": "finance",
            "account_key": None,
            "amount_at_risk": Decimal("10.00"),
            "detail": f"case {i}",
            "source_refs": "[]",
        }
        for i in range(3)
    ]
    day = dt.date(2026, 3, 31)
    sync_cases(store, found, day, lambda row, first: ("high", "finance"))
    store.audit("run.start", "run", "r2", {})
    sync_cases(store, found[:1], day + dt.timedelta(days=1), lambda row, first: ("high", "finance"))
    verdict = verify(store)
    assert verdict.problems == []
    assert verdict.entries == 2 + 3 + 2  # two runs, three opened, two auto-resolved


# --- anchored outside the table: truncation and re-chaining (issue 17) -----------------


def _store_with_entries(url: str, root: Path, n: int) -> StateStore:
    store = StateStore(url, root)
    store.upgrade()
    for i in range(n):
        store.audit("exception.viewed", "exception", f"EX-{i}", {"i": i})
    return store


def _careful_truncation(store: StateStore, keep: int) -> None:
    """What someone with write access to the database does: delete the newest entries and
    set the head row to what is left, so the table agrees with itself."""
    with store.engine.begin() as db:
        db.execute(text("DELETE FROM audit_log WHERE id > :keep"), {"keep": keep})
        last = db.scalar(text("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1"))
        db.execute(
            text("UPDATE audit_head SET seq = :seq, hash = :hash"),
            {"seq": keep, "hash": last or "0" * 64},
        )


@pytest.mark.parametrize("keep", [39, 10, 0])  # the last one, the last 30, all of them
def test_deleting_the_newest_entries_is_found(state_url: str, tmp_path: Path, keep: int) -> None:
    store = _store_with_entries(state_url, tmp_path, 40)
    assert verify(store).problems == []
    _careful_truncation(store, keep)
    problems = verify(store).problems
    assert any(f"the newest {40 - keep:,} were deleted" in p for p in problems), problems


def test_a_rewritten_and_rechained_log_is_found(state_url: str, tmp_path: Path) -> None:
    """Change who did something, then recompute every hash after it (and the head row)."""
    store = _store_with_entries(state_url, tmp_path, 10)
    with store.engine.begin() as db:
        db.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE id = 3"))
        prev = "0" * 64
        log = Base.metadata.tables["audit_log"]
        for row in db.execute(select(log).order_by(log.c.id)).mappings().all():
            prev_hash, prev = prev, entry_hash(prev, SimpleNamespace(**row))
            db.execute(
                log.update().where(log.c.id == row["id"]).values(prev_hash=prev_hash, hash=prev)
            )
        db.execute(text("UPDATE audit_head SET hash = :hash"), {"hash": prev})
    problems = verify(store).problems
    assert any("entry 3 (id 3)" in p and "rewritten" in p for p in problems), problems


def test_a_forged_or_missing_checkpoint_is_found(state_url: str, tmp_path: Path) -> None:
    store = _store_with_entries(state_url, tmp_path, 5)
    checkpoints = tmp_path / ".tieout" / "audit.checkpoints"
    with checkpoints.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps({"seq": 3, "hash": "0" * 64, "at": "now", "sig": "f" * 64}) + "\n")
    assert any("checkpoints:6 (now) is not signed" in p for p in verify(store).problems)
    checkpoints.unlink()
    assert any("checkpoint file" in p and "missing" in p for p in verify(store).problems)


def test_runs_anchor_the_head_in_their_record(project: tuple[CliRunner, Path]) -> None:
    """Each run signs the head into its record, so truncation shows even when the
    checkpoint file went with it."""
    cli, root = project
    (root / ".tieout" / "audit.checkpoints").unlink()
    with _db(root) as db:
        (runs,) = db.execute("SELECT count(DISTINCT run_id) FROM audit_anchor").fetchone()
        (entries,) = db.execute("SELECT count(*) FROM audit_log").fetchone()
    assert runs == 2
    _careful_truncation(StateStore(f"sqlite:///{root / '.tieout' / 'state.db'}", root), entries - 1)
    code, out = invoke(cli, "audit", "verify", "-p", str(root))
    assert code == 1 and "'s anchor" in out and "were deleted" in out, out


# --- the workflow tables equal what the log says ---------------------------------------


def _workflow_store(url: str, root: Path) -> StateStore:
    store = StateStore(url, root)
    store.upgrade()
    found = [
        {
            "id": "EX-1",
            "rule": "unbilled_work",
            "severity": "high",
            "owner": "finance",
            "account_key": None,
            "amount_at_risk": Decimal("36000.00"),
            "detail": "case",
            "source_refs": "[]",
        }
    ]
    sync_cases(store, found, dt.date(2026, 3, 31), lambda row, first: ("high", "finance"))
    prepare_close(
        store,
        "2026-03",
        figures={},
        currency="GBP",
        as_of=dt.date(2026, 3, 31),
        run_id=None,
        by="fin1",
    )
    add_user(store, "viewer1", "viewer", "a long password!", None)
    issue_token(store, "viewer1", ["exceptions.act"])
    return store


@pytest.mark.parametrize(
    ("sql", "words"),
    [
        ("UPDATE exception_case SET status = 'waived', reason = 'x'", "exception EX-1: status"),
        (
            "UPDATE period_close SET status = 'signed_off', signed_off_by = 'fin2'",
            "close 2026-03: status",
        ),
        ("UPDATE app_user SET role = 'admin'", "user viewer1: role"),
        ("UPDATE app_user SET password_hash = 'known'", "user viewer1: credential"),
        (
            "INSERT INTO api_token (id, user_name, token_hash, scopes, created_at) "
            "VALUES ('back', 'viewer1', 'x', '[\"exceptions.waive\"]', '2026-03-31')",
            "token back has no entry",
        ),
        (
            "INSERT INTO match_decision VALUES ('D-1', 'customer', 'xero|contact|9', "
            "'salesforce|account|1', 'accept', 'fin1', '2026-03-31', NULL)",
            "match decision accept xero|contact|9",
        ),
        ("DELETE FROM exception_case", "exception EX-1 is in the audit log but no longer"),
    ],
)
def test_a_table_changed_without_an_entry_is_found(
    state_url: str, tmp_path: Path, sql: str, words: str
) -> None:
    store = _workflow_store(state_url, tmp_path)
    assert verify(store).problems == []
    _tamper(store, sql)
    problems = verify(store).problems
    assert any(words in p for p in problems), problems
