"""The demo company generator: deterministic, real export layouts, and a truth that matches
the files it describes."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tieout.demo.generate import generate
from tieout.demo.mess import bad_amount

SCALE = 0.2

SALESFORCE_HEADERS = {
    "Account": "Id, Name, Type, ParentId, BillingStreet, BillingCity, BillingState, "
    "BillingPostalCode, BillingCountry, Phone, Website, Industry, OwnerId, CreatedDate, "
    "AccountNumber, Tier__c",
    "User": "Id, FirstName, LastName, Email, Title, Department, Division, ManagerId, IsActive, "
    "Function__c",
    "Product2": "Id, Name, ProductCode, Family, Description, IsActive, CurrencyIsoCode, "
    "List_Price__c, Standard_Cost__c",
    "Opportunity": "Id, AccountId, Name, StageName, Amount, CurrencyIsoCode, CloseDate, "
    "Probability, IsClosed, IsWon, Type, LeadSource, OwnerId, CampaignId, CreatedDate",
    "OpportunityLineItem": "Id, OpportunityId, Product2Id, ProductCode, Description, Quantity, "
    "UnitPrice, ListPrice, Discount, TotalPrice, CurrencyIsoCode",
    "Quote": "Id, Name, QuoteNumber, OpportunityId, AccountId, Status, CreatedDate, "
    "ExpirationDate, Subtotal, Discount, TotalPrice, GrandTotal, CurrencyIsoCode, OwnerId",
    "QuoteLineItem": "Id, QuoteId, LineNumber, Product2Id, ProductCode, Description, Quantity, "
    "UnitPrice, ListPrice, Discount, Subtotal, TotalPrice, CurrencyIsoCode",
    "Contract": "Id, AccountId, ContractNumber, Status, StartDate, EndDate, ContractTerm, "
    "OwnerId, CurrencyIsoCode, Contract_Value__c",
    "Campaign": "Id, Name, Type, Status, StartDate, EndDate, BudgetedCost, ActualCost, "
    "CurrencyIsoCode, ParentId, OwnerId",
    "CampaignMember": "Id, CampaignId, LeadId, ContactId, Status, HasResponded, CreatedDate",
    "Lead": "Id, FirstName, LastName, Company, Email, Website, City, PostalCode, Country, "
    "Status, LeadSource, CreatedDate, MQL_Date__c, SAL_Date__c, SQL_Date__c, IsConverted, "
    "ConvertedDate, ConvertedAccountId, ConvertedOpportunityId, OwnerId",
    "Case": "Id, CaseNumber, AccountId, Subject, Status, Priority, Type, Reason, Origin, "
    "IsEscalated, CreatedDate, ClosedDate, OwnerId",
    "WorkOrder": "Id, WorkOrderNumber, AccountId, CaseId, Subject, Description, Status, "
    "Priority, CreatedDate, StartDate, EndDate, Duration, DurationType, TotalPrice, "
    "CurrencyIsoCode, OwnerId, Quote__c, Completed_Date__c",
    "WorkOrderLineItem": "Id, WorkOrderId, LineItemNumber, Product2Id, Description, Status, "
    "Quantity, UnitPrice, ListPrice, Discount, TotalPrice, CurrencyIsoCode",
}
SERVICENOW_HEADER = (
    "number, sys_id, opened_at, resolved_at, closed_at, short_description, priority, state, "
    "category, subcategory, company, caller_id, assignment_group, assigned_to, reopen_count, "
    "escalation, contact_type"
)
METRIC_INSTANCE_HEADER = "sys_id, id, definition, value, start, end, duration, calculation_complete"
ZENDESK_HEADER = (
    "Id, Requester, Requester id, Requester email, Requester domain, Submitter, Assignee, "
    "Group, Subject, Tags, Status, Priority, Via, Ticket type, Created at, Updated at, "
    "Solved at, Organization, Reopens, Replies, First reply time in minutes, "
    "Full resolution time in minutes within business hours, "
    "Requester wait time in minutes within business hours, "
    "On hold time in minutes within business hours, Satisfaction Score"
)
XERO_HEADER = (
    "ContactName, EmailAddress, POAddressLine1, POCity, PORegion, POPostalCode, POCountry, "
    "InvoiceNumber, Reference, InvoiceDate, DueDate, Total, TaxTotal, InvoiceAmountPaid, "
    "InvoiceAmountDue, InventoryItemCode, Description, Quantity, UnitAmount, Discount, "
    "LineAmount, AccountCode, TaxType, TaxAmount, Currency, Type, Status"
)
XERO_TEMPLATE_HEADER = (
    "*ContactName, EmailAddress, POAddressLine1, POCity, PORegion, POPostalCode, POCountry, "
    "*InvoiceNumber, Reference, *InvoiceDate, *DueDate, Total, TaxTotal, InvoiceAmountPaid, "
    "InvoiceAmountDue, InventoryItemCode, Description, *Quantity, *UnitAmount, Discount, "
    "LineAmount, *AccountCode, *TaxType, TaxAmount, Currency, Type, Status"
)
HARVEST_HEADER = (
    "Date, Client, Project, Project Code, Task, Notes, Hours, Billable?, Invoiced?, "
    "First Name, Last Name, Roles, Billable Rate, Billable Amount, Cost Rate, Cost Amount, "
    "Currency"
)
CANONICAL_HEADERS = {
    "work_order_change": "native_id, work_order_native_id, changed_at, description, "
    "hours_delta, value_delta, priced, currency",
    "fx_rate": "native_id, rate_date, from_currency, to_currency, rate",
    "onboarding_milestone": "native_id, account_native_id, contract_native_id, customer_name, "
    "name, due_date, completed_at, status, blocker, owner_native_id",
    "time_off": "native_id, person_native_id, person_name, start_date, end_date, hours, kind",
}
RULES = {
    "unbilled_work",
    "invoice_without_work",
    "scope_drift",
    "unpriced_change",
    "price_variance",
    "discount_after_quote",
    "duplicate_invoice",
    "margin_below_floor",
    "sla_breach_strategic",
    "aged_case_renewal_risk",
    "onboarding_overdue",
    "repeat_issue",
    "capacity_risk",
    "unexplained_variance",
    "spend_without_commitment",
}
REQUIRED = {"ContactName", "Client", "Id", "number", "LastName"}


def _split(header: str) -> list[str]:
    return [h.strip() for h in header.split(",")]


def _encoding(path: Path) -> str:
    raw = path.read_bytes()
    if raw.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def _rows(path: Path) -> list[list[str]]:
    with path.open(encoding=_encoding(path), newline="") as f:
        return list(csv.reader(f))


def _records(path: Path) -> list[dict[str, str]]:
    rows = _rows(path)
    header = [h.lstrip("*") for h in rows[0]]
    return [dict(zip(header, r, strict=False)) for r in rows[1:]]


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*.csv"))}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int], dict[str, Any]]:
    out = tmp_path_factory.mktemp("demo")
    counts = generate(out, scale=SCALE, seed=7)
    truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    return out, counts, truth


def test_same_seed_gives_byte_identical_files(
    demo: tuple[Path, dict[str, int], dict[str, Any]], tmp_path: Path
) -> None:
    out, counts, _ = demo
    again = generate(tmp_path, scale=SCALE, seed=7)
    assert again == counts
    assert _files(tmp_path) == _files(out)
    assert (tmp_path / "truth.json").read_bytes() == (out / "truth.json").read_bytes()


def test_different_seed_gives_different_data(
    demo: tuple[Path, dict[str, int], dict[str, Any]], tmp_path: Path
) -> None:
    out, _, _ = demo
    generate(tmp_path, scale=SCALE, seed=8)
    first, second = _files(out), _files(tmp_path)
    assert first.keys() == second.keys()
    changed = [name for name in first if first[name] != second[name]]
    assert "exports/salesforce/Account.csv" in changed
    assert len(changed) >= len(first) - 1  # everything but perhaps a tiny fixed table


def test_every_file_has_its_system_header(
    demo: tuple[Path, dict[str, int], dict[str, Any]],
) -> None:
    out, counts, _ = demo
    expected = {f"exports/salesforce/{o}.csv": _split(h) for o, h in SALESFORCE_HEADERS.items()}
    expected["exports/servicenow/incident.csv"] = _split(SERVICENOW_HEADER)
    expected["exports/servicenow/metric_instance.csv"] = _split(METRIC_INSTANCE_HEADER)
    expected["exports/zendesk/tickets.csv"] = _split(ZENDESK_HEADER)
    expected |= {f"exports/canonical/{t}.csv": _split(h) for t, h in CANONICAL_HEADERS.items()}
    xero = sorted(k for k in counts if k.startswith("exports/xero/"))
    harvest = sorted(k for k in counts if k.startswith("exports/harvest/"))
    assert xero == [f"exports/xero/invoices_{y}.csv" for y in (2024, 2025, 2026)]
    assert harvest == [f"exports/harvest/time_{y}.csv" for y in (2024, 2025, 2026)]
    encodings = {}
    for name in xero:
        encodings[name] = _encoding(out / name)
        template = encodings[name] == "cp1252"
        expected[name] = _split(XERO_TEMPLATE_HEADER if template else XERO_HEADER)
    assert sorted(encodings.values()) == ["cp1252", "utf-8", "utf-8"]
    for name in harvest:
        assert (out / name).read_bytes().startswith(b"\xef\xbb\xbf")
        expected[name] = _split(HARVEST_HEADER)
    assert set(expected) == set(counts)
    for name, header in expected.items():
        assert _rows(out / name)[0] == header, name


def test_excel_resaved_finance_file(demo: tuple[Path, dict[str, int], dict[str, Any]]) -> None:
    out, _, _ = demo
    path = next(p for p in (out / "exports/xero").glob("*.csv") if _encoding(p) == "cp1252")
    raw = path.read_bytes()
    assert raw.startswith(b'"*ContactName"')
    text = raw.decode("cp1252")
    assert any(name in text for name in ("Müller", "Société", "Café"))
    assert re.search(r'"\d{1,3}(,\d{3})+\.\d{2}"', text)  # thousands separators, quoted


def _is_impossible_date(value: str) -> bool:
    match = re.match(r"^(\d{4})-(\d{2})-(\d{2})|^(\d{2})/(\d{2})/(\d{4})", value)
    if not match:
        return False
    text = match.group(0)
    fmt = "%Y-%m-%d" if "-" in text else "%d/%m/%Y"
    try:
        datetime.strptime(text, fmt)
    except ValueError:
        return True
    return False


def _is_bad_amount(value: str) -> bool:
    if not re.fullmatch(r"-?\d[\dO,]*\.\d{2}", value) or "O" not in value:
        return False
    try:
        float(value.replace(",", ""))
    except ValueError:
        return True
    return False


def test_malformed_rows_are_where_the_truth_says(
    demo: tuple[Path, dict[str, int], dict[str, Any]],
) -> None:
    out, _, truth = demo
    malformed = truth["malformed"]
    per_file = Counter(m["file"] for m in malformed)
    assert per_file, "some files must carry malformed rows"
    assert all(n >= 3 for n in per_file.values())
    assert {"exports/salesforce/Opportunity.csv", "exports/salesforce/Case.csv"} <= set(per_file)
    assert all(f in per_file for f in truth["counts"] if "/xero/" in f or "/harvest/" in f)
    accounts = {r["Id"] for r in _records(out / "exports/salesforce/Account.csv")}
    reasons: Counter[str] = Counter()
    for m in malformed:
        rows = _rows(out / m["file"])
        header = [h.lstrip("*") for h in rows[0]]
        row = rows[m["row"] - 1]
        record = dict(zip(header, row, strict=False))
        reason = m["reason"]
        reasons[reason] += 1
        if reason == "impossible date":
            assert any(_is_impossible_date(v) for v in row), m
        elif reason == "unparseable amount":
            assert any(_is_bad_amount(v) for v in row), m
        elif reason == "unknown currency code":
            assert any("GPB" in v for v in row), m
        elif reason == "blank required field":
            assert any(record.get(c) == "" for c in REQUIRED), m
        elif reason == "wrong number of fields":
            assert len(row) != len(header), m
        elif reason == "duplicate Id":
            earlier = {r[0] for r in rows[1 : m["row"] - 1]}
            assert row[0] in earlier, m
        elif reason == "AccountId not in Account.csv":
            assert record["AccountId"] and record["AccountId"] not in accounts, m
        else:
            pytest.fail(f"unknown reason {reason}")
        if reason != "wrong number of fields":
            assert len(row) == len(header), m
    assert len(reasons) == 7


def test_customer_members_appear_in_their_files(
    demo: tuple[Path, dict[str, int], dict[str, Any]],
) -> None:
    out, counts, truth = demo
    seen: dict[str, set[str]] = {
        "salesforce": {r["Id"] for r in _records(out / "exports/salesforce/Account.csv")},
        "xero": set(),
        "harvest": set(),
    }
    for name in counts:
        if "/xero/" in name:
            seen["xero"] |= {r["ContactName"] for r in _records(out / name)}
        if "/harvest/" in name:
            seen["harvest"] |= {r["Client"] for r in _records(out / name)}
    seen["servicenow"] = {r["company"] for r in _records(out / "exports/servicenow/incident.csv")}
    seen["zendesk"] = {r["Organization"] for r in _records(out / "exports/zendesk/tickets.csv")}
    customers = truth["customers"]
    assert len(customers) >= 60
    systems: Counter[str] = Counter()
    for c in customers:
        assert c["members"][0]["system"] == "salesforce"
        for m in c["members"]:
            systems[m["system"]] += 1
            assert m["native_id"] in seen[m["system"]], (c["key"], m)
    assert set(systems) == set(seen)
    spellings = Counter((m["system"], m["native_id"]) for c in customers for m in c["members"])
    assert max(spellings.values()) == 1  # one spelling never names two customers
    assert any(len({m["native_id"] for m in c["members"][1:]}) > 1 for c in customers)


def test_jobs_and_anomalies_point_at_real_records(
    demo: tuple[Path, dict[str, int], dict[str, Any]],
) -> None:
    out, counts, truth = demo
    quotes = {r["Id"]: r for r in _records(out / "exports/salesforce/Quote.csv")}
    work_orders = {r["Id"] for r in _records(out / "exports/salesforce/WorkOrder.csv")}
    lines: set[str] = set()
    for name in sorted(k for k in counts if "/xero/" in k):
        seq: Counter[str] = Counter()
        for r in _records(out / name):
            seq[r["InvoiceNumber"]] += 1
            lines.add(f"{r['InvoiceNumber']}/{seq[r['InvoiceNumber']]}")
    for job in truth["jobs"]:
        assert quotes[job["quote"]]["Status"] == "Accepted"
        assert job["work_orders"] and set(job["work_orders"]) <= work_orders
        assert set(job["invoice_lines"]) <= lines
    assert {a["rule"] for a in truth["anomalies"]} == RULES
    invoices = {k.split("/")[0] for k in lines}
    for a in truth["anomalies"]:
        assert re.fullmatch(r"-?\d+\.\d{2}", a["amount"]), a
        assert a["currency"] in {"GBP", "EUR", "USD"}
        for ref in a["refs"]:
            if ref["object"] == "WorkOrder":
                assert ref["native_id"] in work_orders
            elif ref["object"] == "Quote":
                assert ref["native_id"] in quotes
            elif ref["object"] == "invoice":
                assert ref["native_id"] in invoices
            elif ref["object"] == "invoice_line":
                assert ref["native_id"] in lines


def test_credit_notes_and_currencies(demo: tuple[Path, dict[str, int], dict[str, Any]]) -> None:
    out, counts, _ = demo
    xero = [r for k in sorted(counts) if "/xero/" in k for r in _records(out / k)]
    credits = [r for r in xero if r.get("Type") == "Sales credit note"]
    assert credits and all(r["InvoiceNumber"].startswith("CN-") for r in credits)
    currencies = Counter(r.get("Currency") for r in xero)
    assert currencies["GBP"] > currencies["EUR"] > 0
    assert currencies["USD"] > 0
    harvest = {r.get("Currency") for k in counts if "/harvest/" in k for r in _records(out / k)}
    assert {"British Pound - GBP", "Euro - EUR"} <= harvest


def test_counts_match_the_files(demo: tuple[Path, dict[str, int], dict[str, Any]]) -> None:
    out, counts, truth = demo
    assert truth["counts"] == counts
    for name, n in counts.items():
        assert len(_rows(out / name)) - 1 == n, name
    assert truth["as_of"] == "2026-10-31"
    assert truth["scale"] == SCALE and truth["seed"] == 7 and truth["reporting_currency"] == "GBP"


def _checksum_ok(sf_id: str) -> bool:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
    suffix = ""
    for k in range(3):
        chunk = sf_id[5 * k : 5 * k + 5]
        suffix += alphabet[sum(1 << i for i, ch in enumerate(chunk) if ch.isupper())]
    return sf_id[15:] == suffix


def test_salesforce_ids_look_real(demo: tuple[Path, dict[str, int], dict[str, Any]]) -> None:
    out, _, _ = demo
    prefixes = {"Account": "001", "Opportunity": "006", "Quote": "0Q0", "WorkOrder": "0WO"}
    for obj, prefix in prefixes.items():
        ids = [r["Id"] for r in _records(out / f"exports/salesforce/{obj}.csv")]
        assert all(re.fullmatch(prefix + r"[0-9A-Za-z]{15}", i) for i in ids), obj
        assert all(_checksum_ok(i) for i in ids), obj


def _amount(text: str) -> float:
    return float(text.replace(",", ""))


def test_anomalies_hold_in_the_files(demo: tuple[Path, dict[str, int], dict[str, Any]]) -> None:
    out, counts, truth = demo
    work_orders = {r["Id"]: r for r in _records(out / "exports/salesforce/WorkOrder.csv")}
    quote_lines = {r["Id"]: r for r in _records(out / "exports/salesforce/QuoteLineItem.csv")}
    lines: dict[str, dict[str, str]] = {}
    for name in sorted(k for k in counts if "/xero/" in k):
        seq: Counter[str] = Counter()
        for r in _records(out / name):
            seq[r["InvoiceNumber"]] += 1
            lines[f"{r['InvoiceNumber']}/{seq[r['InvoiceNumber']]}"] = r
    first_line = {k.split("/")[0]: r for k, r in lines.items() if k.endswith("/1")}
    for a in truth["anomalies"]:
        refs = [r["native_id"] for r in a["refs"]]
        if a["rule"] == "unbilled_work":
            wo = work_orders[refs[0]]
            assert wo["Status"] in {"Completed", "Closed"}
            assert wo["Completed_Date__c"][:10] < "2026-10-17"
            assert a["amount"] == wo["TotalPrice"]
        elif a["rule"] == "price_variance":
            unit, quoted = (
                _amount(lines[refs[0]]["UnitAmount"]),
                _amount(quote_lines[refs[1]]["UnitPrice"]),
            )
            assert abs(unit - quoted) > 0.02 * quoted
        elif a["rule"] == "discount_after_quote":
            given = _amount(lines[refs[0]]["Discount"] or "0")
            assert given > _amount(quote_lines[refs[1]]["Discount"])
        elif a["rule"] == "duplicate_invoice":
            x, y = first_line[refs[0]], first_line[refs[1]]
            assert (x["ContactName"], x["Total"]) == (y["ContactName"], y["Total"])
            days = datetime.strptime(y["InvoiceDate"], "%d/%m/%Y") - datetime.strptime(
                x["InvoiceDate"], "%d/%m/%Y"
            )
            assert 0 <= days.days <= 7


@pytest.mark.parametrize(
    ("value", "broken"),
    [("1200.00", "1,2O0.00"), ("95.25", "9,O.25"), ("7.50", "7O.50")],
)
def test_bad_amounts_do_not_parse(value: str, broken: str) -> None:
    assert bad_amount(value) == broken
    assert _is_bad_amount(broken)


def _xero_lines(out: Path, counts: dict[str, int], truth: dict[str, Any]) -> dict[str, Any]:
    """Well-formed Xero rows keyed by line ("INV-0001/1"): malformed rows are left out."""
    bad = {(m["file"], m["row"]) for m in truth["malformed"]}
    lines: dict[str, dict[str, str]] = {}
    for name in sorted(k for k in counts if "/xero/" in k):
        seq: Counter[str] = Counter()
        for row, r in enumerate(_records(out / name), 2):
            seq[r["InvoiceNumber"]] += 1
            if (name, row) not in bad:
                lines[f"{r['InvoiceNumber']}/{seq[r['InvoiceNumber']]}"] = r
    return lines


def _planted(truth: dict[str, Any], rule: str) -> set[frozenset[str]]:
    return {
        frozenset(r["native_id"] for r in a["refs"])
        for a in truth["anomalies"]
        if a["rule"] == rule
    }


def test_nothing_unplanted_in_the_books(demo: tuple[Path, dict[str, int], dict[str, Any]]) -> None:
    """The truth is what was planted; the rest of the books are clean by construction: read
    off the files, no other invoice copies another or strays from its quote line."""
    out, counts, truth = demo
    lines = _xero_lines(out, counts, truth)
    credited = set()
    for r in lines.values():
        if r["Type"] == "Sales credit note":
            against = re.match(r"Credit against (\S+):", r["Description"])
            credited.add(against.group(1) if against else r["Reference"])
    first = {k.split("/")[0]: r for k, r in lines.items() if k.endswith("/1")}
    same: dict[tuple[str, str, float], list[tuple[datetime, str]]] = {}
    for n, r in first.items():
        if r["Type"] == "Sales invoice" and r["Status"] != "Voided" and n not in credited:
            key = (r["ContactName"], r["Currency"], _amount(r["Total"]))
            same.setdefault(key, []).append((datetime.strptime(r["InvoiceDate"], "%d/%m/%Y"), n))
    copies = {
        frozenset((a, b))
        for group in same.values()
        for day_a, a in group
        for day_b, b in group
        if a < b and abs((day_a - day_b).days) <= 7
    }
    assert copies and copies == _planted(truth, "duplicate_invoice")

    quote_lines = _records(out / "exports/salesforce/QuoteLineItem.csv")
    by_quote = {(q["QuoteId"], q["ProductCode"]): q for q in quote_lines}
    off: dict[str, set[frozenset[str]]] = {"price_variance": set(), "discount_after_quote": set()}
    for job in truth["jobs"]:
        for key in job["invoice_lines"]:
            r = lines.get(key)
            q = by_quote.get((job["quote"], r["InventoryItemCode"])) if r else None
            if r is None or q is None or r["Type"] != "Sales invoice" or r["Status"] == "Voided":
                continue
            unit, quoted = _amount(r["UnitAmount"]), _amount(q["UnitPrice"])
            if abs(unit - quoted) > 0.02 * quoted:
                off["price_variance"].add(frozenset((key, q["Id"])))
            if _amount(r["Discount"] or "0") > _amount(q["Discount"]):
                off["discount_after_quote"].add(frozenset((key, q["Id"])))
    for rule, found in off.items():
        assert found and found == _planted(truth, rule), rule


def test_staff_fit_counted_per_currency_as_the_whole_table_would() -> None:
    """Who is cheap enough for a work order is found by a search per currency (memory linear
    in scale); it counts exactly what a work orders x people table of costs counted."""
    import numpy as np

    from tieout.demo.staffing import ORDINARY_SHARE, _fitting, in_currency

    rng = np.random.default_rng(3)
    for _ in range(50):
        cost = np.sort(rng.integers(20, 200, int(rng.integers(1, 40))))
        rate = rng.uniform(0, 500, 300)
        rate[:100] = np.round(rate[:100])  # limits that hit a cost exactly
        cur = rng.integers(0, 3, 300)
        table = in_currency(np.broadcast_to(cost, (300, len(cost))), cur[:, None])
        expected = np.sum(table <= ORDINARY_SHARE * rate[:, None], axis=1)
        assert _fitting(cost, rate, cur).tolist() == expected.tolist()
