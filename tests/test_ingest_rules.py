"""Ingest's rules on small hand-written exports, run through the ingest stage alone.

Every expected value below is worked out by hand from the rows written here.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from support import write_project
from tieout import ingest
from tieout.config import load_project
from tieout.engine import Warehouse
from tieout.errors import QuarantineLimitError

AS_OF = dt.date(2026, 6, 30)

# Data Export: every empty lookup is 000000000000000AAA; ids have 18 characters.
ACCOUNT = (
    "Id,Name,ParentId,OwnerId,CreatedDate\n"
    "001D000000IqhSLIAZ,Northwind Traders,000000000000000AAA,000000000000000AAA,"
    "2025-03-12T10:04:11.000Z\n"
    "001D000000IqhSMIAZ,,000000000000000AAA,000000000000000AAA,2025-03-12T10:05:00.000Z\n"
)
# The first names its account by the 15-character form (as old reports and URLs do);
# the second names the account whose row is quarantined above (its Name is empty).
OPPORTUNITY = (
    "Id,AccountId,Name,StageName,Amount,CurrencyIsoCode,CloseDate\n"
    "006D000000AbCdEIAV,001D000000IqhSL,Website rebuild,Closed Won,1200.00,GBP,2026-03-31\n"
    "006D000000AbCdFIAV,001D000000IqhSMIAZ,Ghost,Prospecting,10.00,GBP,2026-04-30\n"
)
# Data Export has no Quote totals and no line totals: they are formula fields.
QUOTE = (
    "Id,QuoteNumber,OpportunityId,AccountId,Status,CurrencyIsoCode\n"
    "0Q0D000000QqQaAKAV,00000101,006D000000AbCdEIAV,001D000000IqhSLIAZ,Accepted,GBP\n"
)
QUOTE_LINES = (
    "Id,QuoteId,Quantity,UnitPrice,Discount,CurrencyIsoCode\n"
    "0QLD000000LlLaAKAV,0Q0D000000QqQaAKAV,2,150.00,10,GBP\n"
    "0QLD000000LlLbAKAV,0Q0D000000QqQaAKAV,1.5,99.99,,GBP\n"
)
# '000' is not a currency: an optional value, so the campaign is kept without it, and
# without the cost that was in it (an amount is never stored without its unit).
CAMPAIGN = (
    "Id,Name,ActualCost,CurrencyIsoCode\n"
    "701D000000CcCaAIAV,Spring webinar,,000\n"
    "701D000000CcCbAIAV,Autumn event,800.00,GBP\n"
    "701D000000CcCcAIAV,Winter fair,500.00,000\n"
)

PROJECT = """\
name: rules
reporting_currency: GBP
ingest: {max_quarantine_pct: %s}
sources:
  - {name: sf_account, path: sf/Account.csv, preset: salesforce.account}
  - {name: sf_opportunity, path: sf/Opportunity.csv, preset: salesforce.opportunity}
  - {name: sf_quote, path: sf/Quote.csv, preset: salesforce.quote}
  - {name: sf_quote_line, path: sf/QuoteLineItem.csv, preset: salesforce.quotelineitem}
  - {name: sf_campaign, path: sf/Campaign.csv, preset: salesforce.campaign}
"""

FILES = {
    "sf/Account.csv": ACCOUNT,
    "sf/Opportunity.csv": OPPORTUNITY,
    "sf/Quote.csv": QUOTE,
    "sf/QuoteLineItem.csv": QUOTE_LINES,
    "sf/Campaign.csv": CAMPAIGN,
}


def _ingest(root: Path, limit: int = 100) -> tuple[Warehouse, ingest.IngestSummary]:
    write_project(root, PROJECT % limit, FILES)
    wh = Warehouse()
    summary = ingest.run(wh, load_project(root), cache_dir=root / "cache", as_of=AS_OF)
    return wh, summary


def test_empty_lookups_are_empty_and_ids_stay_as_exported(tmp_path: Path) -> None:
    wh, _ = _ingest(tmp_path)
    rows = wh.query("SELECT native_id, parent_native_id, owner_native_id FROM account")
    assert rows == [("001D000000IqhSLIAZ", None, None)]
    # the 15-character reference names the account exported with 18 characters
    assert wh.query("SELECT native_id, account_native_id FROM opportunity") == [
        ("006D000000AbCdEIAV", "001D000000IqhSLIAZ")
    ]


def test_a_child_of_a_quarantined_parent_says_where_the_parent_went(tmp_path: Path) -> None:
    wh, _ = _ingest(tmp_path)
    reasons = dict(wh.query("SELECT source_file, reason FROM quarantine"))
    assert reasons["sf/Account.csv"] == "Name: required value is empty"
    assert reasons["sf/Opportunity.csv"] == (
        "account_native_id '001D000000IqhSMIAZ' names an account that was quarantined "
        "(sf/Account.csv row 3: Name: required value is empty)"
    )


def test_totals_missing_from_the_export_are_computed_from_lines(tmp_path: Path) -> None:
    wh, summary = _ingest(tmp_path)
    # 2 x 150.00 = 300.00 less 10% = 270.00; 1.5 x 99.99 = 149.985 -> 149.99, no discount
    lines = wh.query("SELECT subtotal, total_price FROM quote_line ORDER BY native_id")
    assert lines == [
        (Decimal("300.00"), Decimal("270.00")),
        (Decimal("149.99"), Decimal("149.99")),
    ]
    assert wh.query("SELECT subtotal, total_price FROM quote") == [
        (Decimal("449.99"), Decimal("419.99"))
    ]
    flagged = wh.query("SELECT target_table, column_name, count(*) FROM derived_value GROUP BY ALL")
    assert sorted(flagged) == [
        ("quote", "subtotal", 1),
        ("quote", "total_price", 1),
        ("quote_line", "subtotal", 2),
        ("quote_line", "total_price", 2),
    ]
    assert any("quote.total_price: 1 value(s) computed" in w for w in summary.warnings)


def test_a_bad_optional_value_is_emptied_and_the_row_kept(tmp_path: Path) -> None:
    wh, summary = _ingest(tmp_path)
    assert wh.query("SELECT name, currency, spend FROM campaign ORDER BY name") == [
        ("Autumn event", "GBP", Decimal("800.00")),
        ("Spring webinar", None, None),
        ("Winter fair", None, None),
    ]
    assert wh.query(
        "SELECT source_row, column_name, reason FROM field_warning ORDER BY source_row"
    ) == [
        (2, "CurrencyIsoCode", "CurrencyIsoCode: an ISO 4217 currency code, got '000'"),
        (
            4,
            "CurrencyIsoCode",
            "CurrencyIsoCode: an ISO 4217 currency code, got '000'; "
            "ActualCost: emptied with its currency",
        ),
    ]
    campaign = next(f for f in summary.files if f.file == "sf/Campaign.csv")
    assert (campaign.rows_read, campaign.rows_accepted, campaign.fields_nulled) == (3, 3, 2)


def test_a_file_with_too_much_quarantined_fails_and_names_it(tmp_path: Path) -> None:
    with pytest.raises(QuarantineLimitError) as failed:
        _ingest(tmp_path, limit=5)
    message = str(failed.value)
    # Account.csv and Opportunity.csv each set aside 1 of 2 rows
    assert "sf/Account.csv: 1 of 2 rows (50.0%) quarantined" in message
    assert "sf/Opportunity.csv: 1 of 2 rows (50.0%) quarantined" in message
    assert "sf/Campaign.csv" not in message
    assert {f["file"] for f in failed.value.files} == set(FILES)
