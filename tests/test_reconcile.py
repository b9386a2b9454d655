"""Exception rules on hand-made exports, checked by hand; the exception lifecycle; rule errors."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli_users import token_for
from support import copy_project, invoke, write_project
from tieout.config.rules import Rule, check_rule
from tieout.config.yamlfile import LocatedYaml
from tieout.errors import ConfigError

ACCOUNTS = (
    "Id,Name,Website\n"
    "001Dn000004AAAaIAO,Northwind Traders Ltd,www.northwind.co.uk\n"
    "001Dn000004AAAbIAO,Contoso GmbH,contoso.de\n"
)
WORK_ORDERS = (
    "Id,WorkOrderNumber,AccountId,Status,Subject,StartDate,TotalPrice,CurrencyIsoCode,"
    "Completed_Date__c\n"
    # billed by INV-1 (its reference names it)
    "0WODn000001WWWaOAO,00000101,001Dn000004AAAaIAO,Completed,Website,2026-01-05T09:00:00Z,"
    "1000.00,GBP,2026-02-01T17:00:00Z\n"
    # completed months ago, never invoiced: unbilled work (EUR)
    "0WODn000001WWWbOAO,00000102,001Dn000004AAAbIAO,Completed,Audit,2026-03-01T09:00:00Z,"
    "2000.00,EUR,2026-04-01T17:00:00Z\n"
    # completed 5 days before the as-of date: inside the 14-day grace
    "0WODn000001WWWcOAO,00000103,001Dn000004AAAaIAO,Completed,Training,2026-10-20T09:00:00Z,"
    "300.00,GBP,2026-10-26T17:00:00Z\n"
)
XERO_HEADER = (
    "ContactName,EmailAddress,InvoiceNumber,Reference,InvoiceDate,DueDate,Total,Description,"
    "Quantity,UnitAmount,LineAmount,Currency,Type,Status\n"
)
XERO_ROWS = [
    "Northwind Traders Ltd,ap@northwind.co.uk,INV-1,WO-00000101,10/02/2026,10/03/2026,1000.00,"
    "Website build,1,1000.00,1000.00,GBP,Sales invoice,Paid",
    # the same bill twice, four days apart: a duplicate (and neither bills any work)
    "Contoso GmbH,ap@contoso.de,INV-2,,01/06/2026,01/07/2026,500.00,Consulting,1,500.00,"
    "500.00,EUR,Sales invoice,Paid",
    "Contoso GmbH,ap@contoso.de,INV-3,,05/06/2026,05/07/2026,500.00,Consulting,1,500.00,"
    "500.00,EUR,Sales invoice,Paid",
]
FX = "native_id,rate_date,from_currency,to_currency,rate\nFX1,2026-09-30,EUR,GBP,0.85\n"
YML = """
name: rec
as_of: 2026-10-31
sources:
  - {name: crm, path: Account.csv, preset: salesforce.account}
  - {name: wo, path: WorkOrder.csv, preset: salesforce.workorder}
  - {name: xero, path: invoices.csv, preset: xero.invoices}
  - {name: fx, path: fx.csv, preset: canonical.fx_rate}
"""


def _project(root: Path, rows: list[str]) -> Path:
    return write_project(
        root,
        YML,
        {
            "Account.csv": ACCOUNTS,
            "WorkOrder.csv": WORK_ORDERS,
            "invoices.csv": XERO_HEADER + "\n".join(rows) + "\n",
            "fx.csv": FX,
        },
    )


@pytest.fixture(scope="module")
def reconciled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hand-made exports after one run, shared: a test that changes them copies them."""
    root = _project(tmp_path_factory.mktemp("reconciled"), XERO_ROWS)
    code, out = invoke(CliRunner(), "run", "-p", str(root))
    assert code == 0, out
    return root


def _exceptions(cli: CliRunner, root: Path, *args: str) -> list[dict[str, object]]:
    code, out = invoke(cli, "exceptions", "-p", str(root), "-f", "json", *args)
    assert code == 0, out
    return list(json.loads(out))


def test_rules_find_what_a_person_would(reconciled: Path, cli: CliRunner) -> None:
    root = reconciled
    found = {
        (e["rule"], tuple(r["native_id"] for r in e["source_refs"])): e
        for e in _exceptions(cli, root)
    }
    assert set(found) == {
        ("unbilled_work", ("0WODn000001WWWbOAO",)),
        ("duplicate_invoice", ("INV-2", "INV-3")),
        ("invoice_without_work", ("INV-2",)),
        ("invoice_without_work", ("INV-3",)),
    }
    unbilled = found[("unbilled_work", ("0WODn000001WWWbOAO",))]
    assert Decimal(str(unbilled["amount_at_risk"])) == Decimal("1700.00")  # 2000 EUR x 0.85
    assert unbilled["owner"] == "finance"
    assert Decimal(str(found[("duplicate_invoice", ("INV-2", "INV-3"))]["amount_at_risk"])) == (
        Decimal("425.00")
    )
    code, _ = invoke(cli, "exceptions", "-p", str(root), "--check")
    assert code == 1


def test_lifecycle_survives_rebuilds(
    reconciled: Path, tmp_path: Path, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = copy_project(reconciled, tmp_path / "rec")  # after its first run
    monkeypatch.setenv("TIEOUT_TOKEN", token_for(root, "fin1", "finance"))
    ids = {e["rule"] + str(e["source_refs"]): e["id"] for e in _exceptions(cli, root)}
    dup = next(e for e in _exceptions(cli, root, "--rule", "duplicate_invoice"))
    unbilled = next(e for e in _exceptions(cli, root, "--rule", "unbilled_work"))
    assert invoke(cli, "exceptions", "ack", str(unbilled["id"]), "-p", str(root))[0] == 0
    code, out = invoke(cli, "exceptions", "waive", str(dup["id"]), "-p", str(root))
    assert code == 2 and "--reason" in out
    assert (
        invoke(
            cli,
            "exceptions",
            "waive",
            str(dup["id"]),
            "-p",
            str(root),
            "--reason",
            "agreed with customer",
        )[0]
        == 0
    )

    shutil.rmtree(root / ".tieout" / "warehouse")  # a full rebuild keeps ids and statuses
    assert invoke(cli, "run", "-p", str(root))[0] == 0
    all_now = _exceptions(cli, root, "--status", "all")
    assert {e["rule"] + str(e["source_refs"]): e["id"] for e in all_now} == ids
    status = {e["id"]: e["status"] for e in all_now}
    assert status[unbilled["id"]] == "acknowledged"
    assert status[dup["id"]] == "waived"

    _project(root, XERO_ROWS[:2])  # the duplicate is credited away: INV-3 is gone
    assert invoke(cli, "run", "-p", str(root))[0] == 0
    status = {e["id"]: e["status"] for e in _exceptions(cli, root, "--status", "all")}
    gone = ids[
        "invoice_without_work"
        + str([{"system": "xero", "object": "invoice", "native_id": "INV-3"}])
    ]
    assert status[gone] == "resolved"

    _project(root, XERO_ROWS)  # it comes back
    assert invoke(cli, "run", "-p", str(root))[0] == 0
    status = {e["id"]: e["status"] for e in _exceptions(cli, root, "--status", "all")}
    assert status[gone] == "open"


def test_rule_parameters_and_errors(tmp_path: Path, cli: CliRunner) -> None:
    root = _project(tmp_path, XERO_ROWS)
    yml = (root / "tieout.yml").read_text(encoding="utf-8")
    (root / "tieout.yml").write_text(yml + "rules:\n  unbilled_work: {dayz: 3}\n", "utf-8")
    code, out = invoke(cli, "run", "-p", str(root))
    assert code == 2
    assert "rules.unbilled_work.dayz" in out and "no parameter" in out
    (root / "tieout.yml").write_text(yml + "rules:\n  unbilled_work: {days: 3}\n", "utf-8")
    assert invoke(cli, "run", "-p", str(root))[0] == 0
    refs = {
        e["source_refs"][0]["native_id"] for e in _exceptions(cli, root, "--rule", "unbilled_work")
    }
    assert refs == {"0WODn000001WWWbOAO", "0WODn000001WWWcOAO"}  # 5 days old now counts


@pytest.mark.parametrize(
    ("sql", "problem"),
    [
        ("SELECT 1 AS account_key FROM nosuch", "unknown table 'nosuch'"),
        ("SELECT w.nope AS account_key FROM work_order w", "has no column 'nope'"),
        ("SELECT 1 AS account_key FROM work_order WHERE x > :limit", "unknown parameter"),
        ("SELECT FROM WHERE", "not valid SQL"),
        ("SELECT 1 AS account_key FROM work_order", "must select amount"),
    ],
)
def test_rule_sql_is_checked(sql: str, problem: str) -> None:
    rule = Rule(id="custom", title="t", description="d", owner="finance", severity="low", sql=sql)
    with pytest.raises(ConfigError, match=problem):
        check_rule(rule, LocatedYaml("rules/custom.yml", None))


DELIVERY_YML = """
name: delivery
as_of: 2026-10-31
sources:
  - {name: crm, path: Account.csv, preset: salesforce.account}
  - {name: wo, path: WorkOrder.csv, preset: salesforce.workorder}
  - {name: changes, path: changes.csv, preset: canonical.work_order_change, system: salesforce}
  - {name: harvest, path: time.csv, preset: harvest.time}
"""
DELIVERY_WOS = (
    "Id,WorkOrderNumber,AccountId,Status,Subject,StartDate,Duration,DurationType,TotalPrice,"
    "CurrencyIsoCode\n"
    "0WODn000001WWWaOAO,00000101,001Dn000004AAAaIAO,In Progress,Website,"
    "2026-09-01T09:00:00Z,100,Hours,10000.00,GBP\n"
    "0WODn000001WWWbOAO,00000102,001Dn000004AAAbIAO,In Progress,Audit,"
    "2026-09-01T09:00:00Z,20,Hours,3000.00,GBP\n"
)
CHANGES = (
    "native_id,work_order_native_id,changed_at,description,hours_delta,value_delta,priced,"
    "currency\n"
    "CHG-1,0WODn000001WWWaOAO,2026-09-10,Extra page,10,0,false,GBP\n"  # fires: 10h x 100/h
    "CHG-2,0WODn000001WWWaOAO,2026-09-11,Extra form,5,500,true,GBP\n"  # priced: near miss
    "CHG-3,0WODn000001WWWbOAO,2026-09-12,Less testing,-2,0,false,GBP\n"  # removes hours
)
TIME_HEADER = (
    "Date,Client,Project,Project Code,Task,Notes,Hours,Billable?,First Name,Last Name,Currency\n"
)


def test_delivery_rules(tmp_path: Path, cli: CliRunner) -> None:
    rows = [
        f"2026-09-{d:02d},Northwind,Website,WO-00000101,Dev,,12,Yes,Ann,Lee,GBP"
        for d in range(1, 11)
    ]  # 120 h on a 100 h job: 20 % over
    rows += [
        f"2026-09-{d:02d},Contoso,Audit,00000102,Audit,,7,Yes,Bo,Kim,GBP" for d in range(1, 4)
    ]  # 21 h on a 20 h job: 5 %, under the 10 % bar
    root = write_project(
        tmp_path,
        DELIVERY_YML,
        {
            "Account.csv": ACCOUNTS,
            "WorkOrder.csv": DELIVERY_WOS,
            "changes.csv": CHANGES,
            "time.csv": TIME_HEADER + "\n".join(rows) + "\n",
        },
    )
    code, out = invoke(cli, "run", "-p", str(root))
    assert code == 0, out
    found = {
        (e["rule"], tuple(r["native_id"] for r in e["source_refs"])): Decimal(
            str(e["amount_at_risk"])
        )
        for e in _exceptions(cli, root)
        if e["rule"] in ("unpriced_change", "scope_drift")
    }
    assert found == {
        ("unpriced_change", ("CHG-1", "0WODn000001WWWaOAO")): Decimal("1000.00"),
        ("scope_drift", ("0WODn000001WWWaOAO",)): Decimal("2000.00"),  # 20 h x 100/h
    }


MARGIN_YML = """
name: margin
as_of: 2026-10-31
sources:
  - {name: crm, path: Account.csv, preset: salesforce.account}
  - {name: wo, path: WorkOrder.csv, preset: salesforce.workorder}
  - {name: xero, path: invoices.csv, preset: xero.invoices}
  - {name: harvest, path: time.csv, preset: harvest.time}
"""


def test_margin_below_floor(tmp_path: Path, cli: CliRunner) -> None:
    invoices = [
        "Northwind Traders Ltd,,INV-1,WO-00000101,10/02/2026,10/03/2026,1000.00,Website,1,"
        "1000.00,1000.00,GBP,Sales invoice,Paid",
        "Contoso GmbH,,INV-2,WO-00000102,10/05/2026,10/06/2026,1000.00,Audit,1,1000.00,"
        "1000.00,GBP,Sales invoice,Paid",
    ]
    time_rows = [  # cost 900 on 1000 revenue: 10 % margin; cost 800: 20 %, above the floor
        "2026-01-20,Northwind,Website,WO-00000101,Dev,,9,Yes,Ann,Lee,100,900,GBP",
        "2026-03-20,Contoso,Audit,WO-00000102,Audit,,8,Yes,Bo,Kim,100,800,GBP",
    ]
    root = write_project(
        tmp_path,
        MARGIN_YML,
        {
            "Account.csv": ACCOUNTS,
            "WorkOrder.csv": WORK_ORDERS,
            "invoices.csv": XERO_HEADER + "\n".join(invoices) + "\n",
            "time.csv": "Date,Client,Project,Project Code,Task,Notes,Hours,Billable?,First Name,"
            "Last Name,Cost Rate,Cost Amount,Currency\n" + "\n".join(time_rows) + "\n",
        },
    )
    code, out = invoke(cli, "run", "-p", str(root))
    assert code == 0, out
    found = {
        tuple(r["native_id"] for r in e["source_refs"]): Decimal(str(e["amount_at_risk"]))
        for e in _exceptions(cli, root, "--rule", "margin_below_floor")
    }
    assert found == {("0WODn000001WWWaOAO",): Decimal("50.00")}  # 900 - 85 % x 1000


def test_ownership_and_escalation(tmp_path: Path, cli: CliRunner) -> None:
    root = _project(tmp_path, XERO_ROWS)
    yml = (root / "tieout.yml").read_text(encoding="utf-8")
    (root / "tieout.yml").write_text(
        yml
        + "ownership: {finance: Finance Ops}\n"
        + "escalation:\n"
        + "  - {min_amount: 1000, severity: critical, owner: leadership}\n"
        + "  - {min_age_days: 30, severity: high}\n",
        encoding="utf-8",
    )
    assert invoke(cli, "run", "-p", str(root))[0] == 0
    by_rule = {e["rule"]: e for e in _exceptions(cli, root)}
    assert (by_rule["unbilled_work"]["severity"], by_rule["unbilled_work"]["owner"]) == (
        "critical",  # 1,700.00 at risk
        "leadership",
    )
    dup = by_rule["invoice_without_work"]  # 425.00 at risk, one day old
    assert (dup["severity"], dup["owner"]) == ("medium", "Finance Ops")

    assert invoke(cli, "run", "-p", str(root), "--as-of", "2026-12-15")[0] == 0
    aged = {e["id"]: e for e in _exceptions(cli, root)}[dup["id"]]
    assert (aged["severity"], aged["owner"]) == ("high", "Finance Ops")  # 45 days open


LARGE_INVOICE = """
id: large_invoice
title: Invoice above the approval limit
description: A sales invoice whose total is above `limit`.
owner: finance
severity: low
params:
  limit: 900
sql: |
  SELECT NULL AS account_key, i.total AS amount, i.currency AS currency,
         [{'system': i.source_system, 'object': i.source_object, 'native_id': i.native_id}] AS refs,
         i.invoice_number || ' is above the limit' AS detail
  FROM invoice i
  WHERE i.doc_type = 'invoice' AND i.total > :limit
"""


def test_a_project_adds_its_own_rule(tmp_path: Path, cli: CliRunner) -> None:
    root = _project(tmp_path, XERO_ROWS)
    (root / "rules").mkdir()
    (root / "rules" / "large_invoice.yml").write_text(LARGE_INVOICE, encoding="utf-8")
    assert invoke(cli, "run", "-p", str(root))[0] == 0
    found = [
        e["source_refs"][0]["native_id"] for e in _exceptions(cli, root, "--rule", "large_invoice")
    ]  # type: ignore[index]
    assert found == ["INV-1"]  # 1,000.00; INV-2 and INV-3 are 500.00

    yml = (root / "tieout.yml").read_text(encoding="utf-8")
    (root / "tieout.yml").write_text(yml + "rules:\n  large_invoice: {limit: 400}\n", "utf-8")
    assert invoke(cli, "run", "-p", str(root))[0] == 0
    assert len(_exceptions(cli, root, "--rule", "large_invoice")) == 3


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (("id: large_invoice", "id: duplicate_invoice"), "already defined in rules/"),
        (("id: large_invoice", "id: repeat_issue"), "already defined in rules/repeat_issue.yml"),
        (("i.total > :limit", "i.totl > :limit"), "has no column 'totl'"),
        (("severity: low", "severity: urgent"), "severity"),
    ],
)
def test_a_bad_project_rule_names_its_file(
    tmp_path: Path, cli: CliRunner, change: tuple[str, str], problem: str
) -> None:
    root = _project(tmp_path, XERO_ROWS)
    (root / "rules").mkdir()
    (root / "rules" / "mine.yml").write_text(LARGE_INVOICE.replace(*change), encoding="utf-8")
    code, out = invoke(cli, "run", "-p", str(root))
    assert code == 2, out
    assert "rules/mine.yml" in out and problem in out, out
