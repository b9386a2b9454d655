"""Each pricing and billing rule on a tiny hand-built fixture: a case that must fire and
near misses that must not, with every amount worked out by hand in a comment.

One project per rule family (pricing, billing, price edge cases) is built once per module
and run through the real CLI; the tests only read `tieout exceptions -f json` and
`tieout quarantine -f json`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from support import invoke, write_project

NORTHWIND = "001Dn000004AAAaIAO"
CONTOSO = "001Dn000004AAAbIAO"
ACCOUNTS = (
    "Id,Name,Website\n"
    f"{NORTHWIND},Northwind Traders Ltd,www.northwind.co.uk\n"
    f"{CONTOSO},Contoso GmbH,contoso.de\n"
    "001Dn000004AAAcIAO,Fabrikam Inc,fabrikam.com\n"
)
XERO_HEADER = (
    "ContactName,InvoiceNumber,Reference,InvoiceDate,Total,InventoryItemCode,Description,"
    "Quantity,UnitAmount,Discount,Currency,Type,Status\n"
)


def _csv(header: str, rows: list[str]) -> str:
    return "".join(line + "\n" for line in [header.rstrip("\n"), *rows])


def _exceptions(cli: CliRunner, root: Path, rule: str) -> dict[tuple[str, ...], Decimal | None]:
    """{native ids the exception names: money at risk} for one rule's open exceptions."""
    code, out = invoke(cli, "exceptions", "-p", str(root), "-f", "json", "--rule", rule)
    assert code == 0, out
    found: dict[tuple[str, ...], Decimal | None] = {}
    for e in json.loads(out):
        assert e["rule"] == rule
        refs = tuple(str(r["native_id"]) for r in e["source_refs"])
        assert refs not in found, f"{rule} raised twice for {refs}"
        amount = e["amount_at_risk"]
        found[refs] = None if amount is None else Decimal(str(amount))
    return found


def _run(cli: CliRunner, root: Path) -> None:
    code, out = invoke(cli, "run", "-p", str(root))
    assert code == 0, out


# --- pricing: price_variance and discount_after_quote --------------------------------------
#
# One accepted quote, one work order pointing at it (Quote__c), and Xero documents whose
# Reference "WO-00000101" ties every line to that work order and so to the quote. A line
# pairs with the quote line of the same product code.

PRICING_YML = """
name: pricing
as_of: 2026-10-31
sources:
  - {name: crm, path: Account.csv, preset: salesforce.account}
  - {name: quotes, path: Quote.csv, preset: salesforce.quote}
  - {name: quote_lines, path: QuoteLineItem.csv, preset: salesforce.quotelineitem}
  - {name: wo, path: WorkOrder.csv, preset: salesforce.workorder}
  - {name: xero, path: invoices.csv, preset: xero.invoices}
"""
QUOTE_ID = "0Q0Dn000000QQQaKAO"
QUOTES = (
    "Id,QuoteNumber,Name,AccountId,Status,CreatedDate,CurrencyIsoCode\n"
    f"{QUOTE_ID},00000045,Website - Northwind,{NORTHWIND},Accepted,2026-01-02T09:00:00Z,GBP\n"
)
# quote line native ids are the 15-character form of these ids
QUOTE_LINES = _csv(
    "Id,QuoteId,ProductCode,Quantity,UnitPrice,Discount,CurrencyIsoCode",
    [
        f"0QLDn000000LLLaOAO,{QUOTE_ID},DEV,10,100.00,,GBP",
        f"0QLDn000000LLLbOAO,{QUOTE_ID},PM,4,200.00,,GBP",
        f"0QLDn000000LLLcOAO,{QUOTE_ID},QA,2,150.00,,GBP",
        f"0QLDn000000LLLdOAO,{QUOTE_ID},DESIGN,2,150.00,10,GBP",
        f"0QLDn000000LLLeOAO,{QUOTE_ID},TRAIN,3,80.00,5,GBP",
    ],
)
QL_DEV, QL_PM, QL_QA, QL_DESIGN, QL_TRAIN = (f"0QLDn000000LLL{c}OAO" for c in "abcde")
PRICING_WOS = (
    "Id,WorkOrderNumber,AccountId,Quote__c,Status,Subject,StartDate,TotalPrice,"
    "CurrencyIsoCode,Completed_Date__c\n"
    f"0WODn000001WWWaOAO,00000101,{NORTHWIND},{QUOTE_ID},Completed,Website,"
    "2026-01-05T09:00:00Z,3000.00,GBP,2026-02-01T17:00:00Z\n"
)
_NW = "Northwind Traders Ltd"
# totals: 1030 + 780 + 406 + 306 + 225 + 228 - 30; 110 + 75; 240 + 168; 300 - 30
_INV = f"{_NW},INV-10,WO-00000101,10/02/2026,2945.00"
_CN = f"{_NW},CN-11,WO-00000101,20/02/2026,185.00"
_VOID = f"{_NW},INV-12,WO-00000101,12/02/2026,408.00"
_AGREED = f"{_NW},INV-17,WO-00000101,15/02/2026,270.00"
PRICING_INVOICES = _csv(
    XERO_HEADER,
    [
        # INV-10, a paid sales invoice; its lines are INV-10/1 .. INV-10/6
        f"{_INV},DEV,Development,10,103.00,,GBP,Sales invoice,Paid",  # /1: +3 % fires
        f"{_INV},PM,Project management,4,195.00,,GBP,Sales invoice,Paid",  # /2: -2.5 % fires
        f"{_INV},PM,Project management,2,203.00,,GBP,Sales invoice,Paid",  # /3: 1.5 % no
        f"{_INV},QA,Testing,2,153.00,,GBP,Sales invoice,Paid",  # /4: exactly 2 %, no
        f"{_INV},DESIGN,Design,2,150.00,25,GBP,Sales invoice,Paid",  # /5: 25 % vs 10 % fires
        f"{_INV},TRAIN,Training,3,80.00,5,GBP,Sales invoice,Paid",  # /6: 5 % vs 5 %, no
        f"{_INV},,Discount,1,-30.00,,GBP,Sales invoice,Paid",  # /7: a discount line, fires
        # INV-17: DESIGN's quoted 10 % taken as a line of its own (2 x 150 x 10 % = 30): no
        f"{_AGREED},DESIGN,Design,2,150.00,,GBP,Sales invoice,Paid",
        f"{_AGREED},,Discount on design,1,-30.00,,GBP,Sales invoice,Paid",
        # a credit note and a voided invoice, both 10 % off price and with a deep discount:
        # neither counts for either rule
        f"{_CN},DEV,Development refund,1,110.00,,GBP,Sales credit note,Authorised",
        f"{_CN},DESIGN,Design refund,1,150.00,50,GBP,Sales credit note,Authorised",
        f"{_VOID},DEV,Development,2,120.00,,GBP,Sales invoice,Voided",
        f"{_VOID},TRAIN,Training,3,80.00,30,GBP,Sales invoice,Voided",
    ],
)


@pytest.fixture(scope="module")
def pricing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[CliRunner, Path]]:
    cli = CliRunner()
    root = write_project(
        tmp_path_factory.mktemp("pricing"),
        PRICING_YML,
        {
            "Account.csv": ACCOUNTS,
            "Quote.csv": QUOTES,
            "QuoteLineItem.csv": QUOTE_LINES,
            "WorkOrder.csv": PRICING_WOS,
            "invoices.csv": PRICING_INVOICES,
        },
    )
    _run(cli, root)
    yield cli, root


def test_price_variance(pricing: tuple[CliRunner, Path]) -> None:
    cli, root = pricing
    assert _exceptions(cli, root, "price_variance") == {
        # DEV quoted 100.00, invoiced 103.00: 3 % > 2 %; |103 - 100| x 10 = 30.00
        ("INV-10/1", QL_DEV): Decimal("30.00"),
        # PM quoted 200.00, invoiced 195.00: 2.5 % under; |195 - 200| x 4 = 20.00
        ("INV-10/2", QL_PM): Decimal("20.00"),
        # not raised: INV-10/3 (203 vs 200 = 1.5 %), INV-10/4 (153 vs 150 = exactly 2 %, the
        # rule wants more than pct), INV-10/5 and /6 (quoted price), INV-10/7 and INV-17/2
        # (negative lines: discounts), CN-11 (a credit note at 110 vs 100) and INV-12
        # (voided, at 120 vs 100)
    }


def test_discount_after_quote(pricing: tuple[CliRunner, Path]) -> None:
    cli, root = pricing
    assert _exceptions(cli, root, "discount_after_quote") == {
        # DESIGN quoted at 10 % off, invoiced at 25 % off: 15 points deeper;
        # 2 x 150.00 x 15 % = 45.00
        ("INV-10/5", QL_DESIGN): Decimal("45.00"),
        # a "Discount" line of -30.00 on the quoted job's invoice; the quote agreed no
        # discount that INV-10's lines do not already carry: all 30.00 is at risk
        ("INV-10/7", QUOTE_ID): Decimal("30.00"),
        # not raised: INV-10/6 (5 % as quoted), lines with no discount on either side,
        # CN-11/2 (50 % on a credit note), INV-12/2 (30 % on a voided invoice), and
        # INV-17/2 (-30.00 is the 10 % quoted on DESIGN, which INV-17/1 does not carry)
    }


# --- billing: duplicate_invoice, invoice_without_work, unbilled_work ---------------------

BILLING_YML = """
name: billing
as_of: 2026-10-31
sources:
  - {name: crm, path: Account.csv, preset: salesforce.account}
  - {name: contracts, path: Contract.csv, preset: salesforce.contract}
  - {name: wo, path: WorkOrder.csv, preset: salesforce.workorder}
  - {name: xero, path: invoices.csv, preset: xero.invoices}
"""
CONTRACTS = _csv(
    "Id,ContractNumber,AccountId,Status,StartDate,EndDate",
    [
        # Contoso is under contract all year: its invoices need no work order behind them
        f"800Dn000000CCCaIAO,00000001,{CONTOSO},Activated,2026-01-01,2026-12-31",
        # Northwind's contract ended before any invoice below: it covers none of them
        f"800Dn000000CCCbIAO,00000002,{NORTHWIND},Expired,2025-01-01,2025-12-31",
    ],
)
BILLING_WOS = _csv(
    "Id,WorkOrderNumber,AccountId,Status,Subject,StartDate,TotalPrice,CurrencyIsoCode,"
    "Completed_Date__c",
    [
        # billed by INV-20
        f"0WODn000001WWWaOAO,00000101,{NORTHWIND},Completed,Website,2026-01-05T09:00:00Z,"
        "1000.00,GBP,2026-02-01T17:00:00Z",
        # its only invoice row (INV-21) is quarantined: billing unknown, not unbilled
        f"0WODn000001WWWbOAO,00000102,{CONTOSO},Completed,Audit,2026-03-01T09:00:00Z,"
        "1700.00,GBP,2026-04-01T17:00:00Z",
        # completed 1 May, never invoiced: unbilled
        f"0WODn000001WWWcOAO,00000103,{NORTHWIND},Completed,Migration,2026-04-01T09:00:00Z,"
        "2500.00,GBP,2026-05-01T17:00:00Z",
    ],
)
_CT = "Contoso GmbH"


def _bill(contact: str, number: str, date: str, total: str, ref: str = "", **kw: str) -> str:
    kind, status = kw.get("kind", "Sales invoice"), kw.get("status", "Paid")
    said = kw.get("said", "Services")
    return f"{contact},{number},{ref},{date},{total},,{said},1,{total},,GBP,{kind},{status}"


BILLING_ROWS = [
    _bill(_NW, "INV-20", "10/02/2026", "1000.00", "WO-00000101"),
    # Total typed with a letter O: the row goes to quarantine
    f'{_CT},INV-21,WO-00000102,10/04/2026,"1,7O0.00",,Audit,1,1700.00,,GBP,Sales invoice,Paid',
    # duplicate_invoice (window 10 days)
    _bill(_NW, "INV-1", "01/06/2026", "500.00"),  # fires with INV-2: 10 days apart
    _bill(_NW, "INV-2", "11/06/2026", "500.00"),
    _bill(_NW, "INV-3", "01/07/2026", "640.00"),  # near miss: INV-4 is 11 days later
    _bill(_NW, "INV-4", "12/07/2026", "640.00"),
    _bill(_NW, "INV-5", "01/08/2026", "900.00"),  # near miss: INV-6 was credited by CN-1
    _bill(_NW, "INV-6", "03/08/2026", "900.00"),
    _bill(_NW, "CN-1", "10/08/2026", "900.00", "INV-6", kind="Sales credit note"),
    _bill(_NW, "INV-7", "01/09/2026", "300.00"),  # near miss: same day and amount as
    _bill(_CT, "INV-8", "01/09/2026", "300.00"),  # INV-8, but another customer
    _bill("Fabrikam Inc", "INV-9", "15/09/2026", "250.00"),  # no contract, no work order
    # Contoso (under contract): the same total two days apart, but for two sites: near miss
    _bill(_CT, "INV-23", "02/10/2026", "450.00", said="PPM visit - Leeds"),
    _bill(_CT, "INV-24", "04/10/2026", "450.00", said="PPM visit - York"),
    # the same bill again four days later, and a credit note that names nothing but repeats
    # it line for line (a full credit and re-issue): near miss
    _bill(_CT, "INV-25", "10/10/2026", "820.00"),
    _bill(_CT, "INV-26", "14/10/2026", "820.00"),
    _bill(_CT, "CN-3", "15/10/2026", "820.00", kind="Sales credit note"),
    # the same bill re-keyed three days later without the job number on its line: fires
    _bill(_CT, "INV-27", "20/10/2026", "610.00", said="WO-00009001: Consulting days"),
    _bill(_CT, "INV-28", "23/10/2026", "610.00", said="Consulting days"),
]


@pytest.fixture(scope="module")
def billing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[CliRunner, Path]]:
    cli = CliRunner()
    root = write_project(
        tmp_path_factory.mktemp("billing"),
        BILLING_YML,
        {
            "Account.csv": ACCOUNTS,
            "Contract.csv": CONTRACTS,
            "WorkOrder.csv": BILLING_WOS,
            "invoices.csv": _csv(XERO_HEADER, BILLING_ROWS),
        },
    )
    _run(cli, root)
    yield cli, root


def test_duplicate_invoice(billing: tuple[CliRunner, Path]) -> None:
    cli, root = billing
    assert _exceptions(cli, root, "duplicate_invoice") == {
        # same customer, GBP, 500.00, the same line, 1 June and 11 June: 10 days, inside
        # the 10-day window; money at risk is the later invoice's total, 500.00
        ("INV-1", "INV-2"): Decimal("500.00"),
        # Contoso, 610.00, "Consulting days" once the job number typed into the first copy's
        # line is left out, 3 days apart
        ("INV-27", "INV-28"): Decimal("610.00"),
        # not raised: INV-3/INV-4 (11 days apart), INV-5/INV-6 (INV-6 credited by CN-1),
        # INV-7/INV-8 (Northwind and Contoso), INV-23/INV-24 (Leeds and York),
        # INV-25/INV-26 (CN-3 credits one of them in full)
    }


def test_invoice_without_work(billing: tuple[CliRunner, Path]) -> None:
    cli, root = billing
    # Invoices that name no work order, for Northwind (its contract ended 2025-12-31) and
    # Fabrikam (no contract at all): each raised at its own total. Not raised: INV-20
    # (bills WO-00000101), CN-1 (a credit note), INV-8 (Contoso's contract runs
    # 2026-01-01..2026-12-31, INV-8 is dated 1 Sept) and INV-21 (quarantined, not in the
    # model).
    assert _exceptions(cli, root, "invoice_without_work") == {
        ("INV-1",): Decimal("500.00"),
        ("INV-2",): Decimal("500.00"),
        ("INV-3",): Decimal("640.00"),
        ("INV-4",): Decimal("640.00"),
        ("INV-5",): Decimal("900.00"),
        ("INV-6",): Decimal("900.00"),
        ("INV-7",): Decimal("300.00"),
        ("INV-9",): Decimal("250.00"),
    }


def test_unbilled_work_skips_work_named_by_quarantined_billing(
    billing: tuple[CliRunner, Path],
) -> None:
    cli, root = billing
    assert _exceptions(cli, root, "unbilled_work") == {
        # WO 00000103: completed 1 May, more than 14 days before 31 Oct, no invoice; its
        # planned value is 2,500.00 GBP. Not raised: WO 00000101 (billed by INV-20) and
        # WO 00000102 (its only invoice row is in quarantine).
        ("0WODn000001WWWcOAO",): Decimal("2500.00"),
    }
    code, out = invoke(cli, "quarantine", "-p", str(root), "-f", "json")
    assert code == 0, out
    rows = json.loads(out)
    # INV-21 is the second data row: line 3 of invoices.csv, counting the header as line 1
    assert [(r["column_name"], r["source_row"]) for r in rows] == [("Total", 3)]
    assert "WO-00000102" in rows[0]["raw_text"] and "1,7O0.00" in rows[0]["raw_text"]


def test_unbilled_work_fires_once_the_unreadable_row_is_gone(
    tmp_path: Path, cli: CliRunner
) -> None:
    # The same project without INV-21's row: nothing names WO 00000102 now, so it is
    # unbilled at its planned value, 1,700.00 GBP (and WO 00000103 still is, 2,500.00).
    rows = [r for r in BILLING_ROWS if ",INV-21," not in r]
    root = write_project(
        tmp_path,
        BILLING_YML,
        {
            "Account.csv": ACCOUNTS,
            "Contract.csv": CONTRACTS,
            "WorkOrder.csv": BILLING_WOS,
            "invoices.csv": _csv(XERO_HEADER, rows),
        },
    )
    _run(cli, root)
    assert _exceptions(cli, root, "unbilled_work") == {
        ("0WODn000001WWWbOAO",): Decimal("1700.00"),
        ("0WODn000001WWWcOAO",): Decimal("2500.00"),
    }


# --- price_variance edge cases: exact decimals, one currency ---------------------------------

EDGE_QUOTE_LINES = _csv(
    "Id,QuoteId,ProductCode,Quantity,UnitPrice,Discount,CurrencyIsoCode",
    [
        f"0QLDn000000LLLaOAO,{QUOTE_ID},DEV,10,100.00,,GBP",
        f"0QLDn000000LLLfOAO,{QUOTE_ID},HOST,1000,9.95,,GBP",
    ],
)
QL_HOST = "0QLDn000000LLLfOAO"
_EDGE = f"{_NW},INV-13,WO-00000101,10/02/2026,20412.00"
_EUR = f"{_NW},INV-14,WO-00000101,10/02/2026,117.00"
EDGE_INVOICES = _csv(
    XERO_HEADER,
    [
        f"{_EDGE},HOST,Hosting,1000,10.149,,GBP,Sales invoice,Paid",  # /1: 9.95 x 1.02, 2 %
        f"{_EDGE},HOST,Hosting,1000,10.16,,GBP,Sales invoice,Paid",  # /2: control, 2.11 %
        f"{_EDGE},DEV,Development,1,103.00,,GBP,Sales invoice,Paid",  # /3: control, 3 %
        # the quote is in GBP; 117.00 EUR at 0.85 is 99.45 GBP, 0.55 % under 100.00
        f"{_EUR},DEV,Development,1,117.00,,EUR,Sales invoice,Paid",
    ],
)
EDGE_YML = PRICING_YML + "  - {name: fx, path: fx.csv, preset: canonical.fx_rate}\n"
FX = "native_id,rate_date,from_currency,to_currency,rate\nFX1,2026-01-31,EUR,GBP,0.85\n"


@pytest.fixture(scope="module")
def price_edges(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[tuple[str, ...], Decimal | None]:
    cli = CliRunner()
    root = write_project(
        tmp_path_factory.mktemp("edges"),
        EDGE_YML,
        {
            "Account.csv": ACCOUNTS,
            "Quote.csv": QUOTES,
            "QuoteLineItem.csv": EDGE_QUOTE_LINES,
            "WorkOrder.csv": PRICING_WOS,
            "invoices.csv": EDGE_INVOICES,
            "fx.csv": FX,
        },
    )
    _run(cli, root)
    found = _exceptions(cli, root, "price_variance")
    # controls: HOST 9.95 -> 10.16 is 0.21 = 2.11 % over; 0.21 x 1000 = 210.00.
    # DEV 100.00 -> 103.00 is 3 % over; 3.00 x 1 = 3.00
    assert found[("INV-13/2", QL_HOST)] == Decimal("210.00")
    assert found[("INV-13/3", QL_DEV)] == Decimal("3.00")
    return found


def test_price_variance_exactly_pct_with_a_fractional_price(
    price_edges: dict[tuple[str, ...], Decimal | None],
) -> None:
    # 9.95 x 1.02 = 10.149 is exactly 2 % over: not "more than pct per cent"
    assert ("INV-13/1", QL_HOST) not in price_edges


def test_price_variance_compares_prices_in_one_currency(
    price_edges: dict[tuple[str, ...], Decimal | None],
) -> None:
    # 117.00 EUR against 100.00 GBP is 99.45 GBP against 100.00 GBP: 0.55 %, no variance
    assert ("INV-14/1", QL_DEV) not in price_edges
