"""The joint plan through the real CLI: versions, approval by a second person, immutability,
plan vs actual computed by hand, the explanation workflow and the two plan rules."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from cli_users import token_for
from support import invoke, write_project
from tieout import pipeline
from tieout.config import load_project
from tieout.errors import UsageError
from tieout.plan import review_date
from tieout.state.models import AuditEvent, PlanTargetRow, PlanVersion

YML = """
name: plan
sources:
  - {name: crm, path: Account.csv, preset: salesforce.account}
  - {name: xero, path: invoices.csv, preset: xero.invoices}
  - {name: campaigns, path: Campaign.csv, preset: salesforce.campaign}
"""
ACCOUNTS = (
    "Id,Name,Website,BillingState\n"
    "001Dn000004AAAaIAO,Northwind Traders Ltd,www.northwind.co.uk,London\n"
    "001Dn000004AAAbIAO,Contoso GmbH,contoso.de,Bayern\n"
)
XERO = (
    "ContactName,EmailAddress,InvoiceNumber,Reference,InvoiceDate,DueDate,Total,Description,"
    "Quantity,UnitAmount,LineAmount,Currency,Type,Status\n"
    "Northwind Traders Ltd,,INV-1,,10/07/2026,10/08/2026,1000.00,Build,1,1000.00,1000.00,GBP,"
    "Sales invoice,Paid\n"
    "Northwind Traders Ltd,,INV-2,,20/07/2026,20/08/2026,200.00,Support,1,200.00,200.00,GBP,"
    "Sales invoice,Paid\n"
    "Contoso GmbH,,INV-3,,15/07/2026,15/08/2026,500.00,Audit,1,500.00,500.00,GBP,"
    "Sales invoice,Paid\n"
    "Northwind Traders Ltd,,CN-1,Credit against INV-1,05/08/2026,05/09/2026,100.00,Goodwill,1,"
    "100.00,100.00,GBP,Sales credit note,Paid\n"
    "Northwind Traders Ltd,,INV-4,,12/08/2026,12/09/2026,900.00,Build,1,900.00,900.00,GBP,"
    "Sales invoice,Paid\n"
    "Contoso GmbH,,INV-5,,25/08/2026,25/09/2026,700.00,Audit,1,700.00,700.00,GBP,"
    "Sales invoice,Paid\n"
)
CAMPAIGNS = (
    "Id,Name,Status,StartDate,ActualCost,CurrencyIsoCode\n"
    "701Dn000000CCCaIAO,Summer Webinar,Completed,2026-07-14,1500.00,GBP\n"  # committed
    "701Dn000000CCCbIAO,Trade Show,Completed,2026-08-03,4000.00,GBP\n"  # no commitment
    "701Dn000000CCCcIAO,Newsletter,Planned,2026-08-10,0.00,GBP\n"  # nothing spent
    "701Dn000000CCCdIAO,Old Campaign,Completed,2026-03-01,900.00,GBP\n"  # before the plan
    "701Dn000000CCCeIAO,Year End,Planned,2026-12-31,100.00,GBP\n"  # last day of the plan
)
PLAN = """plan: joint-2026
title: Joint plan 2026
cadence: monthly
review_day: 10
variance_threshold_pct: 20
targets:
  - {period: 2026-07, metric: revenue, dimension: region, member: London, value: 1000}
  - {period: 2026-07, metric: revenue, dimension: region, member: Bayern, value: 800}
  - {period: 2026-07, metric: margin_pct, dimension: region, member: London, value: 80}
  - {period: 2026-08, metric: revenue, dimension: region, member: London, value: 1000}
  - {period: 2026-08, metric: revenue, dimension: region, member: Bayern, value: 500}
  - {period: 2026-08, metric: campaign_spend, dimension: campaign, member: Trade Show, value: 2500}
  - {period: 2026-09, metric: revenue, value: 3000}
  - {period: 2026-09, metric: margin_pct, dimension: region, member: London, value: 50}
  - {period: 2026-12, metric: revenue, value: 4000}
commitments:
  - {campaign: Summer Webinar, metric: sql_rate, value: 25.0, committed_by: Ann Lee}
"""
TRADE_SHOW = {"system": "salesforce", "object": "Campaign", "native_id": "701Dn000000CCCbIAO"}


def _project(root: Path) -> Path:
    return write_project(
        root,
        YML,
        {
            "Account.csv": ACCOUNTS,
            "invoices.csv": XERO,
            "Campaign.csv": CAMPAIGNS,
            "plans/joint.yml": PLAN,
        },
    )


def _ok(cli: CliRunner, *args: str) -> str:
    code, out = invoke(cli, *args)
    assert code == 0, out
    return out


ROLES = {"alice": "marketing", "bob": "sales", "carol": "sales", "dana": "marketing"}


def _as(monkeypatch: pytest.MonkeyPatch, root: Path, name: str) -> None:
    """Act in the CLI as `name` (marketing drafts plans, sales approves them)."""
    monkeypatch.setenv("TIEOUT_TOKEN", token_for(root, name, ROLES[name]))


def _approved(cli: CliRunner, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _as(monkeypatch, root, "alice")
    _ok(cli, "plan", "import", "-p", str(root))
    _as(monkeypatch, root, "bob")
    _ok(cli, "plan", "approve", "joint-2026", "-p", str(root))


def _show(cli: CliRunner, root: Path) -> dict[tuple[str, str, str | None], dict[str, Any]]:
    report = json.loads(_ok(cli, "plan", "show", "joint-2026", "-p", str(root), "-f", "json"))
    return {(r["period"], r["metric"], r["member"]): r for r in report["rows"]}


def _exceptions(cli: CliRunner, root: Path, rule: str, status: str = "active") -> list[Any]:
    out = _ok(cli, "exceptions", "--rule", rule, "--status", status, "-p", str(root), "-f", "json")
    return list(json.loads(out))


def test_import_approve_and_immutability(
    tmp_path: Path, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(tmp_path)
    _as(monkeypatch, root, "alice")
    out = _ok(cli, "plan", "import", str(root / "plans/joint.yml"), "-p", str(root))
    assert "version 1" in out and "draft by alice" in out
    code, out = invoke(cli, "plan", "approve", "joint-2026", "-p", str(root))
    assert code == 2 and "may not plan.approve" in out  # marketing drafts, sales approves
    _as(monkeypatch, root, "bob")
    _ok(cli, "plan", "approve", "joint-2026", "-p", str(root))
    _as(monkeypatch, root, "carol")
    code, out = invoke(cli, "plan", "approve", "joint-2026", "-p", str(root))
    assert code == 2 and "cannot change or be approved again" in out
    _as(monkeypatch, root, "alice")
    assert "no new version" in _ok(cli, "plan", "import", "-p", str(root))

    (root / "plans/joint.yml").write_text(PLAN.replace("value: 800", "value: 750"), "utf-8")
    _as(monkeypatch, root, "bob")  # sales may draft and approve, never its own draft
    assert "version 2" in _ok(cli, "plan", "import", "-p", str(root))
    code, out = invoke(cli, "plan", "approve", "joint-2026", "-p", str(root))
    assert code == 2 and "imported by bob: a different person" in out
    _as(monkeypatch, root, "carol")
    listed = json.loads(_ok(cli, "plan", "versions", "joint-2026", "-p", str(root), "-f", "json"))
    assert [(v["version"], v["status"], v["author"], v["approved_by"]) for v in listed] == [
        (1, "approved", "alice", "bob"),
        (2, "draft", "bob", None),
    ]
    assert listed[0]["content_hash"] != listed[1]["content_hash"]
    code, out = invoke(cli, "plan", "approve", "joint-2026", "--version", "1", "-p", str(root))
    assert code == 2

    store = pipeline.state_store(load_project(root))
    with store.session() as s:
        bayern = s.scalars(
            select(PlanTargetRow.value).where(
                PlanTargetRow.version == 1, PlanTargetRow.member == "Bayern"
            )
        ).all()
        approvals = s.scalars(select(AuditEvent).where(AuditEvent.action == "plan.approve")).all()
    assert bayern == [Decimal("800"), Decimal("500")]  # version 1 as approved
    assert [(a.actor, a.entity_id) for a in approvals] == [("bob", "joint-2026@1")]
    with pytest.raises(UsageError, match="immutable"), store.session() as s:
        row = s.scalars(select(PlanTargetRow).where(PlanTargetRow.version == 1)).first()
        assert row is not None
        row.value = Decimal(1)
    with pytest.raises(UsageError, match="immutable"), store.session() as s:
        version = s.get(PlanVersion, ("joint-2026", 1))
        assert version is not None
        version.title = "rewritten"
    store.close()


def test_plan_file_errors_name_file_line_and_key(
    tmp_path: Path, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(tmp_path)
    _as(monkeypatch, root, "alice")
    bad = root / "plans/joint.yml"
    bad.write_text(PLAN.replace("metric: margin_pct", "metric: margin_percent", 1), "utf-8")
    code, out = invoke(cli, "plan", "import", "-p", str(root))
    assert code == 2
    assert "plans/joint.yml:9: targets.2.metric: no metric 'margin_percent'" in out
    bad.write_text(
        PLAN.replace(
            "dimension: region, member: London, value: 80",
            "dimension: product, member: WEB, value: 80",
        ),
        "utf-8",
    )
    code, out = invoke(cli, "plan", "import", "-p", str(root))
    assert code == 2 and "targets.2.dimension: margin_pct cannot be split by 'product'" in out
    bad.write_text(PLAN.replace("metric: sql_rate", "metric: sql_ratio"), "utf-8")
    code, out = invoke(cli, "plan", "import", "-p", str(root))
    assert code == 2 and "plans/joint.yml:17: commitments.0.metric: no metric 'sql_ratio'" in out
    bad.write_text(PLAN.replace("cadence: monthly", "cadence: weekly"), "utf-8")
    code, out = invoke(cli, "plan", "import", "-p", str(root))
    assert code == 2 and "plans/joint.yml:3: cadence" in out


def test_plan_vs_actual_and_the_explanation_workflow(
    tmp_path: Path, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(tmp_path)
    _approved(cli, root, monkeypatch)

    # 5 August: July is over but not yet due for review (10 August): nothing is overdue
    _ok(cli, "run", "-p", str(root), "--as-of", "2026-08-05")
    rows = _show(cli, root)
    assert rows["2026-07", "revenue", "Bayern"]["state"] == "explain by 2026-08-10"
    assert _exceptions(cli, root, "unexplained_variance") == []

    _ok(cli, "run", "-p", str(root), "--as-of", "2026-09-15")
    rows = _show(cli, root)
    hand = {  # actual, variance, variance %, needs an explanation
        # July London: 1,000 + 200 = 1,200 against 1,000: +20 % is not beyond 20 %
        ("2026-07", "revenue", "London"): ("1200.00", "200.00", "20.00", False),
        # July Bayern: 500 against 800: -300, -37.5 %
        ("2026-07", "revenue", "Bayern"): ("500.00", "-300.00", "-37.50", True),
        # a percent metric: no cost, so 100 % against 80 %: +20 points, +25 % of the target
        ("2026-07", "margin_pct", "London"): ("100.00", "20.00", "25.00", True),
        # August London: 900 - 100 credit = 800 against 1,000: -20 %, not beyond
        ("2026-08", "revenue", "London"): ("800.00", "-200.00", "-20.00", False),
        # August Bayern: 700 against 500: +40 %
        ("2026-08", "revenue", "Bayern"): ("700.00", "200.00", "40.00", True),
        # Trade Show spent 4,000 against 2,500: +60 %
        ("2026-08", "campaign_spend", "Trade Show"): ("4000.00", "1500.00", "60.00", True),
        # September to the 15th: nothing billed against 3,000
        ("2026-09", "revenue", None): ("0.00", "-3000.00", "-100.00", True),
        # a rate of nothing is no actual: nothing to explain
        ("2026-09", "margin_pct", "London"): (None, None, None, False),
        ("2026-12", "revenue", None): (None, None, None, False),
    }
    got = {
        k: (r["actual"], r["variance"], r["variance_pct"], r["needs_explanation"])
        for k, r in rows.items()
    }
    assert got == hand
    assert rows["2026-07", "revenue", "Bayern"]["state"] == "OVERDUE since 2026-08-10"
    assert rows["2026-09", "revenue", None]["state"] == "explain by 2026-10-10"
    assert rows["2026-12", "revenue", None]["state"] == "not started"
    overdue = _exceptions(cli, root, "unexplained_variance")
    refs = sorted(json.dumps(e["source_refs"]) for e in overdue)
    assert refs == sorted(
        json.dumps(r)
        for r in [
            [{"system": "tieout", "object": "plan_target", "native_id": n}]
            for n in (
                "joint-2026|2026-07|revenue|region|Bayern",
                "joint-2026|2026-07|margin_pct|region|London",
                "joint-2026|2026-08|revenue|region|Bayern",
            )
        ]
        + [[TRADE_SHOW]]
    )
    assert all(e["owner"] == "marketing" and e["amount_at_risk"] is None for e in overdue)

    _as(monkeypatch, root, "dana")
    explain = ("plan", "explain", "joint-2026", "-p", str(root))
    for period, metric, member in [
        ("2026-07", "revenue", "Bayern"),
        ("2026-07", "margin_pct", "London"),
        ("2026-08", "revenue", "Bayern"),
    ]:
        split = ("--dimension", "region", "--member", member)
        _ok(cli, *explain, "--period", period, "--metric", metric, *split, "--text", "timing")
    split = ("--dimension", "campaign", "--member", "Trade Show")
    _ok(cli, *explain, "--period", "2026-08", "--metric", "campaign_spend", *split, "--text", "x")
    code, out = invoke(cli, *explain, "--period", "2026-10", "--metric", "revenue", "--text", "x")
    assert code == 2 and "no target 2026-10 revenue" in out
    assert _show(cli, root)["2026-07", "revenue", "Bayern"]["state"] == "explained"

    _ok(cli, "run", "-p", str(root), "--as-of", "2026-09-15")
    assert _exceptions(cli, root, "unexplained_variance") == []
    assert len(_exceptions(cli, root, "unexplained_variance", "resolved")) == 4


def test_spend_without_commitment(
    tmp_path: Path, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(tmp_path)
    _ok(cli, "run", "-p", str(root), "--as-of", "2026-09-15")
    # no approved plan yet: campaigns that spent and started in the 180 days to 15 September
    # (after 19 March) with nothing committed: Summer Webinar and Trade Show; not the March
    # campaign (too old) nor Year End (starts after the as-of date)
    found = _exceptions(cli, root, "spend_without_commitment")
    got = sorted((e["source_refs"][0]["native_id"], e["amount_at_risk"]) for e in found)
    assert got == [("701Dn000000CCCaIAO", "1500.00"), ("701Dn000000CCCbIAO", "4000.00")]
    _approved(cli, root, monkeypatch)
    _ok(cli, "run", "-p", str(root), "--as-of", "2026-09-15")
    found = _exceptions(cli, root, "spend_without_commitment")
    # Trade Show (4,000, no commitment) and Year End (100, on the plan's last day); not the
    # committed Summer Webinar, the Newsletter that spent nothing, nor the March campaign
    got = sorted((e["source_refs"][0]["native_id"], e["amount_at_risk"]) for e in found)
    assert got == [("701Dn000000CCCbIAO", "4000.00"), ("701Dn000000CCCeIAO", "100.00")]
    assert {e["owner"] for e in found} == {"marketing"}
    (webinar,) = _exceptions(cli, root, "spend_without_commitment", "resolved")
    assert webinar["source_refs"][0]["native_id"] == "701Dn000000CCCaIAO"  # committed now


@pytest.mark.parametrize(
    ("start", "cadence", "expected"),
    [
        ("2026-07-01", "monthly", "2026-08-10"),
        ("2026-12-01", "monthly", "2027-01-10"),
        ("2026-07-01", "quarterly", "2026-10-10"),
        ("2026-09-01", "quarterly", "2026-10-10"),
        ("2026-11-01", "quarterly", "2027-01-10"),
    ],
)
def test_review_date(start: str, cadence: str, expected: str) -> None:
    import datetime as dt

    got = review_date(dt.date.fromisoformat(start), cadence, 10)
    assert got == dt.date.fromisoformat(expected)
