"""Fixtures shared by the test modules."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pg import Server, server


@pytest.fixture
def cli() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Server]:
    """One PostgreSQL cluster per pytest process, started by the first test that asks."""
    with server() as running:
        yield running


@pytest.fixture(params=["sqlite", "postgresql"])
def state_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A state store URL for a fresh store: a new SQLite file, or the shared PostgreSQL
    cluster's database at the newest schema with no rows but those the migrations seed
    (skipped where PostgreSQL is not installed). Tests call `upgrade()` as every process
    does; `empty_state_url` is for tests of the migrations themselves."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    running: Server = request.getfixturevalue("pg_server")
    return running.fresh()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_state_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Like `state_url`, but the PostgreSQL database is empty: no schema at all."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    running: Server = request.getfixturevalue("pg_server")
    return running.database()
