"""Helpers for tests: write a small project to disk and run the real CLI on it."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tieout.cli.main import app
from tieout.state.exceptions import OPEN_STATUSES


def invoke(runner: CliRunner, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def write_project(root: Path, yml: str, files: dict[str, str | bytes]) -> Path:
    """A project whose hand-written files may set aside any share of their rows: tests plant
    bad rows in tiny files (the limit itself is tested in test_ingest_rules)."""
    root.mkdir(parents=True, exist_ok=True)
    if "\ningest:" not in f"\n{yml}":
        yml = yml.rstrip("\n") + "\ningest: {max_quarantine_pct: 100}\n"  # keeps line numbers
    (root / "tieout.yml").write_text(yml, encoding="utf-8")
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def add_source(root: Path, entry: str) -> None:
    """Append one `- {...}` entry to the project's sources list (written last but for the
    `ingest:` line write_project adds)."""
    yml = root / "tieout.yml"
    head, sep, tail = yml.read_text(encoding="utf-8").partition("\ningest:")
    yml.write_text(f"{head.rstrip()}\n  - {entry}\n{sep.lstrip()}{tail}", encoding="utf-8")


def _cli_json(cli: CliRunner, root: Path, *args: str) -> Any:
    code, out = invoke(cli, *args, "-p", str(root), "-f", "json")
    assert code == 0, out
    return json.loads(out)


def assert_health_agrees_with_queue(cli: CliRunner, root: Path) -> dict[str, int]:
    """No account with an open high or critical exception is green, and every exception a
    health reason cites is open and on that account. Returns the bands, counted."""
    cases = {e["id"]: e for e in _cli_json(cli, root, "exceptions", "--status", "all")}
    accounts = _cli_json(cli, root, "accounts")
    serious = {
        e["account_key"]
        for e in cases.values()
        if e["status"] in OPEN_STATUSES and e["severity"] in ("high", "critical")
    }
    green = [a["name"] for a in accounts if a["band"] == "green" and a["account_key"] in serious]
    assert green == [], green
    for a in accounts:
        for r in a["reasons"]:
            for case_id in r.get("exceptions", []):
                case = cases[case_id]
                assert case["status"] in OPEN_STATUSES, (a["name"], case_id, case["status"])
                assert case["account_key"] == a["account_key"], (a["name"], case_id)
    bands = {"red": 0, "amber": 0, "green": 0}
    for a in accounts:
        bands[a["band"]] += 1
    return bands


def copy_project(template: Path, dest: Path) -> Path:
    """A copy of a project that has already run, for one test to change: the expensive run
    happens once and each test gets its own copy (a project may be copied or moved; its
    landing cache and state store follow it)."""
    shutil.copytree(template, dest, symlinks=True)
    return dest


@dataclass(frozen=True)
class DemoCompany:
    """The demo company at scale 0.3 as `tieout demo` left it (`built`), and a copy of it
    after a second `tieout run -f json` over the same files (`rerun`, with that command's
    exit code and output). Both are shared: a test only reads them, and copies one
    (support.copy_project) to change it."""

    built: Path
    rerun: Path
    rerun_code: int
    rerun_out: str


class DemoCompanies:
    """Each seed's demo company, built the first time a test asks for it in this pytest
    process. A demo run is the suite's most expensive step; the tests that share one are in
    one xdist group, so it is built once."""

    def __init__(self, base: pytest.TempPathFactory) -> None:
        self._base = base
        self._built: dict[int, DemoCompany] = {}

    def __call__(self, seed: int) -> DemoCompany:
        if seed not in self._built:
            folder = self._base.mktemp(f"demo-seed{seed}")
            built, rerun = folder / "built", folder / "rerun"
            code, out = invoke(
                CliRunner(), "demo", "--scale", "0.3", "--seed", str(seed), "--out", str(built)
            )
            assert code == 0, out
            copy_project(built, rerun)
            code, out = invoke(CliRunner(), "run", "-p", str(rerun), "--format", "json")
            self._built[seed] = DemoCompany(built, rerun, code, out)
        return self._built[seed]
