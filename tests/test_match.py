"""Shared keys on the demo company through the real CLI: accuracy floors, stable golden keys,
and people's decisions that survive a full rebuild."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from support import invoke
from tieout import pipeline
from tieout.config import load_project
from tieout.reconcile import builtin_rules

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo") / "company"
    code, out = invoke(CliRunner(), "demo", "--scale", "0.3", "--seed", "5", "--out", str(root))
    assert code == 0, out
    return root


@pytest.fixture
def demo(demo_template: Path, tmp_path: Path) -> Path:
    root = tmp_path / "company"
    shutil.copytree(demo_template, root)
    return root


def _keys(root: Path) -> dict[str, str]:
    with pipeline.snapshots(load_project(root)).open_current() as wh:
        rows = wh.query(
            "SELECT source_system || '|' || source_object || '|' || native_id, golden_key "
            "FROM xref WHERE entity_type = 'customer'"
        )
    return dict(rows)


def _accuracy(cli: CliRunner, root: Path) -> dict[str, float]:
    code, out = invoke(
        cli, "match", "report", "-p", str(root), "--truth", str(root / "truth.json"), "-f", "json"
    )
    assert code == 0, out
    return {r["entity"]: r["f1"] for r in json.loads(out) if r.get("f1") is not None}


@pytest.mark.parametrize("seed", [7, 19])
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


def test_golden_keys_are_stable_and_new_records_join_them(demo: Path, cli: CliRunner) -> None:
    before = _keys(demo)
    assert invoke(cli, "run", "-p", str(demo))[0] == 0
    assert _keys(demo) == before  # same members, same keys

    # a second Zendesk export arrives with one known customer and one new organisation
    known = next(k for k in before if k.startswith("salesforce|Account|"))
    with pipeline.snapshots(load_project(demo)).open_current() as wh:
        name = wh.scalar(
            "SELECT name FROM account WHERE source_system = 'salesforce' AND native_id = ?",
            [known.split("|")[2]],
        )
    header = (
        "Id,Requester,Requester email,Subject,Status,Priority,Ticket type,Created at,Organization"
    )
    (demo / "exports/zendesk/more.csv").write_text(
        f"{header}\n"
        f"990001,Kim,kim@x.example,Help,Open,Normal,Question,2026-10-01 09:00:00,{name}\n"
        "990002,Lee,lee@y.example,Hi,Open,Normal,Question,2026-10-02 09:00:00,Zyxwv Quux Ltd\n",
        encoding="utf-8",
    )
    cfg = yaml.safe_load((demo / "tieout.yml").read_text(encoding="utf-8"))
    for src in cfg["sources"]:
        if src["preset"] == "zendesk.tickets":
            src["path"] = "exports/zendesk/*.csv"
    (demo / "tieout.yml").write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    assert invoke(cli, "run", "-p", str(demo))[0] == 0
    after = _keys(demo)
    assert {k: after[k] for k in before} == before  # nobody else's key changed
    assert after[f"zendesk|organization|{name}"] == before[known]  # joined the existing key
    assert after["zendesk|organization|Zyxwv Quux Ltd"] not in set(before.values())


def test_decisions_survive_a_full_rebuild(demo: Path, cli: CliRunner) -> None:
    cfg = yaml.safe_load((demo / "tieout.yml").read_text(encoding="utf-8"))
    cfg["matching"] = {"upper": 0.9999, "lower": 0.01}  # send every uncertain link to review
    (demo / "tieout.yml").write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    assert invoke(cli, "run", "-p", str(demo))[0] == 0
    code, out = invoke(cli, "match", "review", "-p", str(demo), "-f", "json")
    assert code == 0, out
    items = json.loads(out)
    assert len(items) >= 2, "the demo has uncertain links at these thresholds"
    accepted, rejected = items[0], items[1]
    assert invoke(cli, "match", "accept", accepted["id"], "-p", str(demo))[0] == 0
    assert invoke(cli, "match", "reject", rejected["id"], "-p", str(demo), "--note", "no")[0] == 0

    shutil.rmtree(demo / ".tieout" / "warehouse")  # rebuild the warehouse from scratch
    shutil.rmtree(demo / ".tieout" / "landing")
    assert invoke(cli, "run", "-p", str(demo))[0] == 0
    keys = _keys(demo)
    assert keys[accepted["record"]] == keys[accepted["proposed"]]
    assert keys[rejected["record"]] != keys[rejected["proposed"]]
    with pipeline.snapshots(load_project(demo)).open_current() as wh:
        method = wh.scalar(
            "SELECT method FROM xref WHERE source_system || '|' || source_object || '|' "
            "|| native_id = ?",
            [accepted["record"]],
        )
    assert method == "decision"
    code, out = invoke(cli, "match", "review", "-p", str(demo), "-f", "json")
    assert accepted["id"] not in {i["id"] for i in json.loads(out)}

    code, out = invoke(cli, "match", "accept", "R-NOSUCH", "-p", str(demo))
    assert code == 2
