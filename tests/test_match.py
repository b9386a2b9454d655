"""Shared keys and rules on the demo company through the real CLI: accuracy floors at the
default scale (seed 7) and on the shared demo companies at scale 0.3 (seeds 7 and 23; stable
keys and decisions: test_match_keys.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from support import DemoCompanies, invoke
from tieout.config.rules import builtin_rules

pytestmark = pytest.mark.slow


def _accuracy(cli: CliRunner, root: Path) -> dict[str, float]:
    code, out = invoke(
        cli, "match", "report", "-p", str(root), "--truth", str(root / "truth.json"), "-f", "json"
    )
    assert code == 0, out
    return {r["entity"]: r["f1"] for r in json.loads(out) if r.get("f1") is not None}


@pytest.mark.parametrize(
    "seed",
    [  # its own group (conftest.py): the suite's one demo at the default scale
        pytest.param(7, marks=pytest.mark.xdist_group("match-seed7")),
    ],
)
def test_accuracy_floors_at_default_scale(tmp_path: Path, cli: CliRunner, seed: int) -> None:
    root = tmp_path / "demo"
    code, out = invoke(cli, "demo", "--seed", str(seed), "--out", str(root))
    assert code == 0, out
    _assert_floors(cli, root)


@pytest.mark.parametrize(
    "seed",
    [  # the demo companies test_e2e_demo.py builds (scale 0.3), in their groups: only read
        pytest.param(7, marks=pytest.mark.xdist_group("demo-seed7")),
        pytest.param(23, marks=pytest.mark.xdist_group("demo-seed23")),
    ],
)
def test_accuracy_floors_on_the_shared_demo_companies(
    cli: CliRunner, demo_company: DemoCompanies, seed: int
) -> None:
    """The same floors on two more companies at no cost of their own (each a third of the
    default scale, with about as many planted cases per rule)."""
    _assert_floors(cli, demo_company(seed).built)


def _assert_floors(cli: CliRunner, root: Path) -> None:
    f1 = _accuracy(cli, root)
    assert set(f1) == {"customer", "job: work order -> quote", "job: invoice line -> quote"}
    assert all(score >= 0.98 for score in f1.values()), f1
    code, out = invoke(
        cli,
        "exceptions",
        "score",
        "-p",
        str(root),
        "--truth",
        str(root / "truth.json"),
        "-f",
        "json",
    )
    assert code == 0, out
    rules = {r["rule"]: r for r in json.loads(out)}
    assert set(rules) == set(builtin_rules())  # every built-in rule has planted cases
    # issue 5 aims at precision 0.98; not every rule is there. The truth is what the demo
    # planted (issue 15), so this scores what the rules and their job links get right, not
    # agreement with a second implementation of the rules. Measured at scale 1: a truly
    # unbilled work order that the job model gives another job's bill, or a contract's extra
    # support hours, looks billed (recall 0.960 on seed 7, 3 of 75 missed); an advisory fee
    # with no reference is read as a stage payment of a job its customer closed months
    # before (0.978 on seed 19, 1 of 45); a price raised on a line that names nothing else
    # may miss its job (0.989 on seed 7, 1 of 90); a later phase that names neither its
    # quote nor carries Quote__c is split from its job, so that job's drift is raised on the
    # wrong records (0.979 on seed 19, 2 of 96). Recall floors for those rules are lower,
    # stated here rather than hidden. (Seed 19 at scale 1 was checked here until its build,
    # a minute of CPU, gave way to the two scale-0.3 companies the suite builds anyway.)
    recall_floor = {
        "invoice_without_work": 0.93,
        "unbilled_work": 0.94,
        "price_variance": 0.97,
        "scope_drift": 0.97,
    }
    short = {
        rule: row
        for rule, row in rules.items()
        if row["precision"] < 0.9 or row["recall"] < recall_floor.get(rule, 0.98)
    }
    assert not short, short
