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
    """A state store URL for a fresh, empty store: a SQLite file, or a new database on the
    shared PostgreSQL cluster (skipped where PostgreSQL is not installed)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    running: Server = request.getfixturevalue("pg_server")
    return running.database()
