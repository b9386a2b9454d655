"""The CLI's `--user NAME` login is the web's sign-in without the session (state/sessions.py):
one answer whether the name is unknown, disabled, locked or only mistyped its password, the
same hash work for an unknown name, and every failure, lockout and login in the audit chain
under the name tried. Before, the CLI said which (\"unknown or disabled user\", \"wrong
password\"), skipped the hash for unknown names and audited nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from support import write_project
from tieout import pipeline
from tieout.cli.main import app
from tieout.config import load_project
from tieout.state import sessions
from tieout.state.models import AuditEvent
from tieout.state.sessions import REFUSED
from tieout.state.users import add_user, set_active
from tieout.state.verify import verify

PASSWORD = "correct horse battery"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = write_project(tmp_path, "name: cli-login\naccess:\n  login_attempts: 3\n", {})
    store = pipeline.state_store(load_project(root))
    for name in ("alice", "bob", "cyril"):
        add_user(store, name, "finance", PASSWORD, None)
    set_active(store, "bob", False)
    store.close()
    return root


def _as(root: Path, name: str, password: str) -> tuple[int, str]:
    """A command that authenticates with `--user NAME` (the password on standard input)."""
    args = ["tokens", "issue", name, "--scope", "view", "--user", name, "-p", str(root)]
    result = CliRunner(env={"TIEOUT_TOKEN": ""}).invoke(app, args, input=password + "\n")
    return result.exit_code, " ".join(result.output.split())


def _entries(root: Path) -> list[tuple[Any, ...]]:
    store = pipeline.state_store(load_project(root))
    try:
        with store.session() as s:
            query = select(AuditEvent).where(AuditEvent.action.like("user.lo%"))
            return [
                (e.actor, e.action, e.entity_id, e.detail.get("why"), e.detail.get("via"))
                for e in s.scalars(query.order_by(AuditEvent.id))
            ]
    finally:
        store.close()


def test_every_failed_cli_login_gets_one_answer(root: Path) -> None:
    answers = {}
    for name, password in [("ghost", PASSWORD), ("bob", PASSWORD), ("alice", "not it at all")]:
        code, out = _as(root, name, password)
        assert code == 2 and REFUSED in out, out
        answers[name] = out.replace(name, "NAME")
    assert len(set(answers.values())) == 1, answers


def test_an_unknown_name_is_hashed_like_a_known_one(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[str] = []
    real = sessions._verify

    def counted(hashed: str, password: str) -> bool:
        checked.append(hashed)
        return real(hashed, password)

    monkeypatch.setattr(sessions, "_verify", counted)
    assert _as(root, "ghost", PASSWORD)[0] == 2
    assert len(checked) == 1 and checked[0].startswith("$argon2")


def test_cli_logins_failures_and_lockouts_are_audited(root: Path) -> None:
    for _ in range(3):
        assert _as(root, "alice", "not it at all")[0] == 2
    assert _as(root, "alice", PASSWORD)[0] == 2  # locked: the right password is refused
    assert _as(root, "ghost", "whatever")[0] == 2
    assert _as(root, "cyril", PASSWORD)[0] == 0
    assert _entries(root) == [
        ("alice", "user.login_failed", "alice", "wrong password", "cli"),
        ("alice", "user.login_failed", "alice", "wrong password", "cli"),
        ("alice", "user.login_failed", "alice", "wrong password", "cli"),
        ("tieout", "user.locked", "alice", None, "cli"),
        ("alice", "user.login_failed", "alice", "locked", "cli"),
        ("ghost", "user.login_failed", "ghost", "unknown or disabled user", "cli"),
        ("cyril", "user.login", "cyril", None, "cli"),
    ]
    store = pipeline.state_store(load_project(root))
    try:
        assert verify(store).problems == []
    finally:
        store.close()
