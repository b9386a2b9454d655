"""The audit log is hash-chained: `tieout audit verify` passes on an untouched log and names
the entry when someone edits or deletes one directly in the database."""

from __future__ import annotations

import datetime as dt
import sqlite3
from decimal import Decimal
from importlib import resources
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from typer.testing import CliRunner

from support import invoke, write_project
from tieout.state import StateStore
from tieout.state.audit import verify
from tieout.state.exceptions import sync_cases

YML = """
name: audit
as_of: 2026-03-31
sources:
  - {name: crm, path: Account.csv, preset: salesforce.account}
"""
ACCOUNTS = "Id,Name\n001Dn000004AAAaIAK,Acme Ltd\n"


@pytest.fixture
def project(tmp_path: Path) -> tuple[CliRunner, Path]:
    cli = CliRunner()
    root = write_project(tmp_path, YML, {"Account.csv": ACCOUNTS})
    assert invoke(cli, "run", "-p", str(root))[0] == 0
    assert invoke(cli, "run", "-p", str(root))[0] == 0
    return cli, root


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


def test_entries_written_before_the_chain_are_chained_on_upgrade(tmp_path: Path) -> None:
    store = StateStore(f"sqlite:///{tmp_path / 'state.db'}", tmp_path)
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("tieout.state") / "migrations"))
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0007")
    with sqlite3.connect(tmp_path / "state.db") as db:
        for i in range(3):
            db.execute(
                "INSERT INTO audit_log (at, actor, action, entity, entity_id, detail) "
                "VALUES (?, 'ann', 'run.succeeded', 'run', ?, '{\"n\": 1}')",
                [dt.datetime(2026, 3, 1, 9, i).isoformat(sep=" "), f"r{i}"],
            )
    store.upgrade()
    store.audit("exception.ack", "exception", "EX-1", {"note": "seen"})
    verdict = verify(store)
    assert (verdict.entries, verdict.problems) == (4, [])


def test_exceptions_a_run_raises_in_bulk_are_chained(tmp_path: Path) -> None:
    """sync_cases writes its audit entries with one bulk INSERT, which skips the ORM flush
    hook; they must still join the chain (opened, then auto-resolved on the next run)."""
    store = StateStore(f"sqlite:///{tmp_path / 'state.db'}", tmp_path)
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
