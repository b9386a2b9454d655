"""Governed metrics on a hand-built book: every figure computed by hand in the comments."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

import tieout
from support import add_source, copy_project, invoke, write_project
from tieout import pipeline
from tieout.config import load_project

METRICS = Path(tieout.__file__).parent / "metrics" / "definitions"
YML = """
name: metrics
as_of: 2026-10-31
sources:
  - {name: crm, path: Account.csv, preset: salesforce.account}
  - {name: users, path: User.csv, preset: salesforce.user}
  - {name: quotes, path: Quote.csv, preset: salesforce.quote}
  - {name: wo, path: WorkOrder.csv, preset: salesforce.workorder}
  - {name: xero, path: invoices.csv, preset: xero.invoices}
  - {name: harvest, path: time.csv, preset: harvest.time}
  - {name: fx, path: fx.csv, preset: canonical.fx_rate}
  - {name: opps, path: Opportunity.csv, preset: salesforce.opportunity}
"""
ACCOUNTS = (
    "Id,Name,Website,BillingState,OwnerId\n"
    "001Dn000004AAAaIAO,Northwind Traders Ltd,www.northwind.co.uk,London,005Dn000001UUUaIAO\n"
    "001Dn000004AAAbIAO,Contoso GmbH,contoso.de,Bayern,005Dn000001UUUbIAO\n"
)
USERS = "Id,FirstName,LastName\n005Dn000001UUUaIAK,Ann,Lee\n005Dn000001UUUbIAK,Bo,Kim\n"
QUOTES = (
    "Id,QuoteNumber,Name,AccountId,Status,CreatedDate,TotalPrice,CurrencyIsoCode\n"
    "0Q0Dn000001QQQaKAO,00000201,Website - Northwind,001Dn000004AAAaIAO,Accepted,"
    "2026-08-01T09:00:00Z,1000.00,GBP\n"
    "0Q0Dn000001QQQbKAO,00000202,Audit - Contoso,001Dn000004AAAbIAO,Accepted,"
    "2026-09-01T09:00:00Z,2000.00,EUR\n"
    "0Q0Dn000001QQQcKAO,00000203,Extra - Contoso,001Dn000004AAAbIAO,Rejected,"
    "2026-09-02T09:00:00Z,5000.00,EUR\n"
)
WORK_ORDERS = (
    "Id,WorkOrderNumber,AccountId,Status,Subject,StartDate,TotalPrice,CurrencyIsoCode,"
    "Quote__c,Completed_Date__c\n"
    "0WODn000001WWWaOAO,00000101,001Dn000004AAAaIAO,Completed,Website,2026-08-20T09:00:00Z,"
    "1200.00,GBP,0Q0Dn000001QQQaKAO,2026-09-10T17:00:00Z\n"
    "0WODn000001WWWbOAO,00000102,001Dn000004AAAbIAO,Completed,Audit,2026-09-01T09:00:00Z,"
    "2000.00,EUR,0Q0Dn000001QQQbKAO,2026-09-20T17:00:00Z\n"
)
XERO_HEADER = (
    "ContactName,EmailAddress,InvoiceNumber,Reference,InvoiceDate,DueDate,Total,"
    "InventoryItemCode,Description,Quantity,UnitAmount,LineAmount,Currency,Type,Status\n"
)
NW, CO = "Northwind Traders Ltd,", "Contoso GmbH,"
XERO_ROWS = [
    NW + ",INV-1,WO-00000101,12/09/2026,12/10/2026,1200.00,WEB,Website,1,1000.00,1000.00,GBP,"
    "Sales invoice,Paid",
    NW + ",INV-1,WO-00000101,12/09/2026,12/10/2026,1200.00,SUP,Support,1,200.00,200.00,GBP,"
    "Sales invoice,Paid",
    NW + ",CN-1,Credit against INV-1,20/09/2026,20/10/2026,100.00,WEB,Goodwill,1,100.00,"
    "100.00,GBP,Sales credit note,Paid",
    CO + ",INV-2,WO-00000102,15/09/2026,15/10/2026,1000.00,AUD,Audit,1,1000.00,1000.00,EUR,"
    "Sales invoice,Paid",
    CO + ",INV-3,WO-00000102,25/09/2026,25/10/2026,500.00,AUD,Audit,1,500.00,500.00,EUR,"
    "Sales invoice,Paid",
    NW + ",INV-4,,05/08/2026,05/09/2026,300.00,SUP,Support,1,300.00,300.00,GBP,Sales invoice,Paid",
    NW + ",INV-5,,10/09/2026,10/10/2026,999.00,SUP,Support,1,999.00,999.00,GBP,Sales invoice,Draft",
]
TIME = (
    "Date,Client,Project,Project Code,Task,Notes,Hours,Billable?,First Name,Last Name,"
    "Cost Rate,Cost Amount,Currency\n"
    "2026-09-05,Northwind Traders Ltd,Website,WO-00000101,Dev,,3,Yes,Ann,Lee,100,300,GBP\n"
    "2026-09-10,Contoso GmbH,Audit,WO-00000102,Audit,,2,Yes,Bo,Kim,100,200,GBP\n"
)
OPPORTUNITIES = (
    "Id,AccountId,Name,StageName,Amount,CurrencyIsoCode,CloseDate,IsClosed,IsWon,CreatedDate\n"
    # open at the end of August only (won in September)
    "006Dn000001OOOaIAO,001Dn000004AAAaIAO,Website,Closed Won,5000.00,GBP,2026-09-15,true,"
    "true,2026-08-10T09:00:00Z\n"
    # open since September: 1,000 EUR at 0.80 (the rate of 31 August) = 800
    "006Dn000001OOObIAO,001Dn000004AAAbIAO,Audit,Proposal,1000.00,EUR,2026-12-15,false,"
    "false,2026-09-05T09:00:00Z\n"
    # open at the end of July only (lost in August)
    "006Dn000001OOOcIAO,001Dn000004AAAaIAO,Training,Closed Lost,2000.00,GBP,2026-08-20,true,"
    "false,2026-07-01T09:00:00Z\n"
)
FX = (
    "native_id,rate_date,from_currency,to_currency,rate\n"
    "FX1,2026-08-31,EUR,GBP,0.80\nFX2,2026-09-20,EUR,GBP,0.90\n"
)


def _project(root: Path, rows: list[str] = XERO_ROWS) -> Path:
    return write_project(
        root,
        YML,
        {
            "Account.csv": ACCOUNTS,
            "User.csv": USERS,
            "Quote.csv": QUOTES,
            "WorkOrder.csv": WORK_ORDERS,
            "invoices.csv": XERO_HEADER + "\n".join(rows) + "\n",
            "time.csv": TIME,
            "fx.csv": FX,
            "Opportunity.csv": OPPORTUNITIES,
        },
    )


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = _project(tmp_path_factory.mktemp("metrics"))
    code, out = invoke(CliRunner(), "run", "-p", str(root))
    assert code == 0, out
    return root


@pytest.fixture
def own_books(books: Path, tmp_path: Path) -> Path:
    """A copy of `books` (after its run) for a test that changes the project."""
    return copy_project(books, tmp_path / "metrics")


def _show(root: Path, name: str, *args: str) -> dict[str, object]:
    code, out = invoke(CliRunner(), "metrics", "show", name, "-p", str(root), "-f", "json", *args)
    assert code == 0, out
    return dict(json.loads(out))


def _by(report: dict[str, object], key: str) -> dict[str, Decimal | None]:
    rows: list[dict[str, str | None]] = report["rows"]  # type: ignore[assignment]
    return {str(r[key]): None if r["value"] is None else Decimal(str(r["value"])) for r in rows}


def _total(report: dict[str, object]) -> Decimal:
    return Decimal(str(report["total"]))


# revenue, September: Northwind 1,000 + 200 - 100 (credit) = 1,100 (the draft INV-5 is not
# revenue); Contoso 1,000 EUR at 0.80 (rate of 31 Aug) = 800 + 500 EUR at 0.90 (20 Sep)
# = 450, so 1,250; in all 2,350. August: INV-4, 300.
HAND = {
    ("revenue", ()): Decimal("2350.00"),
    ("revenue", ("customer",)): {"Northwind Traders Ltd": "1100.00", "Contoso GmbH": "1250.00"},
    ("revenue", ("product",)): {"WEB": "900.00", "SUP": "200.00", "AUD": "1250.00"},
    ("revenue", ("rep",)): {"Ann Lee": "1100.00", "Bo Kim": "1250.00"},
    ("revenue", ("region",)): {"London": "1100.00", "Bayern": "1250.00"},
    # cost: time at cost, 300 + 200
    ("cost", ("customer",)): {"Northwind Traders Ltd": "300.00", "Contoso GmbH": "200.00"},
    # margin: 1,100 - 300 = 800; 1,250 - 200 = 1,050
    ("margin", ("customer",)): {"Northwind Traders Ltd": "800.00", "Contoso GmbH": "1050.00"},
    # 800 / 1,100 = 72.727 %; 1,050 / 1,250 = 84 %; in all 1,850 / 2,350 = 78.723 %
    # (not the 78.36 % an average of the two percentages would give)
    ("margin_pct", ()): Decimal("78.72"),
    ("margin_pct", ("customer",)): {"Northwind Traders Ltd": "72.73", "Contoso GmbH": "84.00"},
    # delivered: WO 101 1,200 GBP; WO 102 2,000 EUR at 0.90 (completed 20 Sep) = 1,800
    ("delivered_value", ()): Decimal("3000.00"),
    # quoted: only Contoso's accepted quote is dated September: 2,000 EUR at 0.80 = 1,600
    ("quoted_value", ()): Decimal("1600.00"),
    ("delivered_vs_quoted", ("customer",)): {
        "Northwind Traders Ltd": "1200.00",
        "Contoso GmbH": "200.00",
    },
    ("billed_vs_delivered", ()): Decimal("-650.00"),  # 2,350 - 3,000
    # balances at 30 September: the Contoso proposal (800); invoices not yet due: INV-1
    # 1,200, INV-2 1,000 EUR at 0.80 = 800, INV-3 500 EUR at 0.90 = 450 (INV-4 was due on
    # 5 September; paid invoices with no payment record count as paid when due)
    ("open_pipeline", ()): Decimal("800.00"),
    ("receivables", ()): Decimal("2450.00"),
    ("receivables", ("customer",)): {"Northwind Traders Ltd": "1200.00", "Contoso GmbH": "1250.00"},
}


def test_a_balance_is_not_summed_over_months(books: Path) -> None:
    by_month = _show(books, "open_pipeline", "--period", "2026", "--by", "month")
    # what is open at each month end, up to the as-of date (31 October); no row when nothing is
    assert _by(by_month, "month") == {
        "2026-07": Decimal("2000.00"),
        "2026-08": Decimal("5000.00"),
        "2026-09": Decimal("800.00"),
        "2026-10": Decimal("800.00"),
    }
    # the year is its end, not the 8,600.00 a sum over months would give
    assert _total(by_month) == Decimal("800.00")


@pytest.mark.parametrize(("metric", "by"), list(HAND), ids=lambda v: str(v))
def test_metrics_by_hand(books: Path, metric: str, by: tuple[str, ...]) -> None:
    args = ["--period", "2026-09", *(["--by", ",".join(by)] if by else [])]
    report = _show(books, metric, *args)
    expected = HAND[(metric, by)]
    if isinstance(expected, Decimal):
        assert _total(report) == expected
    else:
        assert _by(report, by[0]) == {k: Decimal(v) for k, v in expected.items()}
        if not metric.endswith("_pct"):  # a ratio's total is not the sum of its parts
            assert _total(report) == sum(Decimal(v) for v in expected.values())
    defined = yaml.safe_load((METRICS / f"{metric}.yml").read_text("utf-8"))
    assert (
        report["version"] == defined["version"] and report["defined_in"] == f"metrics/{metric}.yml"
    )


def test_compare_with_the_previous_month_and_year_to_date(books: Path) -> None:
    report = _show(books, "revenue", "--period", "2026-09", "--compare", "previous")
    assert (_total(report), Decimal(str(report["total_compared"]))) == (
        Decimal("2350.00"),
        Decimal("300.00"),
    )
    ytd = _show(books, "revenue", "--period", "2026-09", "--compare", "ytd")
    assert _total(ytd) == Decimal("2650.00")  # August and September
    assert ytd["total_compared"] is None  # nothing billed in 2025


def test_a_split_the_metric_does_not_allow(books: Path) -> None:
    code, out = invoke(CliRunner(), "metrics", "show", "cost", "--by", "product", "-p", str(books))
    assert code == 2 and "cannot be split by product" in out


FANOUT = """
name: revenue_by_quote_line
title: Revenue joined to quote lines
description: Joins each invoice line to every line of its quote.
owner: finance
version: 1
unit: money
good: up
grain: invoice line
dimensions: [month]
fact: |
  SELECT l.id, i.invoice_date AS date, NULL AS account_key, NULL AS product, NULL AS job_key,
         l.line_amount AS value
  FROM invoice_line l
  JOIN invoice i ON i.native_id = l.invoice_native_id
  JOIN invoice_line other ON other.invoice_native_id = l.invoice_native_id
"""


def test_a_fact_that_fans_out_is_refused_and_versions_are_kept(
    own_books: Path, cli: CliRunner
) -> None:
    root = own_books
    (root / "metrics").mkdir()
    mine = root / "metrics" / "mine.yml"
    mine.write_text(FANOUT, encoding="utf-8")
    code, out = invoke(cli, "metrics", "show", "revenue_by_quote_line", "-p", str(root))
    assert code == 1 and "fans out" in out, out  # INV-1's two lines meet each other twice

    mine.write_text(FANOUT.replace("Joins each", "Joins every"), encoding="utf-8")
    code, out = invoke(cli, "metrics", "list", "-p", str(root))
    assert code == 2 and "metrics/mine.yml" in out and "raise its version" in out, out
    mine.write_text(
        FANOUT.replace("Joins each", "Joins every").replace("version: 1", "version: 2"), "utf-8"
    )
    assert invoke(cli, "metrics", "list", "-p", str(root))[0] == 0


def test_figures_as_they_stood_on_an_earlier_snapshot(tmp_path: Path, cli: CliRunner) -> None:
    root = _project(tmp_path)
    assert invoke(cli, "run", "-p", str(root), "--as-of", "2026-09-30")[0] == 0
    late = (
        NW
        + ",INV-6,,28/09/2026,28/10/2026,800.00,SUP,Support,1,800.00,800.00,GBP,Sales invoice,Paid"
    )
    _project(root, [*XERO_ROWS, late])
    assert invoke(cli, "run", "-p", str(root), "--as-of", "2026-10-31")[0] == 0
    assert _total(_show(root, "revenue", "--period", "2026-09")) == Decimal("3150.00")
    then = _show(root, "revenue", "--period", "2026-09", "--as-of", "2026-09-30")
    assert _total(then) == Decimal("2350.00") and then["as_of"] == "2026-09-30"


PLAN = """
commission:
  tiers:
    - {up_to: 1000, rate_pct: 10}
    - {rate_pct: 20}
"""


def test_commission_reconciles_to_the_margin_report(tmp_path: Path, cli: CliRunner) -> None:
    clawback = (
        NW + ",CN-2,Credit against INV-4,05/10/2026,05/11/2026,500.00,SUP,Refund,1,500.00,"
        "500.00,GBP,Sales credit note,Paid"
    )
    root = _project(tmp_path, [*XERO_ROWS, clawback])
    (root / "tieout.yml").write_text((root / "tieout.yml").read_text("utf-8") + PLAN, "utf-8")
    assert invoke(cli, "run", "-p", str(root))[0] == 0

    def report(period: str) -> dict[str, object]:
        code, out = invoke(
            cli, "report", "commission", "--period", period, "-p", str(root), "-f", "json"
        )
        assert code == 0, out
        return dict(json.loads(out))

    september = report("2026-09")
    reps = {r["rep"]: r for r in september["reps"]}  # type: ignore[attr-defined]
    # Ann Lee (Northwind): margin 800, all in the first tier: 10 % = 80.00
    # Bo Kim (Contoso): margin 1,050: 1,000 at 10 % + 50 at 20 % = 110.00
    assert Decimal(reps["Ann Lee"]["commission"]) == Decimal("80.00")
    assert Decimal(reps["Bo Kim"]["commission"]) == Decimal("110.00")
    margin = _show(root, "margin", "--period", "2026-09", "--by", "rep")
    assert {r: Decimal(v["basis"]) for r, v in reps.items()} == _by(margin, "rep")
    assert Decimal(str(september["basis_total"])) == _total(margin)
    jobs = [j for j in september["jobs"] if j["rep"] == "Bo Kim"]  # type: ignore[attr-defined]
    assert sum(Decimal(j["basis"]) for j in jobs) == Decimal("1050.00")
    assert {j["job"] for j in jobs} == {"quote 00000202"}

    # October: only the 500.00 credit note, so Ann's margin is -500: clawed back at 10 %
    october = {r["rep"]: r for r in report("2026-10")["reps"]}  # type: ignore[attr-defined]
    assert Decimal(october["Ann Lee"]["commission"]) == Decimal("-50.00")


def test_a_commission_plan_must_rise(tmp_path: Path, cli: CliRunner) -> None:
    root = _project(tmp_path)
    bad = (
        "commission:\n  tiers:\n    - {up_to: 1000, rate_pct: 10}\n"
        "    - {up_to: 500, rate_pct: 20}\n    - {rate_pct: 30}\n"
    )
    (root / "tieout.yml").write_text((root / "tieout.yml").read_text("utf-8") + bad, "utf-8")
    code, out = invoke(cli, "run", "-p", str(root))
    assert code == 2 and "tieout.yml" in out and "tiers must rise" in out, out


def test_marts_answer_as_the_facts_do(own_books: Path) -> None:
    """A metric added after the run has no mart and is read from its fact: same figures."""
    root = own_books
    with pipeline.snapshots(load_project(root)).open_current() as wh:
        assert "revenue" in {m for (m,) in wh.query("SELECT metric FROM metric_mart")}
    (root / "metrics").mkdir()
    builtin = Path(__file__).parents[1] / "src" / "tieout" / "metrics" / "definitions"
    copy = (builtin / "revenue.yml").read_text("utf-8").replace("name: revenue", "name: rev2")
    (root / "metrics" / "rev2.yml").write_text(copy, encoding="utf-8")
    for by in ("customer", "product", "month", "region,rep"):
        args = ("--period", "2026", "--by", by)
        mart, fact = _show(root, "revenue", *args), _show(root, "rev2", *args)
        assert mart["rows"] == fact["rows"] and mart["total"] == fact["total"], by
    balance = (builtin / "receivables.yml").read_text("utf-8").replace("receivables", "recv2")
    (root / "metrics" / "recv2.yml").write_text(balance, encoding="utf-8")
    for period, by in (("2026", "month"), ("2026-09", "customer"), ("2026-08", "region")):
        args = ("--period", period, "--by", by)
        mart, fact = _show(root, "receivables", *args), _show(root, "recv2", *args)
        assert mart["rows"] == fact["rows"] and mart["total"] == fact["total"], by
        assert mart["rows"], by


def test_commentary_bridge_by_hand(books: Path, cli: CliRunner) -> None:
    code, out = invoke(
        cli, "report", "commentary", "--period", "2026-09", "-p", str(books), "--json"
    )
    assert code == 0, out
    bridge = {k: Decimal(v) for k, v in json.loads(out)["bridge"].items()}
    # August: SUP 1 x 300, no cost: margin 300. September: WEB 1,000, SUP 1 x 200, AUD 1,250
    # billed, a 100 credit, cost 500: margin 1,850. SUP is the only product of both months:
    # price 1 x (200 - 300) = -100, volume (1 - 1) x 300 = 0, mix 0; WEB and AUD are new:
    # 2,450 - 300 - (-100) = 2,250; credits -100; cost -500. -100 + 2,250 - 100 - 500 = 1,550.
    assert bridge == {
        "margin_before": Decimal("300.00"),
        "margin_now": Decimal("1850.00"),
        "price": Decimal("-100.00"),
        "volume": Decimal("0.00"),
        "mix": Decimal("0.00"),
        "new_and_lost": Decimal("2250.00"),
        "credits": Decimal("-100.00"),
        "cost": Decimal("-500.00"),
    }


OPPS_HEADER = (
    "Id,AccountId,Name,StageName,Amount,CurrencyIsoCode,CloseDate,IsClosed,IsWon,CreatedDate\n"
)


def _opp(letter: str, amount: str, close: str, closed: str = "false", won: str = "false") -> str:
    return (
        f"006Dn000001PPP{letter}IAK,001Dn000004AAAaIAO,Deal {letter},Proposal,{amount},GBP,"
        f"{close},{closed},{won},2026-08-01T09:00:00Z"
    )


def test_pipeline_movement_between_snapshots(tmp_path: Path, cli: CliRunner) -> None:
    root = _project(tmp_path)
    before = [
        _opp("a", "1000.00", "2026-11-15"),
        _opp("b", "2000.00", "2026-10-20"),
        _opp("c", "3000.00", "2026-12-01"),
        _opp("d", "500.00", "2026-11-30"),
        _opp("e", "400.00", "2026-10-10"),
    ]
    (root / "Opportunity.csv").write_text(OPPS_HEADER + "\n".join(before) + "\n", "utf-8")
    assert invoke(cli, "run", "-p", str(root), "--as-of", "2026-09-30")[0] == 0
    after = [
        _opp("a", "1000.00", "2026-10-15"),  # pulled into October
        _opp("b", "2000.00", "2026-10-20", "true", "true"),  # won
        _opp("c", "3000.00", "2027-01-15"),  # pushed out to January
        _opp("d", "800.00", "2026-11-30"),  # +300
        _opp("e", "400.00", "2026-10-10", "true"),  # lost
        _opp("f", "700.00", "2026-12-15"),  # new
    ]
    (root / "Opportunity.csv").write_text(OPPS_HEADER + "\n".join(after) + "\n", "utf-8")
    assert invoke(cli, "run", "-p", str(root), "--as-of", "2026-10-31")[0] == 0
    code, out = invoke(
        cli, "report", "pipeline", "--since", "2026-09-30", "-p", str(root), "-f", "json"
    )
    assert code == 0, out
    moved = {r["name"]: (r["category"], Decimal(r["change"])) for r in json.loads(out)}
    assert moved == {
        "Deal a": ("pulled_in", Decimal("0.00")),
        "Deal b": ("won", Decimal("-2000.00")),
        "Deal c": ("pushed_out", Decimal("0.00")),
        "Deal d": ("amount_changed", Decimal("300.00")),
        "Deal e": ("lost", Decimal("-400.00")),
        "Deal f": ("new", Decimal("700.00")),
    }
    # open pipeline 6,900 -> 5,500: the movements add up to -1,400
    assert sum(change for _, change in moved.values()) == Decimal("-1400.00")
    code, out = invoke(cli, "report", "pipeline", "--since", "2026-09-30", "-p", str(root))
    assert code == 0 and "6,900.00 -> 5,500.00" in out, out


def test_forecast_by_hand(books: Path, cli: CliRunner) -> None:
    code, out = invoke(cli, "report", "forecast", "--months", "3", "-p", str(books), "-f", "json")
    assert code == 0, out
    months = {m["month"]: m for m in json.loads(out)}
    # after 31 October. Ready to bill: WO 102 (2,000 EUR) billed 1,500 EUR so far; 500 EUR at
    # 0.90 = 450.00, next month. WO 101 is billed in full.
    # Pipeline: the open Contoso proposal, 1,000 EUR = 900.00, has no probability: weighed at
    # the win rate of deals closed so far by amount, 5,000 / 7,000 = 0.7143 -> 642.87, a
    # "commit"; it closes in December and the demo books show no delay to a first invoice.
    assert Decimal(months["2026-11"]["ready_to_bill"]) == Decimal("450.00")
    assert Decimal(months["2026-12"]["pipeline:commit"]) == Decimal("642.87")
    assert [Decimal(months[m]["revenue"]) for m in sorted(months)] == [
        Decimal("450.00"),
        Decimal("642.87"),
        Decimal("0"),
    ]
    # cost: the three months before (Aug-Oct) cost 500 on 2,650 revenue: 0.1887
    assert Decimal(months["2026-11"]["cost"]) == Decimal("84.92")  # 450 x 0.1887
    assert Decimal(months["2026-12"]["cost"]) == Decimal("121.31")  # 642.87 x 0.1887
    # cash: invoices fall due 30 days after issue, so a month later; nothing is still open
    assert [Decimal(months[m]["cash"]) for m in sorted(months)] == [
        Decimal("0"),
        Decimal("450.00"),
        Decimal("642.87"),
    ]


def test_forecast_cash_waits_for_each_customers_usual_delay(tmp_path: Path, cli: CliRunner) -> None:
    root = _project(tmp_path)
    (root / "payments.csv").write_text(
        "native_id,invoice_native_id,invoice_number,paid_at,amount,currency\n"
        "PAY-1,INV-4,INV-4,2026-09-25,300.00,GBP\n",  # due 5 September: Northwind pays 20 days late
        "utf-8",
    )
    add_source(root, "{name: pay, path: payments.csv, preset: canonical.payment, system: xero}")
    assert invoke(cli, "run", "-p", str(root), "--as-of", "2026-09-30")[0] == 0
    code, out = invoke(cli, "report", "forecast", "--months", "2", "-p", str(root), "-f", "json")
    assert code == 0, out
    cash = {m["month"]: Decimal(m["cash"]) for m in json.loads(out)}
    # open on 30 September: INV-2 (800.00, due 15 Oct) and INV-3 (450.00, due 25 Oct) from
    # Contoso, who has no payment history: October. INV-1 (1,200.00, due 12 Oct) from
    # Northwind: 12 Oct + 20 days = 1 November. Plus October's forecast revenue, 450.00 of
    # WO 102 still to bill, paid a month later: November.
    assert cash == {"2026-10": Decimal("1250.00"), "2026-11": Decimal("1650.00")}


def test_revenue_by_contract(tmp_path: Path, cli: CliRunner) -> None:
    root = _project(tmp_path)
    (root / "Contract.csv").write_text(
        "Id,AccountId,ContractNumber,Status,StartDate,EndDate\n"
        "800Dn000001CCCaIAO,001Dn000004AAAaIAO,00000101,Activated,2026-01-01,2026-12-31\n",
        "utf-8",
    )
    add_source(root, "{name: contracts, path: Contract.csv, preset: salesforce.contract}")
    assert invoke(cli, "run", "-p", str(root))[0] == 0
    report = _show(root, "revenue", "--period", "2026", "--by", "contract")
    # INV-4 (300.00, August) bills no job: Northwind's contract 00000101 was running. The
    # September lines all bill work orders: no contract (2,350.00)
    assert _by(report, "contract") == {"00000101": Decimal("300.00"), "None": Decimal("2350.00")}
    code, out = invoke(cli, "metrics", "show", "margin", "--by", "contract", "-p", str(root))
    assert code == 2 and "cannot be split by contract" in out


def test_a_job_belongs_to_the_rep_who_sold_it(tmp_path: Path, cli: CliRunner) -> None:
    root = _project(tmp_path)
    # Contoso's accepted quote was sold by Ann Lee, though Bo Kim owns the account
    header, *rows = QUOTES.strip().split("\n")
    owners = ["", "005Dn000001UUUaIAO", ""]  # quotes 201, 202 (Contoso's), 203
    lines = [header + ",OwnerId", *(f"{r},{o}" for r, o in zip(rows, owners, strict=True))]
    (root / "Quote.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out = invoke(cli, "run", "-p", str(root), "-f", "json")
    assert code == 0 and all(f["quarantined"] == 0 for f in json.loads(out)), out
    # September margin: Northwind 800 (account owner Ann) + Contoso's job 1,050 (sold by Ann)
    margin = _show(root, "margin", "--period", "2026-09", "--by", "rep")
    assert _by(margin, "rep") == {"Ann Lee": Decimal("1850.00")}
    code, out = invoke(
        cli, "report", "commission", "--period", "2026-09", "-p", str(root), "-f", "json"
    )
    reps = {r["rep"]: Decimal(r["basis"]) for r in json.loads(out)["reps"]}
    assert code == 0 and reps == {"Ann Lee": Decimal("1850.00")}
