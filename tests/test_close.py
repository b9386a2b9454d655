"""Month-end close on a hand-built book, every figure computed by hand; sign-off workflow."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from cli_users import token_for
from support import copy_project, invoke, write_project

YML = """
name: close
as_of: 2026-10-31
sources:
  - {name: crm, path: Account.csv, preset: salesforce.account}
  - {name: quotes, path: Quote.csv, preset: salesforce.quote}
  - {name: wo, path: WorkOrder.csv, preset: salesforce.workorder}
  - {name: changes, path: changes.csv, preset: canonical.work_order_change, system: salesforce}
  - {name: xero, path: invoices.csv, preset: xero.invoices}
  - {name: fx, path: fx.csv, preset: canonical.fx_rate}
"""
ACCOUNTS = (
    "Id,Name,Website\n"
    "001Dn000004AAAaIAO,Northwind Traders Ltd,www.northwind.co.uk\n"
    "001Dn000004AAAbIAO,Contoso GmbH,contoso.de\n"
)
QUOTES = (
    "Id,QuoteNumber,Name,AccountId,Status,CreatedDate,TotalPrice,CurrencyIsoCode\n"
    "0Q0Dn000001QQQaKAO,00000201,Website - Northwind,001Dn000004AAAaIAO,Accepted,"
    "2026-08-01T09:00:00Z,1000.00,GBP\n"
    "0Q0Dn000001QQQbKAO,00000202,Audit - Contoso,001Dn000004AAAbIAO,Accepted,"
    "2026-08-01T09:00:00Z,2000.00,EUR\n"
)
WORK_ORDERS = (
    "Id,WorkOrderNumber,AccountId,Status,Subject,StartDate,TotalPrice,CurrencyIsoCode,"
    "Quote__c,Completed_Date__c\n"
    # quoted 1,000 + a priced change of 200; billed 1,200, then 100 credited
    "0WODn000001WWWaOAO,00000101,001Dn000004AAAaIAO,Completed,Website,2026-08-20T09:00:00Z,"
    "1200.00,GBP,0Q0Dn000001QQQaKAO,2026-09-10T17:00:00Z\n"
    # 2,000 EUR delivered, never invoiced: unbilled work
    "0WODn000001WWWbOAO,00000102,001Dn000004AAAbIAO,Completed,Audit,2026-09-01T09:00:00Z,"
    "2000.00,EUR,0Q0Dn000001QQQbKAO,2026-09-20T17:00:00Z\n"
    # finished in August: not part of the September close
    "0WODn000001WWWcOAO,00000103,001Dn000004AAAaIAO,Completed,Training,2026-08-01T09:00:00Z,"
    "300.00,GBP,,2026-08-15T17:00:00Z\n"
)
CHANGES = (
    "native_id,work_order_native_id,changed_at,description,hours_delta,value_delta,priced,"
    "currency\n"
    "CHG-1,0WODn000001WWWaOAO,2026-08-25,Extra page,2,200,true,GBP\n"
)
XERO = (
    "ContactName,EmailAddress,InvoiceNumber,Reference,InvoiceDate,DueDate,Total,Description,"
    "Quantity,UnitAmount,LineAmount,Currency,Type,Status\n"
    "Northwind Traders Ltd,,INV-1,WO-00000101,12/09/2026,12/10/2026,1200.00,Website build,1,"
    "1200.00,1200.00,GBP,Sales invoice,Paid\n"
    "Northwind Traders Ltd,,CN-1,Credit against INV-1,20/09/2026,20/10/2026,100.00,"
    "Goodwill credit,1,100.00,100.00,GBP,Sales credit note,Paid\n"
    "Northwind Traders Ltd,,INV-2,WO-00000103,16/08/2026,16/09/2026,300.00,Training,1,"
    "300.00,300.00,GBP,Sales invoice,Paid\n"
)
FX = "native_id,rate_date,from_currency,to_currency,rate\nFX1,2026-09-30,EUR,GBP,0.85\n"


def _project(root: Path, xero: str = XERO) -> Path:
    return write_project(
        root,
        YML,
        {
            "Account.csv": ACCOUNTS,
            "Quote.csv": QUOTES,
            "WorkOrder.csv": WORK_ORDERS,
            "changes.csv": CHANGES,
            "invoices.csv": xero,
            "fx.csv": FX,
        },
    )


def _close(cli: CliRunner, root: Path, period: str = "2026-09") -> dict[str, object]:
    code, out = invoke(cli, "close", "--period", period, "-p", str(root), "-f", "json")
    assert code == 0, out
    return dict(json.loads(out))


def _amounts(row: dict[str, str], *names: str) -> tuple[Decimal, ...]:
    return tuple(Decimal(row[n]) for n in names)


@pytest.fixture(scope="module")
def books_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = _project(tmp_path_factory.mktemp("close") / "books")
    code, out = invoke(CliRunner(), "run", "-p", str(root))
    assert code == 0, out
    return root


@pytest.fixture
def closed_books(books_run: Path, tmp_path: Path) -> Path:
    """The book after its run (run once for the module): each test's own copy."""
    return copy_project(books_run, tmp_path / "books")


def test_close_figures_by_hand(closed_books: Path, cli: CliRunner) -> None:
    report = _close(cli, closed_books)
    by_name = {c["customer"]: c for c in report["customers"]}  # type: ignore[attr-defined]
    assert set(by_name) == {"Northwind Traders Ltd", "Contoso GmbH"}  # WO 103 is August's
    measures = ("quoted", "changes", "delivered", "billed", "credited", "unbilled")
    assert _amounts(by_name["Northwind Traders Ltd"], *measures) == tuple(
        Decimal(v) for v in ("1000.00", "200.00", "1200.00", "1200.00", "100.00", "0.00")
    )
    # 2,000 EUR at 0.85
    assert _amounts(by_name["Contoso GmbH"], *measures) == tuple(
        Decimal(v) for v in ("1700.00", "0.00", "1700.00", "0.00", "0.00", "1700.00")
    )
    gaps = ("scope_gap", "billing_gap", "billing_explained", "billing_unexplained")
    # Northwind: 1200 - (1200 - 100) = 100, and no exception says why: unexplained
    assert _amounts(by_name["Northwind Traders Ltd"], *gaps) == (
        Decimal("0.00"),
        Decimal("100.00"),
        Decimal("0.00"),
        Decimal("100.00"),
    )
    # Contoso: nothing billed, explained by the open unbilled_work exception
    assert _amounts(by_name["Contoso GmbH"], *gaps) == (
        Decimal("0.00"),
        Decimal("1700.00"),
        Decimal("1700.00"),
        Decimal("0.00"),
    )
    total = report["total"]
    assert _amounts(total, "quoted", "delivered", "billed", "credited", "unbilled") == (  # type: ignore[arg-type]
        Decimal("2700.00"),
        Decimal("2900.00"),
        Decimal("1200.00"),
        Decimal("100.00"),
        Decimal("1700.00"),
    )
    (contoso_job,) = [j for j in report["jobs"] if j["customer"] == "Contoso GmbH"]  # type: ignore[attr-defined]
    out = invoke(cli, "exceptions", "-p", str(closed_books), "-f", "json")[1]
    unbilled = [e["id"] for e in json.loads(out) if e["rule"] == "unbilled_work"]
    assert contoso_job["explained_by"] == unbilled


def test_waiving_the_explanation_leaves_the_gap_unexplained(
    closed_books: Path, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = invoke(cli, "exceptions", "-p", str(closed_books), "-f", "json")[1]
    (case,) = [e for e in json.loads(out) if e["rule"] == "unbilled_work"]
    monkeypatch.setenv("TIEOUT_TOKEN", token_for(closed_books, "fin1", "finance"))
    waive = ("exceptions", "waive", case["id"], "-p", str(closed_books), "--reason", "free")
    assert invoke(cli, *waive)[0] == 0
    total = _close(cli, closed_books)["total"]
    assert _amounts(total, "billing_explained", "billing_unexplained") == (  # type: ignore[arg-type]
        Decimal("0.00"),
        Decimal("1800.00"),
    )


def test_prepare_signoff_freeze_and_adjust(
    closed_books: Path, cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = closed_books
    period = ("--period", "2026-09", "-p", str(root))
    alice, bob = (token_for(root, name, "finance") for name in ("alice", "bob"))
    monkeypatch.setenv("TIEOUT_TOKEN", bob)
    code, out = invoke(cli, "close", "signoff", *period)
    assert code == 2 and "has not been prepared" in out
    monkeypatch.setenv("TIEOUT_TOKEN", alice)
    assert invoke(cli, "close", "prepare", *period)[0] == 0
    code, out = invoke(cli, "close", "signoff", *period)
    assert code == 2 and "different person" in out
    monkeypatch.setenv("TIEOUT_TOKEN", bob)
    assert invoke(cli, "close", "signoff", *period)[0] == 0
    monkeypatch.setenv("TIEOUT_TOKEN", alice)
    code, out = invoke(cli, "close", "prepare", *period)
    assert code == 2 and "frozen" in out

    # October: the forgotten audit is billed; the September figures stay as signed
    late = (
        "Contoso GmbH,,INV-3,WO-00000102,05/10/2026,05/11/2026,2000.00,Audit,1,2000.00,"
        "2000.00,EUR,Sales invoice,Paid\n"
    )
    _project(root, XERO + late)
    assert invoke(cli, "run", "-p", str(root))[0] == 0
    report = _close(cli, root)
    assert report["status"] == "signed_off"
    assert report["signed_off_by"] == "bob" and report["prepared_by"] == "alice"
    assert Decimal(report["total"]["billed"]) == Decimal("1200.00")  # type: ignore[index]
    moved = {
        (a["customer"], a["measure"]): Decimal(a["adjustment"])
        for a in report["adjustments"]  # type: ignore[attr-defined]
    }
    assert moved[("Contoso GmbH", "billed")] == Decimal("1700.00")
    assert moved[("Contoso GmbH", "unbilled")] == Decimal("-1700.00")
    assert moved[("Contoso GmbH", "billing_gap")] == Decimal("-1700.00")

    dest = tmp_path / "close.xlsx"
    code, out = invoke(cli, "close", *period, "-f", "xlsx", "--out", str(dest))
    assert code == 0, out
    book = load_workbook(dest)
    assert book.sheetnames == ["Customers", "Jobs", "Adjustments"]
    rows = list(book["Customers"].iter_rows(values_only=True))
    assert rows[-1][1] == "TOTAL" and Decimal(str(rows[-1][rows[0].index("billed")])) == Decimal(
        "1200"
    )


def test_period_must_be_a_month(closed_books: Path, cli: CliRunner) -> None:
    code, out = invoke(cli, "close", "--period", "2026-13", "-p", str(closed_books))
    assert code == 2 and "like 2026-09" in out


def test_a_missing_rate_stops_the_close(tmp_path: Path, cli: CliRunner) -> None:
    root = _project(tmp_path)
    (root / "fx.csv").write_text("native_id,rate_date,from_currency,to_currency,rate\n", "utf-8")
    assert invoke(cli, "run", "-p", str(root))[0] == 0
    code, out = invoke(cli, "close", "--period", "2026-09", "-p", str(root))
    assert code == 1 and "no EUR -> GBP rate dated on or before 2026-10-31" in out, out
