"""Fixtures shared by the test modules, and how `./dev test` spreads the tests over workers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pg import Server, server
from support import DemoCompanies

# Scheduling. `./dev test` runs pytest-xdist with `--dist loadgroup`: a group's tests run on
# one worker, one after another. A test marked @pytest.mark.xdist_group(name) is in that
# group (tests that share a session fixture, or one slow test alone so that it does not wait
# behind the rest of its file); every other test is in its file's group, as with
# `--dist loadfile`, so a module's fixtures still run once. Groups are handed out in
# collection order, and the collection puts the heaviest groups first (FIRST, measured on
# 2 workers, longest first), so a long group never starts last while the other worker
# idles. A name missing from FIRST only costs time, never a result.
#
# xdist 3.8 marks a test's group by appending "@name" to its node id (item._nodeid), which
# pytest 9.2 no longer reads (node ids are structured: pytest-xdist issue 1386), so every
# test was scheduled alone: a module's fixtures and a shared demo company were built on
# both workers. Here the workers give a marked test its "@name" suffix themselves, and the
# scheduler (FileOrGroupScheduling) puts every other test in its file's group.
FIRST = (  # CPU-seconds per group, measured on the full suite with 2 workers
    "demo-seed7",  # ~210: test_e2e_demo[7], test_match.py and test_match_keys.py share it
    "web-company",  # ~145: test_serve*.py and test_browser.py copy the one web company
    "tests/test_metrics.py",  # ~120
    "tests/test_fuzz_csv.py",  # ~120
    "demo-seed23",  # ~90
    "match-seed7",  # ~80: the demo at the default scale
    "tests/test_engine_dialect.py",  # ~15 here, but ~65 s of wall in the Spark JVM
    "tests/test_job_scores.py",
    "tests/test_reconcile.py",
    "tests/test_job_links.py",
    "tests/test_plan.py",
    "tests/test_corpus.py",
    "tests/test_health_exceptions.py",
    "tests/test_rule_fixtures.py",
    "tests/test_serve_workspace.py",
    "tests/test_operating.py",
    "tests/test_close.py",
    "tests/test_presets.py",
    "tests/test_kill_run.py",
    "tests/test_cli_controls.py",
    "tests/test_ingest.py",
    "tests/test_serve_scope.py",
    "tests/test_rule_habits.py",
    "tests/test_audit.py",
)


def _marked_group(item: pytest.Item) -> str | None:
    """The group an xdist_group mark names (several marks: their names sorted and joined
    with '_', as xdist joins them), or None."""
    names = {
        str(m.args[0] if m.args else m.kwargs.get("name", "default"))
        for m in item.iter_markers("xdist_group")
    }
    return "_".join(sorted(names)) if names else None


def _group(item: pytest.Item) -> str:
    return _marked_group(item) or item.nodeid.split("::", 1)[0]


def _scope_of(nodeid: str) -> str:
    """A test's group from its node id as the controller sees it: the name after '@' (a
    parameter may hold an '@': only one after the last ']' counts), else the test's file."""
    if nodeid.rfind("@") > nodeid.rfind("]"):
        return nodeid.rsplit("@", 1)[1]
    return nodeid.split("::", 1)[0]


@pytest.hookimpl(trylast=True)  # after xdist's own attempt at the suffix
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(FIRST)}
    items.sort(key=lambda item: rank.get(_group(item), len(FIRST)))  # stable: else as found
    if not getattr(config.option, "loadgroup", False):  # set in an xdist worker
        return
    from _pytest.nodeid import NodeId

    for item in items:
        name = _marked_group(item)
        if name is not None and _scope_of(item.nodeid) != name:
            item._id = NodeId.parse(f"{item.nodeid}@{name}")  # type: ignore[attr-defined]
    assert all(_scope_of(item.nodeid) == _group(item) for item in items)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """`--dist loadgroup` with every unmarked test in its file's group."""
    if config.getoption("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class FileOrGroupScheduling(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _scope_of(nodeid)

    return FileOrGroupScheduling(config, log)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "xdist_group(name): run with the group's other tests")
    # xdist would reorder the groups by how many tests each holds; the order above is by time
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False


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


@pytest.fixture(scope="session")
def demo_company(tmp_path_factory: pytest.TempPathFactory) -> DemoCompanies:
    """`demo_company(seed)`: the demo company at scale 0.3, run twice (support.DemoCompany)."""
    return DemoCompanies(tmp_path_factory)


@pytest.fixture(scope="session")
def web_company(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """web_project's company, built once per pytest process; each module that uses it works
    on its own copy (support.copy_project)."""
    from web_project import build

    return build(tmp_path_factory.mktemp("web-company"))
