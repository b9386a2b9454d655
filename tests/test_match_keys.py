"""Shared keys on the demo company through the real CLI: golden keys stay stable and new
records join them; people's decisions survive a full rebuild. The demo company (scale 0.3,
seed 7) is test_e2e_demo.py's: built once for both (conftest.py's `demo_company`, one xdist
group)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from cli_users import token_for
from support import DemoCompanies, copy_project, invoke
from tieout import pipeline
from tieout.config import load_project

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("demo-seed7")]
SEED = 7


@pytest.fixture
def demo(demo_company: DemoCompanies, tmp_path: Path) -> Path:
    """A copy of the demo company as `tieout demo` left it."""
    return copy_project(demo_company(SEED).built, tmp_path / "company")


def _keys(root: Path) -> dict[str, str]:
    with pipeline.snapshots(load_project(root)).open_current() as wh:
        rows = wh.query(
            "SELECT source_system || '|' || source_object || '|' || native_id, golden_key "
            "FROM xref WHERE entity_type = 'customer'"
        )
    return dict(rows)


def test_golden_keys_are_stable_and_new_records_join_them(
    demo_company: DemoCompanies, tmp_path: Path, cli: CliRunner
) -> None:
    company = demo_company(SEED)
    before = _keys(company.built)
    assert company.rerun_code == 0, company.rerun_out  # `tieout run` again, same files
    assert _keys(company.rerun) == before  # same members, same keys
    demo = copy_project(company.rerun, tmp_path / "company")

    # a second Zendesk export arrives with one known customer and one new organisation
    known = next(k for k in before if k.startswith("salesforce|Account|"))
    with pipeline.snapshots(load_project(demo)).open_current() as wh:
        name = wh.scalar(
            "SELECT name FROM account WHERE source_system = 'salesforce' AND native_id = :id",
            {"id": known.split("|")[2]},
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


def test_decisions_survive_a_full_rebuild(
    demo: Path, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = yaml.safe_load((demo / "tieout.yml").read_text(encoding="utf-8"))
    cfg["matching"] = {"upper": 0.9999, "lower": 0.01}  # send every uncertain link to review
    (demo / "tieout.yml").write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    assert invoke(cli, "run", "-p", str(demo))[0] == 0
    code, out = invoke(cli, "match", "review", "-p", str(demo), "-f", "json")
    assert code == 0, out
    items = json.loads(out)
    customers = [i for i in items if i["kind"] == "same customer"]
    bills = [i for i in items if i["kind"] == "invoice line's work order"]
    assert customers and bills, "the demo has uncertain links at these thresholds"
    # accepted, not rejected: an uncertain link is not made until someone accepts it, so a
    # rejection would hold on a rebuild whether or not it was kept
    accepted, bill = customers[0], bills[0]
    monkeypatch.setenv("TIEOUT_TOKEN", token_for(demo, "olly", "ops"))
    for item in (accepted, bill):
        assert invoke(cli, "match", "accept", item["id"], "-p", str(demo))[0] == 0

    shutil.rmtree(demo / ".tieout" / "warehouse")  # rebuild the warehouse from scratch
    shutil.rmtree(demo / ".tieout" / "landing")
    assert invoke(cli, "run", "-p", str(demo))[0] == 0
    keys = _keys(demo)
    assert keys[accepted["record"]] == keys[accepted["proposed"]]
    with pipeline.snapshots(load_project(demo)).open_current() as wh:
        method = wh.scalar(
            "SELECT method FROM xref WHERE source_system || '|' || source_object || '|' "
            "|| native_id = :record",
            {"record": accepted["record"]},
        )
        billed = wh.scalar(
            "SELECT count(*) FROM job WHERE invoice_line_id = :line AND work_order_id = :wo",
            {"line": bill["record"], "wo": bill["proposed"]},
        )
    assert method == "decision"
    assert billed == 1  # the accepted bill is tied to its work order again
    code, out = invoke(cli, "match", "review", "-p", str(demo), "-f", "json")
    assert accepted["id"] not in {i["id"] for i in json.loads(out)}

    code, out = invoke(cli, "match", "accept", "R-NOSUCH", "-p", str(demo))
    assert code == 2
