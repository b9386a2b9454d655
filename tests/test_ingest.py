"""Ingest through the real pipeline on small hand-written exports, checked by hand."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from support import copy_project, invoke, write_project
from tieout import pipeline
from tieout.config import load_project
from tieout.engine import Warehouse
from tieout.ingest import run as ingest_run
from tieout.model import stable_id
from tieout.pipeline import RunSummary

SF_ACCOUNT = (
    "Id,Name,Website,BillingPostalCode,Tier__c\n"
    "001Dn000004XyZaIAK,Northwind Traders Limited,www.northwind.co.uk,EC1A 1BB,Strategic\n"
    "001Dn000004XyZbIAK,Contoso Ltd,contoso.com,,Standard\n"
)
SF_OPPORTUNITY = (
    "Id,AccountId,Name,StageName,Amount,CurrencyIsoCode,CloseDate,IsClosed,IsWon\n"
    "006Dn000001AAAaIAO,001Dn000004XyZaIAK,Website rebuild,Closed Won,12000.00,GBP,"
    "2026-03-31,true,true\n"
    "006Dn000001AAAbIAO,001Dn000009ZZZzIAO,Ghost deal,Prospecting,500,GBP,2026-04-30,false,false\n"
)
SF_QUOTE = (
    "Id,QuoteNumber,OpportunityId,AccountId,Status,CreatedDate,TotalPrice,CurrencyIsoCode\n"
    "0Q0Dn000000QQQaKAO,00000101,006Dn000001AAAaIAO,001Dn000004XyZaIAK,Accepted,"
    "2026-02-10T09:30:00.000Z,12000.00,GBP\n"
    "0Q0Dn000000QQQbKAO,00000102,006Dn000001AAAbIAO,,Draft,2026-02-11T09:30:00.000Z,500,GBP\n"
)
XERO = (
    "*ContactName,EmailAddress,*InvoiceNumber,Reference,*InvoiceDate,*DueDate,Total,"
    "*Description,*Quantity,*UnitAmount,Discount,LineAmount,*AccountCode,*TaxType,TaxAmount,"
    "Currency,Type,Status\n"
    'Société Générale Services,ap@sgs.fr,INV-0001,WO-00123,05/03/2026,04/04/2026,"1,234.50",'
    '"Design, phase 1",1,"1,234.50",,"1,234.50",200,20% (VAT on Income),0,EUR,Sales invoice,Paid\n'
    "Northwind,accounts@northwind.co.uk,CN-0001,INV-0001,06/03/2026,05/04/2026,100.00,"
    "Refund,1,100.00,,100.00,200,20% (VAT on Income),20.00,GBP,Sales credit note,Paid\n"
    "Northwind,accounts@northwind.co.uk,INV-0002,,31/02/2026,05/04/2026,50,X,1,50,,50,200,"
    "Exempt,0,GBP,Sales invoice,Draft\n"
)
HARVEST = (
    "\ufeffDate,Client,Project,Project Code,Task,Notes,Hours,Billable?,Invoiced?,First Name,"
    "Last Name,Billable Rate,Billable Amount,Cost Rate,Cost Amount,Currency\n"
    '2026-03-02,Northwind Traders,Website rebuild,WO-00123,Design,"Wireframes, v2",2.5,Yes,'
    "No,Ada,Lovelace,120,300,60,150,British Pound - GBP\n"
    '2026-03-02,Northwind Traders,Website rebuild,WO-00123,Design,"Wireframes, v2",2.5,Yes,'
    "No,Ada,Lovelace,120,300,60,150,British Pound - GBP\n"
)
SERVICENOW = (
    "number,opened_at,resolved_at,closed_at,short_description,priority,state,category,company,"
    "assignment_group,assigned_to,reopen_count,escalation\n"
    "INC0010001,2026-07-01 10:00:00,2026-07-01 12:30:00,,Email down,1 - Critical,Resolved,"
    "Software,Northwind Traders Ltd,Service Desk,Grace Hopper,1,Overdue\n"
    "INC0010002,2026-07-02 10:00:00,,,Printer,5 - Planning,In Progress,Hardware,Contoso,"
    "Service Desk,,0,Normal\n"
)
ZENDESK = (
    "Id,Requester,Requester email,Requester domain,Assignee,Group,Subject,Tags,Status,Priority,"
    "Via,Ticket type,Created at,Solved at,Organization,Reopens\n"
    "4412,Sam,sam@contoso.com,contoso.com,Lee,Support,Login fails,sso,Solved,Urgent,Mail,"
    "Incident,2026-05-01 08:00:00,2026-05-01 09:15:00,,0\n"
)
YML = """
name: hand
as_of: 2026-10-31
sources:
  - {name: sf_account, path: exports/sf/Account.csv, preset: salesforce.account}
  - {name: sf_opportunity, path: exports/sf/Opportunity.csv, preset: salesforce.opportunity}
  - {name: sf_quote, path: exports/sf/Quote.csv, preset: salesforce.quote}
  - {name: xero, path: exports/xero/*.csv, preset: xero.invoices}
  - {name: harvest, path: exports/harvest.csv, preset: harvest.time}
  - name: servicenow
    path: exports/incident.csv
    preset: servicenow.incident
    timezone: Europe/London
  - {name: zendesk, path: exports/zendesk.csv, preset: zendesk.tickets}
  - name: legacy_crm
    path: exports/legacy.csv
    system: legacy
    object: customer
    table: account
    fields: {native_id: Cust No, name: Customer Name, created_at: Opened}
    date_formats: ["%d.%m.%Y"]
"""
LEGACY = "Cust No;Customer Name;Opened\nL-1;Alpha GmbH;03.02.2025\nL-2;;04.02.2025\n"


def make(root: Path) -> Path:
    return write_project(
        root,
        YML,
        {
            "exports/sf/Account.csv": SF_ACCOUNT,
            "exports/sf/Opportunity.csv": SF_OPPORTUNITY,
            "exports/sf/Quote.csv": SF_QUOTE,
            "exports/xero/invoices.csv": XERO.encode("cp1252"),
            "exports/harvest.csv": HARVEST,
            "exports/incident.csv": SERVICENOW,
            "exports/zendesk.csv": ZENDESK,
            "exports/legacy.csv": LEGACY,
        },
    )


@pytest.fixture(scope="module")
def landed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, RunSummary]:
    """The hand-written exports after their first run, and that run's summary; shared, each
    test that changes the project working on its own copy."""
    root = make(tmp_path_factory.mktemp("ingest"))
    return root, pipeline.run(load_project(root))


def test_hand_written_exports_land_as_expected(landed: tuple[Path, RunSummary]) -> None:
    root, summary = landed
    project = load_project(root)
    files = {f.file: f for f in summary.ingest.files}
    for f in files.values():
        assert f.rows_read == f.rows_accepted + f.rows_quarantined
    assert (
        files["exports/xero/invoices.csv"].rows_read,
        files["exports/xero/invoices.csv"].rows_quarantined,
    ) == (3, 1)
    assert files["exports/xero/invoices.csv"].encoding == "cp1252"
    with pipeline.snapshots(project).open_current() as wh:
        # Xero: cp1252 name, quoted thousands, credit note negative, day-first dates
        lines = wh.query_dicts(
            "SELECT invoice_number, line_amount, currency, doc_type FROM invoice_line "
            "ORDER BY invoice_number"
        )
        assert lines == [
            {
                "invoice_number": "CN-0001",
                "line_amount": Decimal("-100.00"),
                "currency": "GBP",
                "doc_type": "credit_note",
            },
            {
                "invoice_number": "INV-0001",
                "line_amount": Decimal("1234.50"),
                "currency": "EUR",
                "doc_type": "invoice",
            },
        ]
        inv = wh.query_dicts("SELECT * FROM invoice WHERE invoice_number = 'INV-0001'")[0]
        assert inv["customer_name"] == "Société Générale Services"
        assert inv["invoice_date"] == dt.date(2026, 3, 5)
        assert inv["total"] == Decimal("1234.50")
        assert inv["id"] == stable_id("invoice", "xero", "invoice", "INV-0001")
        bad = wh.query_dicts("SELECT * FROM quarantine WHERE source = 'xero'")
        assert len(bad) == 1
        assert bad[0]["source_row"] == 4
        assert bad[0]["column_name"] == "*InvoiceDate"  # as the file spells it
        assert "31/02/2026" in bad[0]["reason"]
        assert bad[0]["raw_text"].startswith("Northwind,accounts@northwind.co.uk,INV-0002")

        # Salesforce: 18-char ids become 15; dangling AccountId quarantined, then its quote
        accounts = wh.query_dicts(
            "SELECT native_id, tier, website FROM account WHERE source_system = 'salesforce' "
            "ORDER BY native_id"
        )
        assert [a["native_id"] for a in accounts] == ["001Dn000004XyZaIAK", "001Dn000004XyZbIAK"]
        assert accounts[0]["tier"] == "strategic"
        assert wh.count("opportunity") == 1
        assert wh.count("quote") == 1
        reasons = [
            r[0]
            for r in wh.query(
                "SELECT reason FROM quarantine WHERE source LIKE 'sf_%' ORDER BY source"
            )
        ]
        assert len(reasons) == 2
        assert "001Dn000009ZZZzIAO" in reasons[0] and "did not export" in reasons[0]
        assert "006Dn000001AAAbIAO" in reasons[1]

        # Harvest: BOM, currency from "British Pound - GBP", identical rows kept apart
        entries = wh.query_dicts(
            "SELECT native_id, hours, billable, currency, cost_amount FROM time_entry"
        )
        assert len(entries) == 2
        assert len({e["native_id"] for e in entries}) == 2
        assert {e["currency"] for e in entries} == {"GBP"}
        assert sum(e["hours"] for e in entries) == Decimal("5.00")
        assert all(e["billable"] is True for e in entries)
        assert wh.scalar("SELECT count(*) FROM person WHERE source_system = 'harvest'") == 1

        # ServiceNow: "1 - Critical" is 1, 5 caps at 4, London summer time shifted to UTC
        tickets = wh.query_dicts(
            "SELECT ticket_number, priority, status, opened_at, escalated, customer_name, "
            "requester_email FROM ticket ORDER BY ticket_number"
        )
        assert tickets[0] == {
            "ticket_number": "4412",
            "priority": 1,
            "status": "resolved",
            "opened_at": dt.datetime(2026, 5, 1, 8, 0),
            "escalated": None,
            # no organisation: the customer is left to match (requester's domain)
            "customer_name": None,
            "requester_email": "sam@contoso.com",
        }
        assert tickets[1]["priority"] == 1
        assert tickets[1]["status"] == "resolved"
        assert tickets[1]["opened_at"] == dt.datetime(2026, 7, 1, 9, 0)
        assert tickets[1]["escalated"] is True
        assert tickets[2]["priority"] == 4
        assert tickets[2]["status"] == "open"

        # A source mapped column by column, semicolon-delimited, with its own date format
        legacy = wh.query_dicts(
            "SELECT name, created_at FROM account WHERE source_system = 'legacy'"
        )
        assert legacy == [{"name": "Alpha GmbH", "created_at": dt.datetime(2025, 2, 3)}]
        (reason,) = wh.query("SELECT reason FROM quarantine WHERE source = 'legacy_crm'")[0]
        assert reason == "Customer Name: required value is empty"


def test_second_run_is_cached_and_identical(
    landed: tuple[Path, RunSummary], tmp_path: Path
) -> None:
    root, first = landed
    project = load_project(copy_project(root, tmp_path / "ingest"))
    second = pipeline.run(project)
    assert not any(f.cached for f in first.ingest.files)
    assert all(f.cached for f in second.ingest.files)
    assert first.run_id != second.run_id
    snaps = pipeline.snapshots(project)
    contents = []
    for run_id in (first.run_id, second.run_id):
        with Warehouse(snaps.path_for(run_id), read_only=True) as wh:
            contents.append(
                {
                    t: wh.query(f'SELECT * FROM "{t}" ORDER BY ALL')
                    for t in ("invoice_line", "account", "time_entry", "quarantine", "load_file")
                }
            )
    assert contents[0]["account"] == contents[1]["account"]
    assert contents[0]["invoice_line"] == contents[1]["invoice_line"]
    assert contents[0]["time_entry"] == contents[1]["time_entry"]
    assert contents[0]["quarantine"] == contents[1]["quarantine"]


def test_unreadable_file_stops_run_and_keeps_previous_snapshot(
    landed: tuple[Path, RunSummary], tmp_path: Path, cli: CliRunner
) -> None:
    root = copy_project(landed[0], tmp_path / "ingest")  # after its first run
    project = load_project(root)
    before = pipeline.snapshots(project).current_id()
    assert before == landed[1].run_id
    (root / "exports/xero/extra.csv").write_text("Name,Amount\nx,1\n", encoding="utf-8")
    code, out = invoke(cli, "run", "-p", str(root))
    assert code == 1
    assert "exports/xero/extra.csv: missing required column(s) ContactName" in out
    assert pipeline.snapshots(project).current_id() == before
    code, out = invoke(cli, "runs", "-p", str(root), "--format", "json")
    assert code == 0
    assert '"failed"' in out


def test_parquet_source(tmp_path: Path) -> None:
    table = pa.table(
        {
            "native_id": ["FX1", "FX2"],
            "rate_date": [dt.date(2026, 1, 31), dt.date(2026, 2, 28)],
            "from_currency": ["EUR", "USD"],
            "to_currency": ["GBP", "GBP"],
            "rate": [Decimal("0.85123456"), Decimal("0.79")],
        }
    )
    (tmp_path / "fx").mkdir()
    pq.write_table(table, tmp_path / "fx" / "rates.parquet")
    write_project(
        tmp_path,
        "name: pq\nsources:\n  - {name: fx, path: fx/*.parquet, preset: canonical.fx_rate}\n",
        {},
    )
    project = load_project(tmp_path)
    pipeline.run(project, as_of=dt.date(2026, 10, 31))
    with pipeline.snapshots(project).open_current() as wh:
        assert wh.query("SELECT rate_date, rate FROM fx_rate ORDER BY rate_date") == [
            (dt.date(2026, 1, 31), Decimal("0.85123456")),
            (dt.date(2026, 2, 28), Decimal("0.79000000")),
        ]
        assert wh.scalar("SELECT as_of FROM run_info") == dt.date(2026, 10, 31)


INGESTED = (
    "account",
    "opportunity",
    "quote",
    "invoice",
    "invoice_line",
    "time_entry",
    "ticket",
    "quarantine",
    "field_warning",
    "superseded_row",
    "derived_value",
    "load_format",
)


def _ingested(project_root: Path, run_id: str) -> dict[str, list[tuple[object, ...]]]:
    snaps = pipeline.snapshots(load_project(project_root))
    with Warehouse(snaps.path_for(run_id), read_only=True) as wh:
        return {t: wh.query(f'SELECT * FROM "{t}" ORDER BY ALL') for t in INGESTED}


def test_typed_cache_restores_unchanged_sources_and_reloads_changed_ones(
    landed: tuple[Path, RunSummary], tmp_path: Path
) -> None:
    """A source whose files, mapping and date bounds are unchanged is not typed again: its
    rows come back from the typed cache, the same rows a load from scratch gives. A changed
    file reloads its source alone."""
    root, first = landed
    every = {s.name for s in load_project(root).definitions.sources}
    assert first.ingest.sources_restored == ()
    project = copy_project(root, tmp_path / "ingest")
    second = pipeline.run(load_project(project))
    assert set(second.ingest.sources_restored) == every

    harvest = project / "exports" / "harvest.csv"
    harvest.write_text(HARVEST.replace("2.5,Yes", "3.5,Yes", 1), encoding="utf-8")
    account = project / "exports" / "sf" / "Account.csv"
    account.write_text(SF_ACCOUNT.replace("contoso.com", "contoso.co.uk"), encoding="utf-8")
    third = pipeline.run(load_project(project))
    assert set(third.ingest.sources_restored) == every - {"harvest", "sf_account"}
    snaps = pipeline.snapshots(load_project(project))
    with Warehouse(snaps.path_for(third.run_id), read_only=True) as wh:
        assert sorted(float(h) for (h,) in wh.query("SELECT hours FROM time_entry")) == [2.5, 3.5]

    shutil.rmtree(project / pipeline.WORK_DIR / "landing" / "typed")
    cleared = pipeline.run(load_project(project))
    assert cleared.ingest.sources_restored == ()
    assert _ingested(project, third.run_id) == _ingested(project, cleared.run_id)


def test_typed_cache_reloads_a_later_source_of_the_same_records(tmp_path: Path) -> None:
    """Two sources of Salesforce accounts: the second's row with an id the first loaded is
    refused. When the first source changes, the second is loaded again too (its refusal may
    no longer hold); an unrelated change to neither restores both."""
    yml = """
name: twice
as_of: 2026-10-31
sources:
  - {name: first, path: exports/a.csv, preset: salesforce.account}
  - {name: second, path: exports/b.csv, preset: salesforce.account}
  - {name: zendesk, path: exports/zendesk.csv, preset: zendesk.tickets}
"""
    more = SF_ACCOUNT.splitlines()[0] + "\n001Dn000004XyZbIAK,Contoso again,,,Standard\n"
    root = write_project(
        tmp_path / "p",
        yml,
        {"exports/a.csv": SF_ACCOUNT, "exports/b.csv": more, "exports/zendesk.csv": ZENDESK},
    )
    cache = tmp_path / "cache"

    def ingest() -> tuple[tuple[str, ...], list[tuple[object, ...]]]:
        project = load_project(root)
        with Warehouse() as wh:
            summary = ingest_run(wh, project, cache_dir=cache, as_of=dt.date(2026, 10, 31))
            refused = wh.query("SELECT source, source_row FROM quarantine ORDER BY ALL")
        return summary.sources_restored, refused

    assert ingest() == ((), [("second", 2)])
    assert ingest() == (("first", "second", "zendesk"), [("second", 2)])
    (root / "exports" / "a.csv").write_text(
        SF_ACCOUNT.splitlines()[0] + "\n" + SF_ACCOUNT.splitlines()[1] + "\n"
    )
    assert ingest() == (("zendesk",), [])
    (root / "exports" / "zendesk.csv").write_text(ZENDESK.replace("Login fails", "Login failed"))
    assert ingest() == (("first", "second"), [])


def test_typed_cache_follows_the_as_of_date_only_where_it_decides(tmp_path: Path) -> None:
    """The upper date bound moves with the as-of date every day. A source whose every date
    lies before it is restored under a later bound; one with a date the new bound makes
    implausible is typed again, and so is it next time (that bound decided something)."""
    yml = """
name: dates
ingest: {latest_years_ahead: 0, max_quarantine_pct: 100}
sources:
  - {name: zendesk, path: exports/zendesk.csv, preset: zendesk.tickets}
"""
    root = write_project(tmp_path / "p", yml, {"exports/zendesk.csv": ZENDESK})
    cache = tmp_path / "cache"

    def ingest(day: dt.date) -> tuple[tuple[str, ...], list[tuple[object, ...]]]:
        with Warehouse() as wh:
            summary = ingest_run(wh, load_project(root), cache_dir=cache, as_of=day)
            tables = [
                *wh.query("SELECT * FROM ticket ORDER BY ALL"),
                *wh.query("SELECT * FROM field_warning ORDER BY ALL"),
                *wh.query("SELECT * FROM quarantine ORDER BY ALL"),
            ]
        return summary.sources_restored, tables

    restored, before = ingest(dt.date(2026, 10, 31))  # the ticket was solved 2026-05-01
    assert restored == ()
    assert ingest(dt.date(2026, 11, 1)) == (("zendesk",), before)
    assert ingest(dt.date(2026, 5, 2)) == (("zendesk",), before)
    restored, early = ingest(dt.date(2026, 4, 30))
    assert restored == ()
    assert early != before  # the ticket's dates are after the bound now
    assert ingest(dt.date(2026, 4, 30)) == (("zendesk",), early)
    restored, later = ingest(dt.date(2026, 4, 29))
    assert restored == ()
    shutil.rmtree(cache / "typed")
    assert ingest(dt.date(2026, 4, 29)) == ((), later)
