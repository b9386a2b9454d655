"""The plan, scorecards, close and data pages and their API through FastAPI's test client, on
a small hand-made company built with the real CLI; every figure is worked out by hand in a
comment. Also: approval and sign-off by a second person, the match review, row conservation,
and these pages' forms by role (every route's permission: test_serve_routes.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from support import invoke, write_project
from tieout import pipeline
from tieout.config import load_project
from tieout.config.access import ACTIONS, ROLES
from tieout.periods import Period
from tieout.reconcile.close import close_from_snapshot, frozen_figures
from tieout.serve import create_app
from tieout.serve.pages.data import conservation
from tieout.state.closes import prepare_close
from tieout.state.matching import reviews
from tieout.state.models import AuditEvent, MatchReview
from tieout.state.plans import approve, import_version
from tieout.state.users import add_user, issue_token
from web_project import PASSWORD, csrf_of, log_in

YML = """
name: workspace
as_of: 2026-09-30
scorecards:
  finance: [revenue, margin_pct, receivables]
  ps: [quoted_value, sqls, on_time_delivery]
sources:
  - {name: crm, path: Account.csv, preset: salesforce.account,
     fields: {tax_number: VAT_Number__c}}
  - {name: quotes, path: Quote.csv, preset: salesforce.quote}
  - {name: wo, path: WorkOrder.csv, preset: salesforce.workorder}
  - {name: changes, path: changes.csv, preset: canonical.work_order_change, system: salesforce}
  - {name: xero, path: invoices.csv, preset: xero.invoices}
  - {name: fx, path: fx.csv, preset: canonical.fx_rate}
  - {name: campaigns, path: Campaign.csv, preset: salesforce.campaign}
  - {name: members, path: CampaignMember.csv, preset: salesforce.campaignmember}
  - {name: leads, path: Lead.csv, preset: salesforce.lead}
  - {name: erp, path: erp.csv, system: erp, object: customer, table: account,
     fields: {native_id: native_id, name: name, tax_number: tax_number}}
"""
PLAN = """plan: joint-2026
title: Joint plan 2026
cadence: monthly
review_day: 10
variance_threshold_pct: 20
targets:
  - {period: 2026-08, metric: revenue, value: 200}
  - {period: 2026-08, metric: revenue, dimension: region, member: London, value: 300}
  - {period: 2026-09, metric: revenue, value: 1000}
  - {period: 2026-09, metric: revenue, dimension: region, member: Bayern, value: 500}
  - {period: 2026-10, metric: revenue, value: 2000}
commitments: []
"""
FILES = {
    # Northwind is in London, Contoso in Bayern (the plan's regions)
    "Account.csv": (
        "Id,Name,Website,BillingState,VAT_Number__c\n"
        "001Dn000004AAAaIAO,Northwind Traders Ltd,www.northwind.co.uk,London,GB 123 4567 89\n"
        "001Dn000004AAAbIAO,Contoso GmbH,contoso.de,Bayern,DE811111111\n"
    ),
    "Quote.csv": (
        "Id,QuoteNumber,Name,AccountId,Status,CreatedDate,TotalPrice,CurrencyIsoCode\n"
        "0Q0Dn000001QQQaKAO,00000201,Website - Northwind,001Dn000004AAAaIAO,Accepted,"
        "2026-08-01T09:00:00Z,1000.00,GBP\n"
        "0Q0Dn000001QQQbKAO,00000202,Audit - Contoso,001Dn000004AAAbIAO,Accepted,"
        "2026-08-01T09:00:00Z,2000.00,EUR\n"
    ),
    "WorkOrder.csv": (
        "Id,WorkOrderNumber,AccountId,Status,Subject,StartDate,TotalPrice,CurrencyIsoCode,"
        "Quote__c,Completed_Date__c\n"
        # quoted 1,000 + a priced change of 200, finished 10 Sep; billed 1,200, 100 credited
        "0WODn000001WWWaOAO,00000101,001Dn000004AAAaIAO,Completed,Website,"
        "2026-08-20T09:00:00Z,1200.00,GBP,0Q0Dn000001QQQaKAO,2026-09-10T17:00:00Z\n"
        # 2,000 EUR finished 5 Sep, never invoiced: unbilled work after 14 days
        "0WODn000001WWWbOAO,00000102,001Dn000004AAAbIAO,Completed,Audit,"
        "2026-09-01T09:00:00Z,2000.00,EUR,0Q0Dn000001QQQbKAO,2026-09-05T17:00:00Z\n"
        # finished in August: not part of the September close
        "0WODn000001WWWcOAO,00000103,001Dn000004AAAaIAO,Completed,Training,"
        "2026-08-01T09:00:00Z,300.00,GBP,,2026-08-15T17:00:00Z\n"
    ),
    "changes.csv": (
        "native_id,work_order_native_id,changed_at,description,hours_delta,value_delta,priced,"
        "currency\n"
        "CHG-1,0WODn000001WWWaOAO,2026-08-25,Extra page,2,200,true,GBP\n"
    ),
    "invoices.csv": (
        "ContactName,EmailAddress,InvoiceNumber,Reference,InvoiceDate,DueDate,Total,"
        "Description,Quantity,UnitAmount,LineAmount,Currency,Type,Status\n"
        "Northwind Traders Ltd,,INV-1,WO-00000101,12/09/2026,12/10/2026,1200.00,Website build,"
        "1,1200.00,1200.00,GBP,Sales invoice,Paid\n"
        "Northwind Traders Ltd,,CN-1,Credit against INV-1,20/09/2026,20/10/2026,100.00,"
        "Goodwill credit,1,100.00,100.00,GBP,Sales credit note,Paid\n"
        "Northwind Traders Ltd,,INV-2,WO-00000103,16/08/2026,16/09/2026,300.00,Training,1,"
        "300.00,300.00,GBP,Sales invoice,Paid\n"
    ),
    "fx.csv": "native_id,rate_date,from_currency,to_currency,rate\nFX1,2026-08-31,EUR,GBP,0.85\n",
    # one campaign, 300 spent; L1 MQL, SAL, SQL; L2 MQL; L3 nothing; L4's date is unreadable,
    # so L4 and its campaign membership are quarantined
    "Campaign.csv": (
        "Id,Name,Status,StartDate,ActualCost,CurrencyIsoCode\n"
        "701Dn0000001AAAIA2,Autumn webinar,Completed,2026-09-01,300.00,GBP\n"
    ),
    "CampaignMember.csv": "Id,CampaignId,LeadId,CreatedDate\n"
    + "".join(
        f"00vDn000000{i}AAAAAA,701Dn0000001AAAIA2,00QDn000000{i}AAAAAA,2026-09-0{i}T10:00:00Z\n"
        for i in range(1, 5)
    ),
    "Lead.csv": (
        "Id,LastName,Company,LeadSource,CreatedDate,MQL_Date__c,SAL_Date__c,SQL_Date__c\n"
        "00QDn0000001AAAMA2,One,Alpha Ltd,Web,2026-09-01T10:00:00Z,2026-09-05,2026-09-08,"
        "2026-09-12\n"
        "00QDn0000002AAAMA2,Two,Beta Ltd,Web,2026-09-02T10:00:00Z,2026-09-06,,\n"
        "00QDn0000003AAAMA2,Three,Gamma Ltd,Web,2026-09-03T10:00:00Z,,,\n"
        "00QDn0000004AAAMA2,Four,Delta Ltd,Web,yesterday,,,\n"
    ),
    # each ERP customer's name says one CRM account and its VAT number the other: review
    "erp.csv": (
        "native_id,name,tax_number\n"
        "E2,Northwind Traders Limited,DE811111111\n"
        "E3,Contoso GmbH,GB123456789\n"
    ),
    "plans/joint.yml": PLAN,
}
ERP_NORTHWIND = "erp|customer|E2"  # decided through the page in one test
ERP_CONTOSO = "erp|customer|E3"  # decided again and again by the matrix


def _draft(store: Any, plan: str) -> None:
    """A one-target draft plan imported by someone who is no web user."""
    target = {"period": "2026-08", "metric": "revenue", "dimension": None, "member": None}
    import_version(
        store,
        {
            "plan": plan,
            "title": plan,
            "cadence": "monthly",
            "review_day": 10,
            "variance_threshold_pct": 20,
            "targets": [{**target, "value": Decimal(100)}],
            "commitments": [],
        },
        digest=plan,
        source="test",
        author="planner",
    )


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_project(tmp_path_factory.mktemp("workspace"), YML, FILES)
    loaded = load_project(root)
    store = pipeline.state_store(loaded)
    for role in ROLES:
        add_user(store, role, role, PASSWORD, None)
    # the CLI's writers authenticate: each acts with their own token
    as_ = {
        role: CliRunner(env={"TIEOUT_USER": role, "TIEOUT_TOKEN": issue_token(store, role, scopes)})
        for role, scopes in (
            ("sales", ["plan.edit"]),
            ("leadership", ["plan.approve"]),
            ("finance", ["close.signoff"]),
        )
    }
    for role, args in (
        ("sales", ("plan", "import")),  # version 1, imported by sales
        ("leadership", ("plan", "approve", "joint-2026")),
        ("sales", ("run",)),
        ("finance", ("close", "prepare", "--period", "2026-09")),
    ):
        code, out = invoke(as_[role], *args, "-p", str(root))
        assert code == 0, out
    (root / "plans/joint.yml").write_text(PLAN.replace("Joint plan 2026", "Joint plan, revised"))
    code, out = invoke(as_["sales"], "plan", "import", "-p", str(root))  # version 2, a draft
    assert code == 0 and "version 2" in out, out

    # what the matrix acts on, one of each per role, so every allowed call can succeed
    for role in ROLES:
        _draft(store, f"api-{role}")
        _draft(store, f"form-{role}")
    _draft(store, "explain-me")
    approve(store, "explain-me", 1, by="approver")
    with pipeline.snapshots(loaded).open_current() as wh:
        for i in range(1, len(ROLES) + 1):
            for year in (2024, 2025):
                month = Period.month(f"{year}-{i:02d}")
                close, run_id = close_from_snapshot(wh, loaded, store, month)
                prepare_close(
                    store,
                    month.label,
                    figures=frozen_figures(close),
                    currency="GBP",
                    as_of=close.as_of,
                    run_id=run_id,
                    by="preparer",
                )
    store.close()
    return root


@pytest.fixture(scope="module")
def app(project: Path) -> FastAPI:
    return create_app(load_project(project))


@pytest.fixture(scope="module")
def tokens(project: Path) -> dict[str, str]:
    """A bearer token per role with every scope, so the role alone decides."""
    store = pipeline.state_store(load_project(project))
    try:
        return {role: issue_token(store, role, list(ACTIONS)) for role in ROLES}
    finally:
        store.close()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


def _post(client: TestClient, path: str, data: dict[str, str], back: str) -> Any:
    """A form post with the page's CSRF token; returns the redirect it answers with."""
    r = client.post(path, data={**data, "csrf": csrf_of(client, back)}, follow_redirects=False)
    assert r.status_code == 303, (r.status_code, r.text)
    return r


def _review_id(project: Path, member: str) -> str:
    store = pipeline.state_store(load_project(project))
    try:
        with store.session() as s:
            found = s.scalars(select(MatchReview.id).where(MatchReview.member_id == member)).one()
        return str(found)
    finally:
        store.close()


def _audit(project: Path, action: str) -> list[tuple[str, str]]:
    store = pipeline.state_store(load_project(project))
    try:
        with store.session() as s:
            rows = s.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()
            return [(e.actor, e.entity_id) for e in rows]
    finally:
        store.close()


def test_plan_against_actual_the_funnel_and_explaining_a_variance(
    project: Path, client: TestClient
) -> None:
    log_in(client, "viewer")
    rows = client.get("/api/v1/plans/joint-2026/variance").json()["rows"]
    got = {
        (r["period"], r["member"]): (r["actual"], r["variance"], r["variance_pct"], r["state"])
        for r in rows
    }
    # as of 30 September; August is due for review on 10 September, September on 10 October
    assert got == {
        # August invoices: INV-2 300 against 200: +100, +50 % > 20 %, not explained
        ("2026-08", None): ("300.00", "100.00", "50.00", "OVERDUE since 2026-09-10"),
        # all of August's 300 is Northwind's (London): on target
        ("2026-08", "London"): ("300.00", "0.00", "0.00", "within threshold"),
        # September: INV-1 1,200 - CN-1 100 = 1,100 against 1,000: +10 %
        ("2026-09", None): ("1100.00", "100.00", "10.00", "within threshold"),
        # nothing billed to Contoso (Bayern): -500, -100 %, not yet due
        ("2026-09", "Bayern"): ("0.00", "-500.00", "-100.00", "explain by 2026-10-10"),
    }  # October has not started: not measured
    listed = {p["plan"]: p for p in client.get("/api/v1/plans").json()["items"]}
    joint = listed["joint-2026"]
    assert (joint["measured"], joint["to_explain"], joint["overdue"]) == (1, 2, 1)
    first = joint["versions"][0]
    assert (first["status"], first["author"], first["approved_by"]) == (
        "approved",
        "sales",
        "leadership",
    )

    page = client.get("/plan").text
    assert "OVERDUE since 2026-09-10" in page and "1,100.00" in page and "-500.00" in page
    assert "Variances to explain: 2, 1 overdue" in page
    assert "Approve</button>" not in page and "Explain</button>" not in page  # a viewer
    # the funnel: 3 leads (the fourth is quarantined), 2 MQLs, 1 SAL, 1 SQL; 300 / 2 MQLs =
    # 150.00 per MQL; 1 SQL of 2 MQLs = 50.0 %
    (webinar,) = client.get("/api/v1/funnel").json()["rows"]
    assert {k: webinar[k] for k in ("campaign", "leads", "mqls", "sals", "sqls", "won")} == {
        "campaign": "Autumn webinar",
        "leads": 3,
        "mqls": 2,
        "sals": 1,
        "sqls": 1,
        "won": 0,
    }
    assert (Decimal(webinar["cost_per_mqls"]), webinar["mql_to_sql_pct"]) == (Decimal(150), 50.0)
    stages = "".join(f'<td class="num">{n}</td>' for n in (3, 2, 1, 1, 0, 0))
    assert f"<td>Autumn webinar</td>\n    {stages}" in page
    assert client.get("/api/v1/funnel?period=2025").json()["rows"] == []

    client.post("/logout", data={"csrf": csrf_of(client, "/plan")})
    log_in(client, "marketing")  # plan.edit: explains the overdue variance
    target = {"period": "2026-08", "metric": "revenue", "dimension": "", "member": ""}
    r = _post(client, "/plan/joint-2026/explain", {**target, "text": " "}, "/plan")
    assert "must say why" in client.get(r.headers["location"]).text
    _post(client, "/plan/joint-2026/explain", {**target, "text": "INV-2 billed early"}, "/plan")
    page = client.get("/plan").text
    assert "INV-2 billed early" in page and "Variances to explain: 1</h3>" in page
    rows = client.get("/api/v1/plans/joint-2026/variance").json()["rows"]
    (august,) = [r for r in rows if r["period"] == "2026-08" and r["member"] is None]
    assert (august["state"], august["explained_by"]) == ("explained", "marketing")
    assert ("marketing", "joint-2026") in _audit(project, "plan.explain")


def test_a_plan_version_is_approved_by_someone_other_than_its_author(
    project: Path, client: TestClient, tokens: dict[str, str]
) -> None:
    log_in(client, "sales")  # sales imported version 2 and may approve plans
    assert "/plan/joint-2026/versions/2/approve" in client.get("/plan").text
    r = _post(client, "/plan/joint-2026/versions/2/approve", {}, "/plan")
    assert "problem=" in r.headers["location"]
    page = client.get(r.headers["location"]).text
    assert "was imported by sales: a different person" in page
    refused = client.post(
        "/api/v1/plans/joint-2026/versions/2/approve",
        headers={"Authorization": f"Bearer {tokens['sales']}"},
    )
    assert refused.status_code == 400 and "a different person" in refused.json()["detail"]
    assert ("sales", "joint-2026@2") not in _audit(project, "plan.approve")

    client.post("/logout", data={"csrf": csrf_of(client, "/plan")})
    log_in(client, "leadership")
    r = _post(client, "/plan/joint-2026/versions/2/approve", {}, "/plan")
    assert "done=" in r.headers["location"]
    assert "Version 2 has been approved since: the next run measures it" in client.get("/plan").text
    (joint,) = [p for p in client.get("/api/v1/plans").json()["items"] if p["plan"] == "joint-2026"]
    assert (joint["approved"], joint["versions"][1]["approved_by"]) == (2, "leadership")
    assert ("leadership", "joint-2026@2") in _audit(project, "plan.approve")


def test_scorecards_with_as_of_month_values_and_the_lint(client: TestClient) -> None:
    log_in(client, "viewer")
    found = client.get("/api/v1/scorecards").json()
    assert (found["month"], found["compared_with"]) == ("2026-09", "2026-08")
    cards = {f["function"]: {m["metric"]: m for m in f["metrics"]} for f in found["functions"]}
    revenue = cards["finance"]["revenue"]
    # September 1,200 - 100 credited = 1,100; August 300; +800
    assert (revenue["value"], revenue["previous"], revenue["change"]) == (
        "1100.00",
        "300.00",
        "800.00",
    )
    # no costs recorded: the whole 1,100 is margin
    assert Decimal(cards["finance"]["margin_pct"]["value"]) == 100
    # the two quotes (1,000 GBP + 2,000 EUR at 0.85) were made in August, none in September
    assert Decimal(cards["ps"]["quoted_value"]["previous"]) == Decimal("2700.00")
    assert cards["ps"]["sqls"]["value"] == "1.00"  # L1
    # ps is scored on two of three metrics that sales owns: the lint warns
    assert [w["function"] for w in found["warnings"]] == ["ps"]
    page = client.get("/scorecards").text
    assert "1,100.00" in page and "+800.00" in page
    assert 'href="/metrics/revenue?by=customer"' in page
    assert "scored mostly on other functions" in page
    assert client.get("/metrics/revenue?by=customer").status_code == 200


def test_the_close_page_ties_out_september(client: TestClient) -> None:
    log_in(client, "viewer")
    found = client.get("/api/v1/close").json()  # the as-of month by default
    assert (found["period"], found["prepared_by"]) == ("2026-09", "finance")
    by_name = {c["customer"]: c for c in found["customers"]}
    measures = ("quoted", "delivered", "billed", "credited", "unbilled", "unexplained")
    # Northwind: quoted 1,000 + change 200 = delivered 1,200 = billed; 100 credited with no
    # exception saying why: billing gap 1,200 - (1,200 - 100) = 100, unexplained
    assert [by_name["Northwind Traders Ltd"][m] for m in measures] == [
        "1000.00",
        "1200.00",
        "1200.00",
        "100.00",
        "0.00",
        "100.00",
    ]
    # Contoso: 2,000 EUR at 0.85 = 1,700 quoted and delivered, nothing billed; the open
    # unbilled_work exception explains the gap
    assert [by_name["Contoso GmbH"][m] for m in measures] == [
        "1700.00",
        "1700.00",
        "0.00",
        "0.00",
        "1700.00",
        "0.00",
    ]
    assert [found["total"][m] for m in measures] == [
        "2700.00",
        "2900.00",
        "1200.00",
        "100.00",
        "1700.00",
        "100.00",
    ]
    (unexplained,) = found["unexplained_jobs"]
    page = client.get("/close").text
    assert "2,900.00" in page and "1,700.00" in page
    assert f'href="/jobs/{unexplained["job_key"]}"' in page
    assert client.get(f"/jobs/{unexplained['job_key']}").status_code == 200
    csv = client.get("/api/v1/close.csv?period=2026-09").text.splitlines()
    assert csv[-1].startswith(",TOTAL,2,2700.00,200.00,2900.00,1200.00,100.00,1700.00")
    assert client.get("/close?period=2026-13").status_code == 400

    client.post("/logout", data={"csrf": csrf_of(client, "/close")})
    log_in(client, "sales")  # owns no account in the CRM: no customer, the company total
    mine = client.get("/api/v1/close").json()
    assert (mine["customers"], mine["jobs"], mine["total"]["jobs"]) == ([], [], 2)


def test_the_preparer_cannot_sign_off(project: Path, client: TestClient) -> None:
    log_in(client, "finance")  # finance prepared 2026-09
    r = _post(client, "/close/2026-09/signoff", {}, "/close")
    page = client.get(r.headers["location"]).text
    assert "prepared by finance: a different person must sign it off" in page
    assert client.get("/api/v1/close").json()["status"] == "prepared"

    client.post("/logout", data={"csrf": csrf_of(client, "/close")})
    log_in(client, "admin")
    r = _post(client, "/close/2026-09/signoff", {}, "/close")
    assert "done=" in r.headers["location"]
    assert "Signed off by admin" in client.get("/close?period=2026-09").text
    assert ("admin", "2026-09") in _audit(project, "close.signoff")


def test_the_data_page_conserves_rows_and_lists_the_quarantine(client: TestClient) -> None:
    log_in(client, "viewer")
    page = client.get("/data").text
    # 23 rows in ten files; Lead.csv 4 = 3 + 1 (L4's date), CampaignMember.csv 4 = 3 + 1
    # (L4's membership names a lead that was not accepted)
    assert "Every row accounted for: read 23 = accepted 21 + quarantined 2." in page
    assert re.search(r"<td>Lead\.csv</td><td>lead</td>\s*<td class=\"num\">4</td>", page)
    assert "got &#39;yesterday&#39;" in page and "00QDn0000004AAAMA2,Four,Delta Ltd" in page
    assert "Quarantine <small>2 rows" in page
    loads = client.get("/api/v1/runs").json()
    assert loads["unbalanced"] == [] and loads["runs"][0]["current"] is True
    second = client.get("/api/v1/quarantine?limit=1&offset=1").json()
    assert second["total"] == 2 and [r["source_file"] for r in second["items"]] == [
        "CampaignMember.csv"
    ]
    csv = client.get("/api/v1/quarantine.csv").text.splitlines()
    assert len(csv) == 3 and csv[1].startswith("leads,lead,Lead.csv,5,CreatedDate,")
    assert "Accept</button>" not in page  # a viewer may not review matches


def test_conservation_flags_a_file_that_loses_rows() -> None:
    found = conservation(
        [
            {"source_file": "a.csv", "rows_read": 4, "rows_accepted": 3, "rows_quarantined": 1},
            {"source_file": "b.csv", "rows_read": 5, "rows_accepted": 3, "rows_quarantined": 1},
        ]
    )
    assert [f["balanced"] for f in found["files"]] == [True, False]
    assert found["unbalanced"] == ["b.csv"]
    assert found["total"] == {"rows_read": 9, "rows_accepted": 6, "rows_quarantined": 2}


def test_accepting_a_proposed_match(project: Path, client: TestClient) -> None:
    review = _review_id(project, ERP_NORTHWIND)
    log_in(client, "ops")
    page = client.get("/data").text
    assert f'action="/data/reviews/{review}"' in page and "Northwind Traders Limited" in page
    r = _post(
        client, f"/data/reviews/{review}", {"decision": "accept", "note": "same VAT"}, "/data"
    )
    assert "done=" in r.headers["location"]
    store = pipeline.state_store(load_project(project))
    (row,) = [i for i in reviews(store, status=None) if i.id == review]
    store.close()
    assert row.status == "accepted"
    assert ("ops", review) in _audit(project, "match.accept")
    queue = client.get("/api/v1/match-reviews").json()["items"]
    assert review not in [i["id"] for i in queue]


def test_forms_need_the_csrf_token_and_anonymous_callers_log_in(client: TestClient) -> None:
    for path in ("/plan", "/scorecards", "/close", "/data"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login"
    for path in ("/api/v1/plans", "/api/v1/scorecards", "/api/v1/close", "/api/v1/runs"):
        assert client.get(path).status_code == 401
    assert client.post("/api/v1/close/2026-09/signoff").status_code == 401
    log_in(client, "admin")
    assert client.post("/close/2026-09/signoff", data={}).status_code == 403


# the default access matrix, written out by hand (not read back from the code)
ALLOWED = {
    "view": set(ROLES),
    "plan.approve": {"admin", "leadership", "sales"},
    "plan.edit": {"admin", "sales", "marketing"},
    "close.signoff": {"admin", "finance"},
    "match.review": {"admin", "finance", "ops"},
}


@pytest.mark.parametrize("role", ROLES)
def test_role_x_form_matrix(project: Path, client: TestClient, role: str) -> None:
    """The same permissions on the page forms (a session with its CSRF token)."""
    log_in(client, role)
    review = _review_id(project, ERP_CONTOSO)
    month = f"2024-{ROLES.index(role) + 1:02d}"
    explanation = {"period": "2026-08", "metric": "revenue", "text": f"said by {role}"}
    forms = [
        (f"/plan/form-{role}/versions/1/approve", {}, "plan.approve"),
        ("/plan/explain-me/explain", explanation, "plan.edit"),
        (f"/close/{month}/signoff", {}, "close.signoff"),
        (f"/data/reviews/{review}", {"decision": "reject"}, "match.review"),
    ]
    token = csrf_of(client, "/plan")
    for path, data, action in forms:
        r = client.post(path, data={**data, "csrf": token}, follow_redirects=False)
        if role in ALLOWED[action]:
            assert r.status_code == 303 and "done=" in r.headers["location"], (role, path)
        else:
            assert r.status_code == 403, (role, path, r.status_code)
