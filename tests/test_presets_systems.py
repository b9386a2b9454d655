"""Presets for HubSpot, QuickBooks Online, Jira Service Management, Clockify, Toggl and
Salesforce Contact, read from files written from each vendor's documented columns.

The fixtures are in tests/presets_fixtures/; every expected value below is stated by hand
from the rows there. One ingest run serves every test (the stage alone, no full run).
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from tieout import ingest
from tieout.config import load_project
from tieout.engine import Warehouse
from tieout.ingest import IngestSummary
from tieout.match.sqlfiles import run_sql

FIXTURES = Path(__file__).parent / "presets_fixtures"

PROJECT = """\
name: systems
reporting_currency: USD
ingest: {max_quarantine_pct: 100}
sources:
  - {name: sf_account, path: exports/salesforce/Account.csv, preset: salesforce.account}
  - {name: sf_contact, path: exports/salesforce/Contact.csv, preset: salesforce.contact}
  - {name: hs_companies, path: exports/hubspot/companies.csv, preset: hubspot.companies}
  - {name: hs_contacts, path: exports/hubspot/contacts.csv, preset: hubspot.contacts}
  - {name: hs_deals, path: exports/hubspot/deals.csv, preset: hubspot.deals}
  - {name: hs_line_items, path: exports/hubspot/line_items.csv, preset: hubspot.line_items}
  - {name: hs_tickets, path: exports/hubspot/tickets.csv, preset: hubspot.tickets}
  - {name: qbo_invoices, path: exports/quickbooks/invoice_list.csv, preset: quickbooks.invoices}
  - {name: qbo_sales, path: exports/quickbooks/sales_detail.csv, preset: quickbooks.sales_detail}
  - {name: jira, path: exports/jira/issues.csv, preset: jira.issues}
  - {name: clockify, path: exports/clockify/detailed.csv, preset: clockify.time}
  - {name: toggl, path: exports/toggl/detailed.csv, preset: toggl.time}
"""


@pytest.fixture(scope="module")
def landed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Warehouse, IngestSummary]]:
    root = tmp_path_factory.mktemp("systems")
    shutil.copytree(FIXTURES, root / "exports")
    (root / "tieout.yml").write_text(PROJECT, encoding="utf-8")
    with Warehouse() as warehouse:
        summary = ingest.run(
            warehouse, load_project(root), cache_dir=root / "cache", as_of=dt.date(2025, 6, 30)
        )
        yield warehouse, summary


@pytest.fixture(scope="module")
def wh(landed: tuple[Warehouse, IngestSummary]) -> Warehouse:
    return landed[0]


def test_salesforce_contacts_are_a_customers_people(wh: Warehouse) -> None:
    rows = wh.query(
        "SELECT native_id, account_native_id, name, email, phone, title, created_at "
        "FROM contact WHERE source_system = 'salesforce' ORDER BY native_id"
    )
    assert rows == [
        (
            "003D000000CcAaAIAV",
            "001D000000IqhSLIAZ",
            "Ada Lovelace",
            "ada.lovelace@northwind.co.uk",
            "+44 20 7946 0001",
            "CFO",
            dt.datetime(2025, 3, 12, 10, 4, 11),
        ),
        # the empty-lookup placeholder is no account; MobilePhone stands in for Phone
        (
            "003D000000CcAbAIAV",
            None,
            "Hopper",
            "grace@gmail.com",
            "07700 900123",
            None,
            dt.datetime(2025, 3, 13, 8, 0),
        ),
    ]
    # contacts are not staff
    assert wh.query("SELECT count(*) FROM person WHERE source_system = 'salesforce'") == [(0,)]


def test_hubspot_companies_and_contacts(wh: Warehouse) -> None:
    assert wh.query(
        "SELECT native_id, name, website, city, owner_native_id, created_at FROM account "
        "WHERE source_system = 'hubspot' ORDER BY native_id"
    ) == [
        (
            "9001",
            "Contoso Ltd",
            "contoso.com",
            "Seattle",
            "Sam Sales",
            dt.datetime(2024, 2, 1, 9, 30),
        ),
        (
            "9002",
            "Fabrikam Inc",
            "https://www.fabrikam.com",
            None,
            None,
            dt.datetime(2024, 3, 15, 14, 5),
        ),
    ]
    assert wh.query(
        "SELECT native_id, account_native_id, name, email, title FROM contact "
        "WHERE source_system = 'hubspot' ORDER BY native_id"
    ) == [
        ("501", "9001", "Priya Shah", "priya@contoso.com", "Head of Operations"),
        # no name: the address names the contact; of '9002;9001' the first (primary) is kept
        ("502", "9002", "ops@fabrikam.com", "ops@fabrikam.com", None),
    ]


def test_hubspot_deals_and_line_items(wh: Warehouse) -> None:
    assert wh.query(
        "SELECT native_id, account_native_id, amount, currency, close_date, is_closed, is_won "
        "FROM opportunity WHERE source_system = 'hubspot' ORDER BY native_id"
    ) == [
        ("7001", "9001", Decimal("12000.00"), "USD", dt.date(2024, 6, 30), True, True),
        ("7002", "9002", Decimal("5000.50"), "USD", dt.date(2024, 9, 30), False, False),
    ]
    # 2 x 2500.25 = 5000.50; 3 x (100 - 10 off per unit) = 270.00, a 10% discount
    assert wh.query(
        "SELECT native_id, opportunity_native_id, product_code, discount_pct, total_price "
        "FROM opportunity_line WHERE source_system = 'hubspot' ORDER BY native_id"
    ) == [
        ("8101", "7001", "SUP-1", None, Decimal("12000.00")),
        ("8102", "7002", "ONB-1", None, Decimal("5000.50")),
        ("8103", "7002", "TRN-1", Decimal("10.0000"), Decimal("270.00")),
    ]


def test_hubspot_tickets(wh: Warehouse) -> None:
    assert wh.query(
        "SELECT native_id, account_native_id, status, priority, priority_label, opened_at, "
        "resolved_at, closed_at FROM ticket WHERE source_system = 'hubspot' ORDER BY native_id"
    ) == [
        (
            "301",
            "9001",
            "closed",
            2,
            "High",
            dt.datetime(2024, 5, 1, 8, 0),
            dt.datetime(2024, 5, 1, 9, 15),
            dt.datetime(2024, 5, 1, 9, 15),
        ),
        ("302", "9002", "pending", 4, "Low", dt.datetime(2024, 5, 2, 10, 30), None, None),
    ]


def test_quickbooks_invoice_list_month_first_and_totals_skipped(
    wh: Warehouse, landed: tuple[Warehouse, IngestSummary]
) -> None:
    assert wh.query(
        "SELECT native_id, doc_type, customer_name, invoice_date, due_date, status, currency, "
        "total, amount_paid, amount_due FROM invoice WHERE source_system = 'quickbooks' "
        "ORDER BY doc_type, native_id"
    ) == [
        (
            "1002",
            "credit_note",
            "Acme Corp",
            dt.date(2025, 3, 14),
            None,
            "authorised",
            "USD",
            Decimal("-200.00"),
            None,
            Decimal("-200.00"),
        ),
        # 04/11/2025 alone could be either order: QuickBooks' month-first default decides
        (
            "1001",
            "invoice",
            "Acme Corp",
            dt.date(2025, 3, 12),
            dt.date(2025, 4, 11),
            "paid",
            "USD",
            Decimal("1500.00"),
            Decimal("1500.00"),
            Decimal("0.00"),
        ),
        (
            "1003",
            "invoice",
            "Globex LLC",
            dt.date(2025, 4, 2),
            dt.date(2025, 5, 2),
            "authorised",
            "USD",
            Decimal("750.00"),
            Decimal("0.00"),
            Decimal("750.00"),
        ),
    ]
    # "Total for Acme Corp" and TOTAL are the report's rows, counted as such, not records
    refused = wh.query(
        "SELECT source_file, source_row FROM quarantine WHERE source = 'qbo_invoices' "
        "OR source = 'qbo_sales' ORDER BY ALL"
    )
    assert refused == []
    files = {
        r["source_file"]: (r["rows_read"], r["rows_accepted"])
        for r in wh.query_dicts("SELECT * FROM load_file WHERE source_file LIKE '%quickbooks%'")
    }
    assert files == {
        "exports/quickbooks/invoice_list.csv": (3, 3),
        "exports/quickbooks/sales_detail.csv": (2, 2),
    }
    notes = [w for w in landed[1].warnings if "the report's own rows" in w]
    assert notes[0] == (
        "exports/quickbooks/invoice_list.csv: not records, the report's own rows: 2 total rows"
    )


def test_quickbooks_sales_detail_lines(wh: Warehouse) -> None:
    assert wh.query(
        "SELECT native_id, invoice_native_id, item_code, quantity, unit_price, line_amount "
        "FROM invoice_line WHERE source_system = 'quickbooks' ORDER BY line_amount"
    ) == [
        (
            "1002/1",
            "1002",
            "Retainer",
            Decimal("-1.0000"),
            Decimal("200.0000"),
            Decimal("-200.00"),
        ),
        (
            "1001/1",
            "1001",
            "Retainer",
            Decimal("10.0000"),
            Decimal("150.0000"),
            Decimal("1500.00"),
        ),
    ]
    # the headers the lines name were loaded from the invoice list, once
    assert wh.query("SELECT count(*) FROM invoice WHERE source_system = 'quickbooks'") == [(3,)]


def test_jira_service_management_issues(wh: Warehouse) -> None:
    assert wh.query(
        "SELECT native_id, customer_name, category, topic, status, priority, opened_at, "
        "resolved_at, assignee FROM ticket WHERE source_system = 'jira' ORDER BY native_id"
    ) == [
        (
            "SD-12",
            "Contoso Ltd",
            "incident",
            "Report a system problem",
            "resolved",
            2,
            dt.datetime(2025, 3, 12, 10, 4),
            dt.datetime(2025, 3, 12, 14, 30),
            "Grace Hopper",
        ),
        (
            "SD-13",
            "Fabrikam Inc",
            "request",
            "Request new hardware",
            "pending",
            3,
            dt.datetime(2025, 4, 3, 9, 15),
            None,
            None,
        ),
    ]
    assert wh.query("SELECT name FROM person WHERE source_system = 'jira'") == [("Grace Hopper",)]


def test_clockify_and_toggl_detailed_reports(wh: Warehouse) -> None:
    rows = wh.query(
        "SELECT source_system, entry_date, person_name, customer_name, hours, billable, "
        "bill_amount, currency FROM time_entry ORDER BY source_system, entry_date"
    )
    assert rows == [
        (
            "clockify",
            dt.date(2025, 3, 12),
            "Ada Lovelace",
            "Acme Corp",
            Decimal("1.51"),
            True,
            Decimal("151.00"),
            "USD",
        ),
        # no decimal duration: 00:15:00 is a quarter of an hour
        (
            "clockify",
            dt.date(2025, 3, 13),
            "Ada Lovelace",
            "Acme Corp",
            Decimal("0.25"),
            False,
            Decimal("0.00"),
            "USD",
        ),
        # 02:45:00 = 2.75 h; the currency is the one in the "Amount (EUR)" header
        (
            "toggl",
            dt.date(2025, 3, 12),
            "Grace Hopper",
            "Globex LLC",
            Decimal("2.75"),
            True,
            Decimal("275.00"),
            "EUR",
        ),
        # 00:20:00 = 0.33 h; no amount and no client
        ("toggl", dt.date(2025, 3, 13), "Grace Hopper", None, Decimal("0.33"), False, None, "USD"),
    ]
    # Clockify's closing Total row has no Start Date: refused, never read as an entry
    assert wh.query("SELECT source_row FROM quarantine WHERE source = 'clockify'") == [(4,)]


def test_a_contacts_email_domain_is_its_accounts_domain(wh: Warehouse) -> None:
    """Customer matching reads contacts: Northwind has no website, its contact writes from
    northwind.co.uk; the contact without an account (gmail) is no evidence of anyone."""
    run_sql(wh, "normalise.sql")
    run_sql(wh, "references.sql")
    run_sql(wh, "customer_records.sql", match_master="salesforce", match_master_object="Account")
    domains = dict(wh.query("SELECT unique_id, domain FROM _match_customer"))
    assert domains["salesforce|Account|001D000000IqhSLIAZ"] == "northwind.co.uk"
    assert domains["hubspot|company|9001"] == "contoso.com"  # its own domain comes first
