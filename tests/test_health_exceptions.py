"""Open exceptions move account health, leadership hears of red and strategic amber
accounts, and a campaign's commitment may live in the CRM (issue 16); through the real CLI
on hand-built companies, every expected figure worked out by hand in a comment.

As-of date Tuesday 2026-03-31; the default calendar (UTC, Monday to Friday 09:00-17:30).
- Aster (strategic) renews on 2026-05-29 (its contract's end date), 59 days after the as-of
  date, within the 90-day renewal window, with ticket TA1 open since 2025-12-01 (aged: over
  30 days; too old for the 90-day SLA window, so no SLA signal): aged_cases -5 = 95, and
  the open aged_case_renewal_risk exception (high) holds it at amber. An open opportunity of 50,000
  keeps renewal_without_pipeline away.
- Birch (strategic): TB1, P2, Monday 2 March 09:00 to Wednesday 4 March 17:00 is 510 + 510 +
  480 = 1,500 business minutes against 16 h = 960: breached. sla_breaches -5 = 95, and the
  open sla_breach_strategic exception (high) holds it at amber.
- Cedar (standard): three Printer incidents in March, each solved in an hour: one
  repeat_issue exception (medium) -5 = 95, green; medium caps nothing.
- Dune (strategic): the same three tickets about Login: -5 = 95, and on a strategic account
  the repeat issue counts as high, so amber.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from cli_users import token_for
from support import assert_health_agrees_with_queue, copy_project, invoke, write_project
from tieout import pipeline
from tieout.config import load_project
from tieout.serve import create_app
from tieout.state.exceptions import act
from tieout.state.health import history
from tieout.state.users import add_user
from web_project import PASSWORD, log_in

ASTER, BIRCH, CEDAR, DUNE = (
    "001Dn000004AAAaIAO",
    "001Dn000004BBBaIAO",
    "001Dn000004CCCaIAO",
    "001Dn000004DDDaIAO",
)
YML = """
name: health
as_of: 2026-03-31
sources:
  - {name: crm, path: Account.csv, preset: salesforce.account, fields: {tier: Tier__c}}
  - {name: contracts, path: Contract.csv, preset: salesforce.contract}
  - {name: opps, path: Opportunity.csv, preset: salesforce.opportunity}
  - {name: tickets, path: ticket.csv, preset: canonical.ticket, system: salesforce}
"""
HEADER = (
    "native_id,ticket_number,account_native_id,category,topic,priority,status,opened_at,"
    "resolved_at\n"
)


def _repeats(prefix: str, account: str, topic: str) -> str:
    return "".join(
        f"{prefix}{i},{prefix}{i},{account},incident,{topic},3,resolved,2026-03-{day} 10:00:00,"
        f"2026-03-{day} 11:00:00\n"
        for i, day in enumerate(("10", "12", "16"), start=1)
    )


FILES = {
    "Account.csv": (
        "Id,Name,Tier__c\n"
        f"{ASTER},Aster Holdings Ltd,Strategic\n"
        f"{BIRCH},Birch Energy Ltd,Strategic\n"
        f"{CEDAR},Cedar Retail Ltd,Standard\n"
        f"{DUNE},Dune Logistics Ltd,Strategic\n"
    ),
    "Contract.csv": (
        "Id,ContractNumber,AccountId,Status,StartDate,EndDate,Contract_Value__c,CurrencyIsoCode\n"
        f"800Dn0000001AAAIA2,C-1,{ASTER},Activated,2025-05-30,2026-05-29,120000.00,GBP\n"
        f"800Dn0000002AAAIA2,C-2,{BIRCH},Activated,2025-01-01,2027-06-30,80000.00,GBP\n"
    ),
    "Opportunity.csv": (
        "Id,Name,AccountId,StageName,Amount,CurrencyIsoCode,CloseDate,IsClosed,IsWon,CreatedDate\n"
        f"006Dn0000001AAAIA2,Renewal,{ASTER},Prospecting,50000.00,GBP,2026-05-15,false,false,"
        "2026-02-01T10:00:00Z\n"
    ),
    "ticket.csv": HEADER
    + f"TA1,TA1,{ASTER},request,Access,3,open,2025-12-01 09:00:00,\n"
    + f"TB1,TB1,{BIRCH},incident,Billing,2,resolved,2026-03-02 09:00:00,2026-03-04 17:00:00\n"
    + _repeats("TC", CEDAR, "Printer")
    + _repeats("TD", DUNE, "Login"),
}


@pytest.fixture(scope="module")
def company_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_project(tmp_path_factory.mktemp("health") / "health", YML, FILES)
    _ok(CliRunner(), "run", "-p", str(root))
    return root


@pytest.fixture
def company(company_run: Path, tmp_path: Path) -> Path:
    """The company after its first run (run once for the module): each test's own copy."""
    return copy_project(company_run, tmp_path / "health")


def _ok(cli: CliRunner, *args: str) -> str:
    code, out = invoke(cli, *args)
    assert code == 0, out
    return out


def _json(cli: CliRunner, root: Path, *args: str) -> Any:
    return json.loads(_ok(cli, *args, "-p", str(root), "-f", "json"))


def _accounts(cli: CliRunner, root: Path) -> dict[str, dict[str, Any]]:
    return {a["name"].split()[0]: a for a in _json(cli, root, "accounts")}


def _exception_id(cli: CliRunner, root: Path, rule: str, ticket: str) -> str:
    (found,) = [
        e
        for e in _json(cli, root, "exceptions", "--rule", rule)
        if ticket in {r["native_id"] for r in e["source_refs"]}
    ]
    return str(found["id"])


def _cited(account: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    """rule -> (points, severity, cap, exception ids) of each reason an exception gives."""
    return {
        r["rule"]: (r["points"], r["severity"], r["cap"], r["exceptions"])
        for r in account["reasons"]
        if r["signal"] == "exception"
    }


def test_open_exceptions_cap_the_band_and_name_themselves(company: Path, cli: CliRunner) -> None:
    aged = _exception_id(cli, company, "aged_case_renewal_risk", "TA1")
    breach = _exception_id(cli, company, "sla_breach_strategic", "TB1")
    cedar = _exception_id(cli, company, "repeat_issue", "TC1")
    dune = _exception_id(cli, company, "repeat_issue", "TD1")
    got = _accounts(cli, company)
    expected = {  # score, band, stage
        "Aster": (95, "amber", "renewal"),
        "Birch": (95, "amber", "steady"),
        "Cedar": (95, "green", "steady"),
        "Dune": (95, "amber", "steady"),
    }
    assert {k: (Decimal(str(a["score"])), a["band"], a["stage"]) for k, a in got.items()} == {
        k: (Decimal(v[0]), v[1], v[2]) for k, v in expected.items()
    }
    assert _cited(got["Aster"]) == {"aged_case_renewal_risk": (0, "high", "amber", [aged])}
    assert _cited(got["Birch"]) == {"sla_breach_strategic": (0, "high", "amber", [breach])}
    assert _cited(got["Cedar"]) == {"repeat_issue": (-5, "medium", None, [cedar])}
    assert _cited(got["Dune"]) == {"repeat_issue": (-5, "high", "amber", [dune])}
    (dune_reason,) = [r for r in got["Dune"]["reasons"] if r["signal"] == "exception"]
    assert dune_reason["text"] == (
        f"repeat_issue open: {dune} (high as the account is strategic: amber at best)"
    )
    assert [r["signal"] for r in got["Aster"]["reasons"]] == ["exception", "aged_cases"]
    assert assert_health_agrees_with_queue(cli, company) == {"red": 0, "amber": 3, "green": 1}

    # the CLI names the id, and `tieout exceptions --id` finds it
    code, table = invoke(cli, "accounts", "-p", str(company))
    assert code == 0 and aged in table and "tieout exceptions --id" in table
    (case,) = _json(cli, company, "exceptions", "--id", aged)
    assert (case["rule"], case["severity"], case["status"]) == (
        "aged_case_renewal_risk",
        "high",
        "open",
    )
    # amber accounts come before green ones, whatever the score
    assert [a["band"] for a in _json(cli, company, "accounts")] == ["amber"] * 3 + ["green"]


def test_strategic_amber_asks_leadership_naming_the_exceptions(
    company: Path, cli: CliRunner
) -> None:
    aged = _exception_id(cli, company, "aged_case_renewal_risk", "TA1")
    breach = _exception_id(cli, company, "sla_breach_strategic", "TB1")
    dune = _exception_id(cli, company, "repeat_issue", "TD1")
    requests = _json(cli, company, "decisions", "--open")
    names = {a["account_key"]: k for k, a in _accounts(cli, company).items()}
    got = {names[r["account_key"]]: (r["raised_by"], r["exceptions"]) for r in requests}
    assert got == {  # Cedar is green: nothing to decide
        "Aster": ("threshold:strategic_amber", [aged]),
        "Birch": ("threshold:strategic_amber", [breach]),
        "Dune": ("threshold:strategic_amber", [dune]),
    }
    code, table = invoke(cli, "decisions", "-p", str(company))
    assert code == 0 and f"(Aster Holdings Ltd): behind it {aged}" in table


def test_acknowledging_keeps_the_cap_and_an_approved_waiver_lifts_it(
    company: Path, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    aged = _exception_id(cli, company, "aged_case_renewal_risk", "TA1")
    monkeypatch.setenv("TIEOUT_TOKEN", token_for(company, "cfo", "finance"))
    _ok(cli, "exceptions", "ack", aged, "-p", str(company))
    _ok(cli, "run", "-p", str(company))
    aster = _accounts(cli, company)["Aster"]
    assert (aster["band"], _cited(aster)) == (
        "amber",
        {"aged_case_renewal_risk": (0, "high", "amber", [aged])},
    )

    # a waiver above the approval limit (the contract's 120,000 at risk) only asks: still amber
    store = pipeline.state_store(load_project(company))
    act(store, aged, "waive", "renewal agreed", by="sam", approval_above=Decimal(1000))
    store.close()
    _ok(cli, "run", "-p", str(company))
    assert _accounts(cli, company)["Aster"]["band"] == "amber"
    assert_health_agrees_with_queue(cli, company)

    # approved by someone else: the next run (1 April) lifts the cap; 95 is green again
    _ok(cli, "exceptions", "approve-waiver", aged, "-p", str(company))
    _ok(cli, "run", "-p", str(company), "--as-of", "2026-04-01")
    aster = _accounts(cli, company)["Aster"]
    assert (Decimal(str(aster["score"])), aster["band"], _cited(aster)) == (95, "green", {})
    assert_health_agrees_with_queue(cli, company)

    # the history keeps the cap: amber on 31 March because of the aged case, green after
    store = pipeline.state_store(load_project(company))
    kept = [
        (h.as_of, h.band, [r.get("exceptions") for r in h.reasons if r.get("cap")])
        for h in history(store, aster["account_key"])
    ]
    store.close()
    assert kept == [
        (dt.date(2026, 3, 31), "amber", [[aged]]),
        (dt.date(2026, 4, 1), "green", []),
    ]


def test_tieout_yml_tunes_a_rules_effect(company: Path, cli: CliRunner) -> None:
    yml = company / "tieout.yml"
    text = yml.read_text(encoding="utf-8")
    yml.write_text(
        text + "health:\n  exceptions:\n    repet_issue: {points: 10}\n", encoding="utf-8"
    )
    code, out = invoke(cli, "run", "-p", str(company))
    assert code == 2 and "no rule 'repet_issue'" in out and "health.exceptions" in out, out

    # any open repeat issue keeps its account red at best, and costs 10 points
    yml.write_text(
        text + "health:\n  exceptions:\n    repeat_issue:\n      points: 10\n"
        "      caps: {medium: red, high: red}\n",
        encoding="utf-8",
    )
    _ok(cli, "run", "-p", str(company))
    got = _accounts(cli, company)
    cedar = _exception_id(cli, company, "repeat_issue", "TC1")
    assert (Decimal(str(got["Cedar"]["score"])), got["Cedar"]["band"]) == (90, "red")
    assert (Decimal(str(got["Dune"]["score"])), got["Dune"]["band"]) == (90, "red")
    assert _cited(got["Cedar"]) == {"repeat_issue": (-10, "medium", "red", [cedar])}
    # Cedar turned red: leadership is asked, with the exception behind it
    requests = _json(cli, company, "decisions", "--open")
    red = {r["account_key"]: r["exceptions"] for r in requests if "account_red" in r["raised_by"]}
    assert red[got["Cedar"]["account_key"]] == [cedar]
    assert_health_agrees_with_queue(cli, company)


def test_the_account_page_and_api_link_the_exceptions(company: Path) -> None:
    store = pipeline.state_store(load_project(company))
    add_user(store, "viewer", "viewer", PASSWORD, None)
    store.close()
    with TestClient(create_app(load_project(company))) as client:
        log_in(client, "viewer")
        items = {a["name"]: a for a in client.get("/api/v1/accounts").json()["items"]}
        aster = items["Aster Holdings Ltd"]
        (reason,) = [r for r in aster["reasons"] if r.get("exceptions")]
        (case_id,) = reason["exceptions"]
        assert reason["links"] == [f"/api/v1/exceptions/{case_id}"]
        assert client.get(reason["links"][0]).json()["case"]["status"] == "open"
        detail = client.get(f"/api/v1/accounts/{aster['account_key']}").json()
        assert detail["health"]["reasons"][0]["links"] == reason["links"]
        page = client.get(f"/accounts/{aster['account_key']}").text
        assert f'href="/exceptions/{case_id}"' in page and "amber at best" in page
        assert f'href="/exceptions/{case_id}"' in client.get("/accounts").text


# Campaigns, as-of 2026-03-31: the 180 days before it start on 2 October 2025.
# - Spring webinar: spent 400, ExpectedResponse 10 %: committed in the CRM. 4 members, one
#   responded: 25.00 %.
# - Trade show: spent 5,000, nothing committed anywhere: an exception, plan or no plan.
# - Partner day: spent 1,200, committed only in the plan (sql_rate 25): an exception until
#   the plan is approved. Its cohort: 2 MQLs, 1 SQL: 50.00 %.
# - Old mailer: spent 300 in January 2024, outside the plan and the 180 days: not checked.
# - Revenue event: spent 800, ExpectedRevenue 20,000: committed; its cohort won 1,000.
# - Roadshow: spent 700, ExpectedResponse 5 % in the CRM and sql_rate 20 in the plan: the
#   plan's entry wins once approved; no leads, so no actual.
CAMPAIGN_YML = """
name: campaigns
as_of: 2026-03-31
sources:
  - {name: campaigns, path: Campaign.csv, preset: salesforce.campaign}
  - {name: members, path: CampaignMember.csv, preset: salesforce.campaignmember}
  - {name: leads, path: Lead.csv, preset: salesforce.lead}
  - {name: opps, path: Opportunity.csv, preset: salesforce.opportunity}
"""
K = {
    "Spring webinar": "701Dn0000001AAAIA2",
    "Trade show": "701Dn0000002AAAIA2",
    "Partner day": "701Dn0000003AAAIA2",
    "Old mailer": "701Dn0000004AAAIA2",
    "Revenue event": "701Dn0000005AAAIA2",
    "Roadshow": "701Dn0000006AAAIA2",
}
LEADS = {  # lead: campaign, responded, created, MQL, SQL, converted opportunity
    "00QDn0000001AAAMA2": ("Spring webinar", "true", "2026-01-06", "2026-01-10", "", ""),
    "00QDn0000002AAAMA2": ("Spring webinar", "false", "2026-01-06", "", "", ""),
    "00QDn0000003AAAMA2": ("Spring webinar", "false", "2026-01-07", "", "", ""),
    "00QDn0000004AAAMA2": ("Spring webinar", "false", "2026-01-07", "", "", ""),
    "00QDn0000005AAAMA2": ("Partner day", "true", "2026-02-16", "2026-02-20", "2026-02-25", ""),
    "00QDn0000006AAAMA2": ("Partner day", "false", "2026-02-17", "2026-02-21", "", ""),
    "00QDn0000007AAAMA2": (
        "Revenue event", "true", "2026-03-02", "2026-03-05", "2026-03-08", "006Dn0000007AAAIA2"
    ),
}  # fmt: skip
CAMPAIGN_FILES = {
    "Campaign.csv": (
        "Id,Name,Status,StartDate,ActualCost,CurrencyIsoCode,ExpectedResponse,ExpectedRevenue\n"
        f"{K['Spring webinar']},Spring webinar,Completed,2026-01-05,400.00,GBP,10,\n"
        f"{K['Trade show']},Trade show,Completed,2026-02-01,5000.00,GBP,,\n"
        f"{K['Partner day']},Partner day,Completed,2026-02-15,1200.00,GBP,,\n"
        f"{K['Old mailer']},Old mailer,Completed,2024-01-10,300.00,GBP,,\n"
        f"{K['Revenue event']},Revenue event,Completed,2026-03-01,800.00,GBP,,20000.00\n"
        f"{K['Roadshow']},Roadshow,In Progress,2026-03-10,700.00,GBP,5,\n"
    ),
    "CampaignMember.csv": "Id,CampaignId,LeadId,HasResponded,CreatedDate\n"
    + "".join(
        f"00vDn000000{i}AAAAAA,{K[c]},{lead},{responded},{created}T10:00:00Z\n"
        for i, (lead, (c, responded, created, *_)) in enumerate(LEADS.items(), start=1)
    ),
    "Lead.csv": "Id,LastName,Company,CreatedDate,MQL_Date__c,SQL_Date__c,ConvertedOpportunityId\n"
    + "".join(
        f"{lead},L{i},Co {i},{created}T09:00:00Z,{mql},{sql},{opp}\n"
        for i, (lead, (_, _, created, mql, sql, opp)) in enumerate(LEADS.items(), start=1)
    ),
    "Opportunity.csv": (
        "Id,Name,StageName,Amount,CurrencyIsoCode,CloseDate,IsClosed,IsWon,CreatedDate\n"
        "006Dn0000007AAAIA2,Event deal,Closed Won,1000.00,GBP,2026-03-20,true,true,"
        "2026-03-08T10:00:00Z\n"
    ),
    "plans/joint.yml": (
        "plan: joint-2026\ntitle: Joint plan 2026\n"
        "targets:\n  - {period: 2026-02, metric: mqls, dimension: campaign, member: Partner day,"
        " value: 2}\n"
        "commitments:\n"
        "  - {campaign: Partner day, metric: sql_rate, value: 25.0, committed_by: Sam Sales}\n"
        "  - {campaign: Roadshow, metric: sql_rate, value: 20.0, committed_by: Sam Sales}\n"
    ),
}


def _spend_without_commitment(cli: CliRunner, root: Path, status: str = "active") -> set[str]:
    found = _json(cli, root, "exceptions", "--rule", "spend_without_commitment", "--status", status)
    return {e["source_refs"][0]["native_id"] for e in found}


def _committed(cli: CliRunner, root: Path) -> dict[tuple[str, str], tuple[Any, ...]]:
    """(cohort, metric) -> (source, committed, actual) from `tieout funnel -f json`."""
    return {
        (row["campaign"], c["metric"]): (
            c["source"],
            Decimal(c["committed"]),
            None if c["actual"] is None else Decimal(c["actual"]),
        )
        for row in _json(cli, root, "funnel")
        for c in row["commitments"]
    }


@pytest.fixture(scope="module")
def campaigns_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_project(
        tmp_path_factory.mktemp("campaigns") / "campaigns", CAMPAIGN_YML, CAMPAIGN_FILES
    )
    _ok(CliRunner(), "run", "-p", str(root))
    return root


@pytest.fixture
def campaigns(campaigns_run: Path, tmp_path: Path) -> Iterator[Path]:
    """The campaigns company after its first run (run once for the module), copied."""
    yield copy_project(campaigns_run, tmp_path / "campaigns")


def test_a_commitment_in_the_crm_counts_with_no_plan(campaigns: Path, cli: CliRunner) -> None:
    assert _spend_without_commitment(cli, campaigns) == {K["Trade show"], K["Partner day"]}
    assert _committed(cli, campaigns) == {
        ("Spring webinar", "response_rate"): ("crm", Decimal(10), Decimal(25)),
        ("Revenue event", "lead_won_value"): ("crm", Decimal(20000), Decimal(1000)),
    }
    code, table = invoke(cli, "funnel", "-p", str(campaigns))
    assert code == 0 and "Committed against actual" in table
    assert "10.00 %" in table and "25.00 %" in table and "20,000.00" in table


def test_the_plans_commitment_wins_and_clears_the_exception(
    campaigns: Path, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIEOUT_TOKEN", token_for(campaigns, "mo", "marketing"))
    _ok(cli, "plan", "import", "-p", str(campaigns))
    monkeypatch.setenv("TIEOUT_TOKEN", token_for(campaigns, "cfo", "leadership"))
    _ok(cli, "plan", "approve", "joint-2026", "-p", str(campaigns))
    _ok(cli, "run", "-p", str(campaigns))
    assert _spend_without_commitment(cli, campaigns) == {K["Trade show"]}
    assert _spend_without_commitment(cli, campaigns, "resolved") == {K["Partner day"]}
    assert _committed(cli, campaigns) == {
        ("Spring webinar", "response_rate"): ("crm", Decimal(10), Decimal(25)),
        ("Partner day", "sql_rate"): ("plan", Decimal(25), Decimal(50)),
        ("Revenue event", "lead_won_value"): ("crm", Decimal(20000), Decimal(1000)),
    }
    with pipeline.snapshots(load_project(campaigns)).open_current() as wh:
        roadshow = wh.query_dicts(
            "SELECT source, metric, committed, actual FROM campaign_commitment "
            "WHERE campaign = 'Roadshow'"
        )
    assert roadshow == [
        {"source": "plan", "metric": "sql_rate", "committed": Decimal(20), "actual": None}
    ]
