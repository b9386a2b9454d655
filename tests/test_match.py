"""Shared keys and rules on the demo company through the real CLI: accuracy floors at the
default scale (stable keys and decisions: test_match_keys.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from support import invoke
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
    [  # each seed a group of its own (conftest.py): two workers can take one each
        pytest.param(7, marks=pytest.mark.xdist_group("match-seed7")),
        pytest.param(19, marks=pytest.mark.xdist_group("match-seed19")),
    ],
)
def test_accuracy_floors_at_default_scale(tmp_path: Path, cli: CliRunner, seed: int) -> None:
    root = tmp_path / "demo"
    code, out = invoke(cli, "demo", "--seed", str(seed), "--out", str(root))
    assert code == 0, out
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
    # stated here rather than hidden.
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
