"""What Xero and Zendesk exports mean where they leave a cell blank or write a word for
"nothing": read by the ingest stage alone, expected values stated by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from support import write_project
from tieout import ingest
from tieout.config import load_project
from tieout.engine import Warehouse

AS_OF = dt.date(2026, 6, 30)

# Xero's own sales invoice import template: asterisks on required headers, Currency left
# blank (the organisation's base currency).
XERO_HEADER = (
    "*ContactName,EmailAddress,POAddressLine1,POAddressLine2,POAddressLine3,POAddressLine4,"
    "POCity,PORegion,POPostalCode,POCountry,*InvoiceNumber,Reference,*InvoiceDate,*DueDate,"
    "InventoryItemCode,*Description,*Quantity,*UnitAmount,Discount,*AccountCode,*TaxType,"
    "TrackingName1,TrackingOption1,TrackingName2,TrackingOption2,Currency,BrandingTheme\n"
)
XERO_EU = XERO_HEADER + (
    "Bayside Club,,,,,,,,,,INV-0101,,15/03/2026,14/04/2026,,Consulting,2,150.00,,200,"
    "Tax on Sales,,,,,,\n"
    "Bayside Club,,,,,,,,,,INV-0101,,15/03/2026,14/04/2026,,Travel,1,80.00,,200,"
    "Tax on Sales,,,,,,\n"
    "Ridgeway Bank,,,,,,,,,,INV-0102,,16/03/2026,15/04/2026,,Consulting,1,99.50,,200,"
    "Tax on Sales,,,,,USD,\n"
)
XERO_HOME = XERO_HEADER + (
    "City Agency,,,,,,,,,,INV-0201,,17/03/2026,16/04/2026,,Audit,1,500.00,,200,Tax on Sales,,,,,,\n"
)
ZENDESK = (
    "Id,Requester,Requester email,Created at,Status,Priority,Satisfaction Score\n"
    "101,Ann,ann@acme.example,2026-03-02 09:00:00,solved,normal,Not Offered\n"
    "102,Bob,bob@acme.example,2026-03-02 10:00:00,solved,normal,Offered\n"
    "103,Cy,cy@acme.example,2026-03-02 11:00:00,solved,high,Good\n"
    '104,Di,di@acme.example,2026-03-02 12:00:00,closed,low,"Bad, I\'m unsatisfied"\n'
    "105,Ed,ed@acme.example,2026-03-02 13:00:00,open,urgent,Unoffered\n"
)
PROJECT = """\
name: xz
reporting_currency: GBP
sources:
  - {name: xero_eu, path: xero/eu.csv, preset: xero.invoices, base_currency: EUR}
  - {name: xero_home, path: xero/home.csv, preset: xero.invoices}
  - {name: zendesk, path: zendesk/tickets.csv, preset: zendesk.tickets}
"""


Loaded = tuple[Warehouse, ingest.IngestSummary]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Loaded:
    root = tmp_path_factory.mktemp("xero_zendesk")
    write_project(
        root,
        PROJECT,
        {"xero/eu.csv": XERO_EU, "xero/home.csv": XERO_HOME, "zendesk/tickets.csv": ZENDESK},
    )
    wh = Warehouse()
    summary = ingest.run(wh, load_project(root), cache_dir=root / "cache", as_of=AS_OF)
    return wh, summary


def test_blank_currency_is_the_sources_base_currency(loaded: Loaded) -> None:
    wh, summary = loaded
    files = {f.file: f for f in summary.files}
    assert (files["xero/eu.csv"].rows_read, files["xero/eu.csv"].rows_quarantined) == (3, 0)
    assert files["xero/home.csv"].rows_quarantined == 0
    # eu.csv names EUR as its base currency; home.csv has none, so GBP, the reporting one;
    # a currency the row does state (USD) stays
    assert wh.query("SELECT invoice_number, currency FROM invoice ORDER BY 1") == [
        ("INV-0101", "EUR"),
        ("INV-0102", "USD"),
        ("INV-0201", "GBP"),
    ]
    # 2 x 150.00 and 1 x 80.00 on INV-0101
    assert wh.query(
        "SELECT line_amount, currency FROM invoice_line WHERE invoice_number = 'INV-0101' "
        "ORDER BY line_number"
    ) == [(Decimal("300.00"), "EUR"), (Decimal("80.00"), "EUR")]


def test_zendesk_unrated_tickets_are_empty_not_quarantined(loaded: Loaded) -> None:
    wh, summary = loaded
    zendesk = next(f for f in summary.files if f.file == "zendesk/tickets.csv")
    assert (zendesk.rows_read, zendesk.rows_quarantined) == (5, 0)
    assert wh.count("field_warning") == 0
    assert wh.query("SELECT ticket_number, satisfied FROM ticket ORDER BY 1") == [
        ("101", None),  # Not Offered
        ("102", None),  # Offered, not answered
        ("103", True),
        ("104", False),  # Bad, I'm unsatisfied
        ("105", None),  # Unoffered
    ]
