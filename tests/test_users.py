"""Local users, login throttling, API tokens and the role x action matrix; the users and
tokens on SQLite and on a real PostgreSQL state store (the `state_url` fixture)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from cli_users import token_for
from support import invoke, write_project
from tieout import pipeline
from tieout.cli.main import app
from tieout.config import load_project
from tieout.config.access import ACTIONS, AccessConfig
from tieout.state import Base, StateStore
from tieout.state.users import User, login, token_user

YML = "name: users\n"
PASSWORD = "correct horse battery"


@pytest.fixture
def root(tmp_path: Path, state_url: str) -> Path:
    return write_project(tmp_path, f"{YML}state: {{url: '{state_url}'}}\n", {})


def _cli(root: Path, *args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(app, [*args, "-p", str(root)], input=stdin)
    return result.exit_code, result.output


def _store(root: Path) -> StateStore:
    return pipeline.state_store(load_project(root))


def _dump(root: Path) -> str:
    """Every value in every table of the store, as text."""
    store = _store(root)
    with store.connect() as conn:
        rows = [str(r) for t in Base.metadata.sorted_tables for r in conn.execute(select(t))]
    store.close()
    return "\n".join(rows)


def test_passwords_are_argon2_hashes_and_logins_are_throttled(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out = _cli(
        root, "users", "add", "ann", "--role", "finance", "--password-stdin", stdin=PASSWORD + "\n"
    )
    assert code == 0, out
    store = _store(root)
    with store.session() as s:
        ann = s.get(User, "ann")
        assert ann is not None
        stored = ann.password_hash
    assert stored.startswith("$argon2id$") and PASSWORD not in _dump(root)
    assert login(store, "ann", PASSWORD, attempts=3).ok
    for _ in range(3):
        assert not login(store, "ann", "wrong password!!", attempts=3).ok
    locked = login(store, "ann", PASSWORD, attempts=3)
    assert not locked.ok and "locked" in locked.why
    store.close()
    # ann is locked out of the web, but her password (first line) lets her set a new one
    code, out = _cli(
        root,
        "users",
        "reset-password",
        "ann",
        "--password-stdin",
        "--user",
        "ann",
        stdin=f"{PASSWORD}\nanother long password\n",
    )
    assert code == 2 and "locked" in out, out
    monkeypatch.setenv("TIEOUT_TOKEN", token_for(root, "ann", "finance"))
    reset = ("users", "reset-password", "ann", "--password-stdin")
    assert _cli(root, *reset, stdin="another long password\n")[0] == 0
    store = _store(root)
    assert login(store, "ann", "another long password", attempts=3).ok
    store.close()
    code, out = _cli(root, "users", "disable", "ann")
    assert code == 2 and "ann (role finance) may not users.admin" in out, out
    monkeypatch.setenv("TIEOUT_TOKEN", token_for(root, "root", "admin"))
    assert _cli(root, "users", "disable", "ann")[0] == 0
    store = _store(root)
    assert not login(store, "ann", "another long password", attempts=3).ok
    store.close()


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (("--role", "finance"), "at least 12 characters"),
        (("--role", "wizard"), "unknown role"),
    ],
)
def test_bad_users_are_refused(root: Path, args: tuple[str, ...], problem: str) -> None:
    password = "short\n" if problem.startswith("at least") else PASSWORD + "\n"
    code, out = _cli(root, "users", "add", "bob", *args, "--password-stdin", stdin=password)
    assert code == 2 and problem in out, out


def test_tokens_are_scoped_hashed_and_revocable(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (
        _cli(
            root,
            "users",
            "add",
            "bot",
            "--role",
            "viewer",
            "--password-stdin",
            stdin=PASSWORD + "\n",
        )[0]
        == 0
    )
    code, out = _cli(root, "tokens", "issue", "bot", "--scope", "view")
    assert code == 2 and "TIEOUT_TOKEN" in out, out  # someone must say who they are
    monkeypatch.setenv("TIEOUT_TOKEN", token_for(root, "root", "admin"))
    code, out = _cli(root, "tokens", "issue", "bot", "--scope", "view")
    assert code == 0, out
    token = out.strip()
    token_id, _, secret = token.partition(".")
    assert secret not in _dump(root)
    store = _store(root)
    found = token_user(store, token)
    assert found is not None and found[0].name == "bot" and found[1] == ["view"]
    assert token_user(store, token_id + ".not-the-secret") is None
    store.close()
    assert _cli(root, "tokens", "revoke", token_id)[0] == 0
    store = _store(root)
    assert token_user(store, token) is None
    store.close()


def test_the_default_matrix_is_safe() -> None:
    access = AccessConfig()
    assert all(access.allows("admin", a) for a in ACTIONS)
    assert [a for a in ACTIONS if access.allows("viewer", a)] == ["view"]
    assert access.allows("finance", "exceptions.waive")
    assert not access.allows("sales", "exceptions.waive")
    assert not access.allows("marketing", "plan.approve")
    assert not access.allows("service", "users.admin")


def test_an_unknown_action_in_the_matrix_is_a_config_error(tmp_path: Path) -> None:
    root = write_project(tmp_path, "name: x\naccess:\n  roles:\n    viewer: [view, fly]\n", {})
    code, out = invoke(CliRunner(), "users", "list", "-p", str(root))
    assert code == 2 and "tieout.yml" in out and "fly" in out, out
