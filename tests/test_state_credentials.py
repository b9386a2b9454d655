"""The state store's password need not sit in tieout.yml: $TIEOUT_STATE_PASSWORD supplies it,
or `state.url_env` names a variable holding the whole URL. Against a real PostgreSQL that
asks for the password over TCP."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from pg import PASSWORD, Server
from support import invoke, write_project
from tieout import pipeline
from tieout.config import load_project
from tieout.errors import ConfigError


@pytest.fixture
def database(pg_server: Server) -> tuple[str, str]:
    """A new database's URL without and with the password."""
    url = pg_server.fresh()
    name = url.rsplit("/", 1)[1]
    return pg_server.url(name, password=False), url


def _project(root: Path, state: str) -> Path:
    return write_project(root, f"name: creds\nstate: {state}\n", {})


def test_the_password_comes_from_the_environment(
    tmp_path: Path, database: tuple[str, str], monkeypatch: pytest.MonkeyPatch, cli: CliRunner
) -> None:
    bare, _ = database
    root = _project(tmp_path, f"{{url: '{bare}'}}")
    assert PASSWORD not in (root / "tieout.yml").read_text()

    monkeypatch.delenv("TIEOUT_STATE_PASSWORD", raising=False)
    code, out = invoke(cli, "audit", "verify", "-p", str(root))
    assert code == 2, out
    assert "cannot reach the state store" in out and "password" in out
    assert "Traceback" not in out

    monkeypatch.setenv("TIEOUT_STATE_PASSWORD", PASSWORD)
    code, out = invoke(cli, "audit", "verify", "-p", str(root))
    assert code == 0, out
    assert "audit log intact" in out


def test_a_wrong_password_is_a_clear_error_that_hides_it(
    tmp_path: Path, database: tuple[str, str], monkeypatch: pytest.MonkeyPatch, cli: CliRunner
) -> None:
    bare, _ = database
    root = _project(tmp_path, f"{{url: '{bare}'}}")
    monkeypatch.setenv("TIEOUT_STATE_PASSWORD", "not-the-password")
    code, out = invoke(cli, "audit", "verify", "-p", str(root))
    assert code == 2, out
    assert "state.url: cannot reach the state store" in out
    assert "password authentication failed" in out
    assert "not-the-password" not in out


def test_the_whole_url_from_a_named_variable(
    tmp_path: Path, database: tuple[str, str], monkeypatch: pytest.MonkeyPatch, cli: CliRunner
) -> None:
    _, full = database
    root = _project(tmp_path, "{url_env: TIEOUT_STATE_URL}")
    monkeypatch.delenv("TIEOUT_STATE_PASSWORD", raising=False)
    monkeypatch.delenv("TIEOUT_STATE_URL", raising=False)
    code, out = invoke(cli, "audit", "verify", "-p", str(root))
    assert code == 2, out
    assert "tieout.yml:2: state.url_env:" in out
    assert "TIEOUT_STATE_URL is not set" in out

    monkeypatch.setenv("TIEOUT_STATE_URL", full)
    store = pipeline.state_store(load_project(root))
    assert store.engine.dialect.name == "postgresql"
    store.close()
    code, out = invoke(cli, "audit", "verify", "-p", str(root))
    assert code == 0, out


@pytest.mark.parametrize(
    ("state", "env", "problem"),
    [
        (
            "{url: 'postgresql+psycopg://u:inline@db/x'}",
            {"TIEOUT_STATE_PASSWORD": "p"},
            "state.url: .*has a password and \\$TIEOUT_STATE_PASSWORD is set too",
        ),
        (
            "{url: 'postgresql+psycopg://u@db/x', url_env: TIEOUT_STATE_URL}",
            {"TIEOUT_STATE_URL": "postgresql+psycopg://u@db/x"},
            "state: .*give url or url_env, not both",
        ),
        ("{url: 'not a url'}", {}, "state.url: .*not a SQLAlchemy URL"),
    ],
)
def test_ambiguous_or_bad_state_settings_are_config_errors(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    state: str,
    env: dict[str, str],
    problem: str,
) -> None:
    monkeypatch.delenv("TIEOUT_STATE_PASSWORD", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    root = _project(tmp_path, state)
    with pytest.raises(ConfigError, match=problem):
        load_project(root)


def test_sqlite_ignores_the_password_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIEOUT_STATE_PASSWORD", "unused")
    loaded = load_project(_project(tmp_path, "{url: 'sqlite:///.tieout/state.db'}"))
    assert loaded.config.state.url == "sqlite:///.tieout/state.db"
