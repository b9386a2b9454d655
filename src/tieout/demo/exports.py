"""Source-system export tables, column for column as each system writes its CSV.

Each function returns the rows of one export as an Arrow table of strings, in the order
the system exports them, with the header it uses. Nothing here decides business facts;
it only spells the generated books the way Salesforce, Xero, Harvest, ServiceNow and
Zendesk spell them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tieout.demo import billing as bl
from tieout.demo import company as co
from tieout.demo import delivery as dv
from tieout.demo import marketing as mk
from tieout.demo import names
from tieout.demo import sales as sl
from tieout.demo import service as sv
from tieout.demo.company import CURRENCIES, D1, PRODUCTS, Company
from tieout.demo.fmt import (
    BoolArray,
    IntArray,
    blank_where,
    constant,
    dates,
    dates_or_blank,
    datetimes,
    datetimes_or_blank,
    hex_ids,
    i64,
    ints,
    join,
    money,
    padded,
    pick,
    quarters,
    strings,
    where,
)
from tieout.demo.keys import Keys

HARVEST_CURRENCY: Final = ("British Pound - GBP", "Euro - EUR", "US Dollar - USD")
TAX_TYPES: Final = ("20% (VAT on Income)", "Zero Rated Income", "No VAT")
XERO_DEFECTS: Final = (
    "impossible date:InvoiceDate",
    "bad amount:LineAmount",
    "unknown currency:Currency",
    "blank required field:ContactName",
    "ragged row",
)
HARVEST_DEFECTS: Final = (
    "impossible date:Date",
    "bad amount:Billable Amount",
    "unknown currency:Currency",
    "blank required field:Client",
    "ragged row",
)
CP1252_YEAR: Final = 2025  # this year's finance export was re-saved by Excel on Windows
XERO_STARRED: Final = frozenset(
    {"ContactName", "InvoiceNumber", "InvoiceDate", "DueDate", "Quantity", "UnitAmount",
     "AccountCode", "TaxType"}
)  # fmt: skip


@dataclass
class Export:
    """One file: its rows, how it is encoded, and where malformed rows may be planted."""

    path: str  # relative to the output directory
    table: pa.Table
    defects: tuple[str, ...] = ()  # kinds of malformed rows this file gets (see mess.py)
    protected: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=np.bool_))
    encoding: str = "utf-8"
    bom: bool = False
    crlf: bool = False
    thousands: bool = False


def _table(columns: dict[str, pa.Array], order: IntArray | None = None) -> pa.Table:
    t = pa.table(columns)
    return t if order is None else t.take(pa.array(order))


def _bool(mask: BoolArray) -> pa.Array:
    return pick(("false", "true"), i64(mask))


def _sf_dt(seconds: IntArray) -> pa.Array:
    return datetimes(seconds, sep="T", suffix=".000Z")


def _sf_dt_or_blank(seconds: IntArray) -> pa.Array:
    return datetimes_or_blank(seconds, sep="T", suffix=".000Z")


def _clock(day: IntArray, salt: IntArray) -> IntArray:
    """A plausible working-hours time on `day`, fixed by `salt` (no randomness needed)."""
    return i64(day) * 86400 + 8 * 3600 + (i64(salt) * 7919) % (10 * 3600)


def _ids(ids: pa.Array, idx: IntArray) -> pa.Array:
    """ids[idx], blank where idx < 0."""
    i = i64(idx)
    return blank_where(ids.take(pa.array(np.maximum(i, 0))), i < 0)


def _year(days: IntArray) -> IntArray:
    return i64(
        np.asarray(days, dtype="datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    )


def _by_time(created: IntArray) -> IntArray:
    return i64(np.argsort(i64(created), kind="stable"))


def _spelling(company: Company, system: str) -> pa.Array:
    return strings([c.spell[system] for c in company.customers])


def _person_names(company: Company) -> pa.Array:
    return strings([f"{p.first} {p.last}" for p in company.people])


# --- Salesforce ------------------------------------------------------------------------


def salesforce(
    company: Company,
    sales: sl.Sales,
    dl: dv.Delivery,
    service: sv.Service,
    campaigns: mk.Campaigns,
    leads: mk.Leads,
    keys: Keys,
) -> Iterator[Export]:
    """One Export per object, built only when the caller asks for it (keeps memory flat)."""
    d = "exports/salesforce/"
    yield Export(d + "Account.csv", _accounts(company, keys))
    yield Export(d + "User.csv", _users(company, keys))
    yield Export(d + "Product2.csv", _products(keys))
    yield _opportunities(company, sales, keys)
    yield Export(
        d + "OpportunityLineItem.csv",
        _opp_lines(sales, keys),
        defects=("duplicate Id", "bad amount:TotalPrice", "ragged row"),
    )
    yield Export(d + "Quote.csv", _quotes(company, sales, keys))
    yield Export(d + "QuoteLineItem.csv", _quote_lines(sales, keys))
    yield Export(d + "Contract.csv", _contracts(company, sales, keys))
    yield Export(d + "Campaign.csv", _campaigns(campaigns, keys))
    yield Export(
        d + "CampaignMember.csv",
        _members(leads, keys),
        defects=("duplicate Id", "impossible date:CreatedDate", "ragged row"),
    )
    yield _leads(leads, keys)
    yield _cases(service.cases, keys)
    yield Export(d + "WorkOrder.csv", _work_orders(sales, dl, service, keys))
    yield Export(d + "WorkOrderLineItem.csv", _wo_lines(dl, keys))


def _accounts(company: Company, keys: Keys) -> pa.Table:
    cs = company.customers
    n = len(cs)
    parent = i64([c.parent for c in cs])
    kind = [
        ("Customer - Channel" if c.index % 9 == 4 else "Customer - Direct")
        if c.active
        else ("Prospect" if c.index % 2 else "Former Customer")
        for c in cs
    ]
    return _table(
        {
            "Id": keys.account,
            "Name": _spelling(company, "salesforce"),
            "Type": strings(kind),
            "ParentId": _ids(keys.account, parent),
            "BillingStreet": strings([c.street for c in cs]),
            "BillingCity": strings([c.place.city for c in cs]),
            "BillingState": strings([c.place.region for c in cs]),
            "BillingPostalCode": strings([c.postcode for c in cs]),
            "BillingCountry": strings([c.place.country for c in cs]),
            "Phone": strings([c.phone for c in cs]),
            "Website": strings([c.website or None for c in cs]),
            "Industry": strings([c.industry for c in cs]),
            "OwnerId": keys.user.take(pa.array(company.cust_owner)),
            "CreatedDate": _sf_dt(_clock(company.cust_created, np.arange(n))),
            "AccountNumber": join("ACC-", padded(np.arange(1, n + 1), 6)),
            "Tier__c": strings([c.tier for c in cs]),
        },
        _by_time(company.cust_created),
    )


def _users(company: Company, keys: Keys) -> pa.Table:
    ps = company.people
    depts = dict(zip(co.FUNCTIONS, co.DEPARTMENTS, strict=True))
    return _table(
        {
            "Id": keys.user,
            "FirstName": strings([p.first for p in ps]),
            "LastName": strings([p.last for p in ps]),
            "Email": strings([p.email for p in ps]),
            "Title": strings([p.title for p in ps]),
            "Department": strings([depts[p.function] for p in ps]),
            "Division": strings([p.division for p in ps]),
            "ManagerId": _ids(keys.user, i64([p.manager for p in ps])),
            "IsActive": _bool(np.array([p.active for p in ps])),
            "Function__c": strings([p.function for p in ps]),
        }
    )


def _product_text(p: co.Product) -> str:
    if p.unit == "day":
        return f"Charged per day ({p.hours:g} hours)"
    if p.unit == "hour":
        return "Charged per hour"
    if p.unit == "month":
        return "Monthly fee, billed monthly in advance"
    return f"Fixed price, about {p.hours:g} hours of delivery"


def _products(keys: Keys) -> pa.Table:
    return _table(
        {
            "Id": keys.product,
            "Name": strings([p.name for p in PRODUCTS]),
            "ProductCode": strings([p.code for p in PRODUCTS]),
            "Family": strings([p.family for p in PRODUCTS]),
            "Description": strings([_product_text(p) for p in PRODUCTS]),
            "IsActive": _bool(np.array([p.active for p in PRODUCTS])),
            "CurrencyIsoCode": constant("GBP", len(PRODUCTS)),
            "List_Price__c": money(i64([p.price * 100 for p in PRODUCTS])),
            "Standard_Cost__c": money(i64([p.cost * 100 for p in PRODUCTS])),
        }
    )


def _opportunities(company: Company, sales: sl.Sales, keys: Keys) -> Export:
    n = len(sales.opp_cust)
    stage = sales.opp_stage
    closed = stage >= sl.WON
    names_sf = _spelling(company, "salesforce").take(pa.array(sales.opp_cust))
    table = _table(
        {
            "Id": keys.opportunity,
            "AccountId": keys.account.take(pa.array(sales.opp_cust)),
            "Name": join(names_sf, " - ", sales.opp_title),
            "StageName": pick(sl.STAGES, stage),
            "Amount": money(sales.opp_amount),
            "CurrencyIsoCode": pick(CURRENCIES, sales.opp_cur),
            "CloseDate": dates(sales.opp_close),
            "Probability": ints(i64(sl.STAGE_PROBABILITY)[stage]),
            "IsClosed": _bool(closed),
            "IsWon": _bool(stage == sl.WON),
            "Type": pick(sl.OPP_TYPES, sales.opp_type),
            "LeadSource": pick(sl.LEAD_SOURCES, sales.opp_source),
            "OwnerId": keys.user.take(pa.array(sales.opp_owner)),
            "CampaignId": _ids(keys.campaign, sales.opp_campaign),
            "CreatedDate": _sf_dt(_clock(sales.opp_created, np.arange(n))),
        },
        _by_time(sales.opp_created),
    )
    job = np.arange(n) < sales.n_jobs
    return Export(
        "exports/salesforce/Opportunity.csv",
        table,
        defects=("duplicate Id", "orphan AccountId", "impossible date:CloseDate"),
        protected=job[_by_time(sales.opp_created)],
    )


def _line_columns(
    q4: IntArray, unit: IntArray, lst: IntArray, disc: IntArray, total: IntArray
) -> dict[str, pa.Array]:
    return {
        "Quantity": quarters(q4),
        "UnitPrice": money(unit * 100),
        "ListPrice": money(lst * 100),
        "Discount": money(disc),
        "TotalPrice": money(total),
    }


def _opp_lines(sales: sl.Sales, keys: Keys) -> pa.Table:
    prod = sales.ol_prod
    cols = _line_columns(sales.ol_q4, sales.ol_unit, sales.ol_list, sales.ol_disc, sales.ol_total)
    return _table(
        {
            "Id": keys.opp_line,
            "OpportunityId": keys.opportunity.take(pa.array(sales.ol_opp)),
            "Product2Id": keys.product.take(pa.array(prod)),
            "ProductCode": pick([p.code for p in PRODUCTS], prod),
            "Description": pick([p.name for p in PRODUCTS], prod),
            **{
                k: cols[k] for k in ("Quantity", "UnitPrice", "ListPrice", "Discount", "TotalPrice")
            },
            "CurrencyIsoCode": pick(CURRENCIES, sales.opp_cur[sales.ol_opp]),
        },
        _by_time(sales.opp_created[sales.ol_opp] * 8 + np.arange(len(prod)) % 8),
    )


def _quotes(company: Company, sales: sl.Sales, keys: Keys) -> pa.Table:
    opp = sales.q_opp
    cust = sales.opp_cust[opp]
    n = len(opp)
    effective = np.where(
        sales.q_subtotal > 0,
        np.round((sales.q_subtotal - sales.q_total) * 10000 / np.maximum(sales.q_subtotal, 1)),
        0,
    )
    total = money(sales.q_total)
    account_names = _spelling(company, "salesforce").take(pa.array(cust))
    return _table(
        {
            "Id": keys.quote,
            "Name": join(sales.opp_title.take(pa.array(opp)), " - ", account_names),
            "QuoteNumber": padded(sales.q_number, 8),
            "OpportunityId": keys.opportunity.take(pa.array(opp)),
            "AccountId": keys.account.take(pa.array(cust)),
            "Status": pick(sl.QUOTE_STATUSES, sales.q_status),
            "CreatedDate": _sf_dt(_clock(sales.q_day, np.arange(n))),
            "ExpirationDate": dates(sales.q_day + 30),
            "Subtotal": money(sales.q_subtotal),
            "Discount": money(i64(effective)),
            "TotalPrice": total,
            "GrandTotal": total,
            "CurrencyIsoCode": pick(CURRENCIES, sales.opp_cur[opp]),
            "OwnerId": keys.user.take(pa.array(sales.opp_owner[opp])),
        },
        _by_time(sales.q_day),
    )


def _quote_lines(sales: sl.Sales, keys: Keys) -> pa.Table:
    ol = sales.ql_ol
    prod = sales.ol_prod[ol]
    q4 = sales.ol_q4[ol]
    cols = _line_columns(q4, sales.ql_unit, sales.ol_list[ol], sales.ol_disc[ol], sales.ql_total)
    return _table(
        {
            "Id": keys.quote_line,
            "QuoteId": keys.quote.take(pa.array(sales.ql_quote)),
            "LineNumber": padded(sales.ql_ord + 1, 5),
            "Product2Id": keys.product.take(pa.array(prod)),
            "ProductCode": pick([p.code for p in PRODUCTS], prod),
            "Description": pick([p.name for p in PRODUCTS], prod),
            "Quantity": cols["Quantity"],
            "UnitPrice": cols["UnitPrice"],
            "ListPrice": cols["ListPrice"],
            "Discount": cols["Discount"],
            "Subtotal": money(q4 * sales.ql_unit * 25),
            "TotalPrice": cols["TotalPrice"],
            "CurrencyIsoCode": pick(CURRENCIES, sales.opp_cur[sales.q_opp[sales.ql_quote]]),
        },
        _by_time(sales.q_day[sales.ql_quote] * 8 + sales.ql_ord),
    )


def _contracts(company: Company, sales: sl.Sales, keys: Keys) -> pa.Table:
    return _table(
        {
            "Id": keys.contract,
            "AccountId": keys.account.take(pa.array(sales.k_cust)),
            "ContractNumber": padded(sales.k_number, 8),
            "Status": pick(("Expired", "Activated"), sales.k_active),
            "StartDate": dates(sales.k_start),
            "EndDate": dates(sales.k_end - 1),
            "ContractTerm": ints(sales.k_term),
            "OwnerId": keys.user.take(pa.array(company.cust_owner[sales.k_cust])),
            "CurrencyIsoCode": pick(CURRENCIES, company.cust_currency[sales.k_cust]),
            "Contract_Value__c": money(sales.k_fee * sales.k_term * 100),
        },
        _by_time(sales.k_created),
    )


def _campaigns(c: mk.Campaigns, keys: Keys) -> pa.Table:
    n = len(c.name)
    top = c.parent < 0
    child = np.flatnonzero(~top)
    budget = c.budget.copy()
    spend = c.spend.copy()
    np.add.at(budget, c.parent[child], c.budget[child])
    np.add.at(spend, c.parent[child], c.spend[child])
    status = np.where(c.end < D1, 0, np.where(c.start <= D1, 1, 2))
    kinds = where(top, "Other", pick(mk.CAMPAIGN_TYPES, i64(c.kind)))
    return _table(
        {
            "Id": keys.campaign,
            "Name": strings(c.name),
            "Type": kinds,
            "Status": pick(("Completed", "In Progress", "Planned"), status),
            "StartDate": dates(c.start),
            "EndDate": dates(c.end),
            "BudgetedCost": money(budget),
            "ActualCost": money(spend),
            "CurrencyIsoCode": constant("GBP", n),
            "ParentId": _ids(keys.campaign, c.parent),
            "OwnerId": keys.user.take(pa.array(c.owner)),
        }
    )


def _members(leads: mk.Leads, keys: Keys) -> pa.Table:
    return _table(
        {
            "Id": keys.member,
            "CampaignId": keys.campaign.take(pa.array(leads.m_campaign)),
            "LeadId": _ids(keys.lead, leads.m_lead),
            "ContactId": keys.contact,
            "Status": pick(mk.MEMBER_STATUSES, leads.m_status),
            "HasResponded": _bool(leads.m_status >= 3),
            "CreatedDate": _sf_dt(leads.m_created),
        },
        _by_time(leads.m_created),
    )


def _leads(leads: mk.Leads, keys: Keys) -> Export:
    first = pick(names.FIRST_NAMES, leads.first)
    last = pick(names.LAST_NAMES, leads.last)
    email_first = [names.fold_accents(n).lower() for n in names.FIRST_NAMES]
    email_last = [
        names.fold_accents(n).lower().replace(" ", "").replace("'", "") for n in names.LAST_NAMES
    ]
    converted = leads.converted >= 0
    email_first_a = pick(email_first, leads.first)
    table = _table(
        {
            "Id": keys.lead,
            "FirstName": first,
            "LastName": last,
            "Company": leads.company,
            "Email": join(email_first_a, ".", pick(email_last, leads.last), "@", leads.domain),
            "Website": join("www.", leads.domain),
            "City": pick([p.city for p in co.PLACES], leads.place),
            "PostalCode": leads.postcode,
            "Country": pick([p.country for p in co.PLACES], leads.place),
            "Status": pick(mk.LEAD_STATUSES, leads.status),
            "LeadSource": pick(sl.LEAD_SOURCES, leads.source),
            "CreatedDate": _sf_dt(leads.created),
            "MQL_Date__c": dates_or_blank(leads.mql),
            "SAL_Date__c": dates_or_blank(leads.sal),
            "SQL_Date__c": dates_or_blank(leads.sql),
            "IsConverted": _bool(converted),
            "ConvertedDate": dates_or_blank(leads.converted),
            "ConvertedAccountId": _ids(keys.account, leads.account),
            "ConvertedOpportunityId": _ids(keys.opportunity, leads.opportunity),
            "OwnerId": keys.user.take(pa.array(leads.owner)),
        },
        _by_time(leads.created),
    )
    return Export(
        "exports/salesforce/Lead.csv",
        table,
        defects=("duplicate Id", "impossible date:CreatedDate", "blank required field:LastName"),
        protected=converted[_by_time(leads.created)],
    )


def _cases(cases: sv.Cases, keys: Keys) -> Export:
    table = _table(
        {
            "Id": keys.case,
            "CaseNumber": padded(cases.number, 8),
            "AccountId": keys.account.take(pa.array(cases.cust)),
            "Subject": pick(sv.CASE_SUBJECTS, cases.subject),
            "Status": pick(sv.CASE_STATUSES, cases.status),
            "Priority": pick(sv.CASE_PRIORITIES, cases.priority),
            "Type": pick(sv.CASE_TYPES, cases.kind),
            "Reason": pick(sv.CASE_REASONS, cases.reason),
            "Origin": pick(sv.CASE_ORIGINS, cases.origin),
            "IsEscalated": _bool(cases.escalated),
            "CreatedDate": _sf_dt(cases.created),
            "ClosedDate": _sf_dt_or_blank(cases.closed),
            "OwnerId": keys.user.take(pa.array(cases.owner)),
        }
    )
    return Export(
        "exports/salesforce/Case.csv",
        table,
        defects=("duplicate Id", "orphan AccountId", "impossible date:CreatedDate"),
        protected=cases.wo >= 0,
    )


def _work_orders(sales: sl.Sales, dl: dv.Delivery, service: sv.Service, keys: Keys) -> pa.Table:
    n = len(dl.wo_job)
    quote_no = padded(sales.q_number[dl.wo_job], 8)
    text = join("Delivery of ", dl.wo_title, " as quoted")
    text = where(np.arange(n) % 5 < 2, join(text, " (quote ", quote_no, ")"), text)
    return _table(
        {
            "Id": keys.work_order,
            "WorkOrderNumber": padded(dl.wo_number, 8),
            "AccountId": keys.account.take(pa.array(dl.wo_cust)),
            "CaseId": _ids(keys.case, service.wo_case),
            "Subject": dl.wo_title,
            "Description": text,
            "Status": pick(dv.WO_STATUSES, dl.wo_status),
            "Priority": pick(dv.PRIORITIES, dl.wo_priority),
            "CreatedDate": _sf_dt(dl.wo_created),
            "StartDate": _sf_dt(dl.wo_start * 86400 + 9 * 3600),
            "EndDate": _sf_dt(dl.wo_end * 86400 + 17 * 3600 + 1800),
            "Duration": quarters(dl.wo_planned_q),
            "DurationType": constant("Hours", n),
            "TotalPrice": money(dl.wo_value),
            "CurrencyIsoCode": pick(CURRENCIES, dl.wo_cur),
            "OwnerId": keys.user.take(pa.array(dl.wo_owner)),
            "Quote__c": _ids(keys.quote, np.where(dl.wo_quote_link, dl.wo_job, -1)),
            "Completed_Date__c": _sf_dt_or_blank(dl.wo_completed),
        },
        _by_time(dl.wo_created),
    )


_WOLI_STATUS: Final = ("New", "In Progress", "In Progress", "Completed", "Completed", "Canceled")


def _wo_lines(dl: dv.Delivery, keys: Keys) -> pa.Table:
    prod = dl.wl_prod
    cols = _line_columns(dl.wl_q4, dl.wl_unit, dl.wl_list, dl.wl_disc, dl.wl_total)
    return _table(
        {
            "Id": keys.wo_line,
            "WorkOrderId": keys.work_order.take(pa.array(dl.wl_wo)),
            "LineItemNumber": padded(dl.wl_ord + 1, 5),
            "Product2Id": keys.product.take(pa.array(prod)),
            "Description": pick([p.name for p in PRODUCTS], prod),
            "Status": pick(_WOLI_STATUS, dl.wo_status[dl.wl_wo]),
            **{
                k: cols[k] for k in ("Quantity", "UnitPrice", "ListPrice", "Discount", "TotalPrice")
            },
            "CurrencyIsoCode": pick(CURRENCIES, dl.wo_cur[dl.wl_wo]),
        },
        _by_time(dl.wo_created[dl.wl_wo]),
    )


# --- Xero ------------------------------------------------------------------------------


def xero(company: Company, b: bl.Billing, protected_doc: BoolArray) -> Iterator[Export]:
    """One file per financial year (January to December); lines in document order."""
    cs = company.customers
    doc = b.il_inv
    cust = b.inv_cust[doc]
    year = _year(b.inv_day[doc])
    for y in np.unique(year):
        rows = np.flatnonzero(year == y)
        thousands = int(y) == CP1252_YEAR
        d, c = doc[rows], cust[rows]

        def m(v: IntArray, thousands: bool = thousands) -> pa.Array:
            return money(v, thousands=thousands)

        due = np.where(b.inv_status == bl.VOID, 0, b.inv_total - b.inv_paid)
        prod = b.il_prod[rows]
        table = _table(
            {
                "ContactName": _spelling(company, "xero").take(pa.array(c)),
                "EmailAddress": strings([x.email or None for x in cs]).take(pa.array(c)),
                "POAddressLine1": strings([x.street for x in cs]).take(pa.array(c)),
                "POCity": strings([x.place.city for x in cs]).take(pa.array(c)),
                "PORegion": strings([x.place.region for x in cs]).take(pa.array(c)),
                "POPostalCode": strings([x.postcode for x in cs]).take(pa.array(c)),
                "POCountry": strings([x.place.country for x in cs]).take(pa.array(c)),
                "InvoiceNumber": b.inv_number.take(pa.array(d)),
                "Reference": b.inv_ref.take(pa.array(d)),
                "InvoiceDate": dates(b.inv_day[d], "%d/%m/%Y"),
                "DueDate": dates(b.inv_due[d], "%d/%m/%Y"),
                "Total": m(b.inv_total[d]),
                "TaxTotal": m(b.inv_tax[d]),
                "InvoiceAmountPaid": m(b.inv_paid[d]),
                "InvoiceAmountDue": m(due[d]),
                "InventoryItemCode": pick([p.code for p in PRODUCTS], prod),
                "Description": b.il_desc.take(pa.array(rows)),
                "Quantity": quarters(b.il_q4[rows]),
                "UnitAmount": m(b.il_unit[rows] * 100),
                "Discount": blank_where(money(b.il_disc[rows]), b.il_disc[rows] == 0),
                "LineAmount": m(b.il_amount[rows]),
                "AccountCode": pick([p.account for p in PRODUCTS], prod),
                "TaxType": pick(TAX_TYPES, b.inv_cur[d]),
                "TaxAmount": m(b.il_tax[rows]),
                "Currency": pick(CURRENCIES, b.inv_cur[d]),
                "Type": pick(
                    ("Sales invoice", "Sales credit note"), i64(b.inv_kind[d] == bl.CREDIT)
                ),
                "Status": pick(bl.STATUSES, b.inv_status[d]),
            }
        )
        yield (
            Export(
                f"exports/xero/invoices_{int(y)}.csv",
                table,
                defects=XERO_DEFECTS,
                protected=protected_doc[d],
                encoding="cp1252" if thousands else "utf-8",
                crlf=thousands,
                thousands=thousands,
            )
        )
        del table  # free this year's rows before building the next


def xero_header(table: pa.Table) -> pa.Table:
    """The Xero import template marks required columns with a leading '*'."""
    return table.rename_columns([f"*{c}" if c in XERO_STARRED else c for c in table.column_names])


# --- Harvest ---------------------------------------------------------------------------


def harvest(
    company: Company, dl: dv.Delivery, b: bl.Billing, protected_wo: BoolArray
) -> Iterator[Export]:
    """Detailed time report, one file per calendar year, sorted by date then person."""
    order = np.lexsort((np.arange(len(dl.t_day)), dl.t_person, dl.t_day))
    year = _year(dl.t_day)
    people = company.people
    for y in np.unique(year):
        rows = order[year[order] == y]
        wo = dl.t_wo[rows]
        on_job = wo >= 0
        w = np.maximum(wo, 0)
        number = padded(dl.wo_number[w], 8)
        form = np.where(on_job, dl.wo_code_form[w], 2)
        code = where(form == 0, join("WO-", number), where(form == 1, number, None))
        support = pick(dv.SUPPORT_PROJECTS, np.maximum(dl.t_support[rows], 0))
        project = where(on_job, dl.wo_title.take(pa.array(w)), support)
        billable = dl.t_billable[rows]
        invoiced = billable & on_job & (dl.t_day[rows] <= b.wo_last_invoice[w])
        q, rate, cost = dl.t_q[rows], dl.t_bill_rate[rows], dl.t_cost_rate[rows]
        person = dl.t_person[rows]
        notes = dl.t_notes[rows]
        table = _table(
            {
                "Date": dates(dl.t_day[rows]),
                "Client": _spelling(company, "harvest").take(pa.array(dl.t_cust[rows])),
                "Project": project,
                "Project Code": code,
                "Task": pick(dv.TASKS, dl.t_task[rows]),
                "Notes": blank_where(pick(dv.NOTES, np.maximum(notes, 0)), notes < 0),
                "Hours": quarters(q),
                "Billable?": pick(("No", "Yes"), i64(billable)),
                "Invoiced?": pick(("No", "Yes"), i64(invoiced)),
                "First Name": strings([p.first for p in people]).take(pa.array(person)),
                "Last Name": strings([p.last for p in people]).take(pa.array(person)),
                "Roles": strings([p.roles for p in people]).take(pa.array(person)),
                "Billable Rate": money(rate * 100),
                "Billable Amount": money(q * rate * 25),
                "Cost Rate": money(cost * 100),
                "Cost Amount": money(q * cost * 25),
                "Currency": pick(HARVEST_CURRENCY, dl.t_cur[rows]),
            }
        )
        yield (
            Export(
                f"exports/harvest/time_{int(y)}.csv",
                table,
                defects=HARVEST_DEFECTS,
                protected=on_job & protected_wo[w],
                bom=True,
            )
        )
        del table  # free this year's rows before building the next


# --- ServiceNow and Zendesk ---------------------------------------------------------------


def servicenow(rng: np.random.Generator, company: Company, t: sv.Tickets) -> Export:
    order = _by_time(t.number)
    subs = [s for v in sv.SN_CATEGORIES.values() for s in v]
    starts = np.cumsum([0] + [len(v) for v in sv.SN_CATEGORIES.values()])[:-1]
    first, last = sv.contact_names(t.contact)
    subjects = [s for group in sv.SN_SUBJECTS for s in group]
    table = _table(
        {
            "number": join("INC", padded(t.number, 7)),
            "sys_id": hex_ids(rng, len(t.cust)),
            "opened_at": datetimes(t.opened),
            "resolved_at": datetimes_or_blank(t.resolved),
            "closed_at": datetimes_or_blank(t.closed),
            "short_description": pick(subjects, t.subject),
            "priority": pick(sv.SN_PRIORITIES, t.priority),
            "state": pick(sv.SN_STATES, t.state),
            "category": pick(tuple(sv.SN_CATEGORIES), t.category),
            "subcategory": pick(subs, i64(starts)[t.category] + t.subcategory),
            "company": _spelling(company, "servicenow").take(pa.array(t.cust)),
            "caller_id": join(first, " ", last),
            "assignment_group": pick(sv.SN_GROUPS, t.group),
            "assigned_to": _ids(_person_names(company), t.agent),
            "reopen_count": ints(t.reopens),
            "escalation": pick(sv.SN_ESCALATIONS, t.escalation),
            "contact_type": pick(sv.SN_CONTACT_TYPES, t.channel),
        },
        order,
    )
    return Export(
        "exports/servicenow/incident.csv",
        table,
        defects=("impossible date:opened_at", "blank required field:number", "ragged row"),
    )


def zendesk(company: Company, t: sv.Tickets) -> Export:
    order = _by_time(t.number)
    domain = strings([c.domain for c in company.customers]).take(pa.array(t.cust))
    first, last = sv.contact_names(t.contact)
    requester = join(first, " ", last)
    agents = _ids(_person_names(company), t.agent)
    by_agent = (t.number % 7 == 0) & (t.agent >= 0)
    org = _spelling(company, "zendesk").take(pa.array(t.cust))
    table = _table(
        {
            "Id": ints(t.number),
            "Requester": requester,
            "Requester id": ints(360000000000 + t.contact * 37),
            "Requester email": sv.contact_emails(t.contact, domain),
            "Requester domain": domain,
            "Submitter": where(by_agent, agents, requester),
            "Assignee": agents,
            "Group": pick(sv.ZD_GROUPS, t.group),
            "Subject": pick(sv.ZD_SUBJECTS, t.subject),
            "Tags": pick(sv.ZD_TAGS, t.subject),
            "Status": pick(sv.ZD_STATUSES, t.state),
            "Priority": pick(sv.ZD_PRIORITIES, t.priority),
            "Via": pick(sv.ZD_VIA, t.channel),
            "Ticket type": pick(sv.ZD_TYPES, t.category),
            "Created at": datetimes(t.opened),
            "Updated at": datetimes(t.updated),
            "Solved at": datetimes_or_blank(t.resolved),
            "Organization": blank_where(org, t.org_blank),
            "Reopens": ints(t.reopens),
            "Replies": ints(t.replies),
        },
        order,
    )
    return Export(
        "exports/zendesk/tickets.csv",
        table,
        defects=("impossible date:Created at", "blank required field:Id", "ragged row"),
    )


# --- tieout's canonical layout ----------------------------------------------------------


def canonical(rng: np.random.Generator, dl: dv.Delivery, keys: Keys) -> list[Export]:
    changes = _table(
        {
            "native_id": keys.change,
            # the 15-character form: what tieout keys Salesforce records by
            "work_order_native_id": pc.utf8_slice_codeunits(
                keys.work_order.take(pa.array(dl.ch_wo)), 0, 15
            ),
            "changed_at": datetimes(dl.ch_at),
            "description": pick(dv.CHANGE_TEXT, dl.ch_text),
            "hours_delta": quarters(dl.ch_q),
            "value_delta": money(dl.ch_value),
            "priced": _bool(dl.ch_priced),
            "currency": pick(CURRENCIES, dl.wo_cur[dl.ch_wo]),
        }
    )
    return [
        Export("exports/canonical/work_order_change.csv", changes),
        Export("exports/canonical/fx_rate.csv", _fx(rng)),
    ]


def _fx(rng: np.random.Generator) -> pa.Table:
    """Month-start EUR->GBP and USD->GBP rates over the two years (a gentle random walk)."""
    months = [date(2024 + (10 + k) // 12, (10 + k) % 12 + 1, 1) for k in range(24)]
    rows: list[tuple[str, str, str, str]] = []
    for cur, level in (("EUR", co.FX_TO_GBP[1]), ("USD", co.FX_TO_GBP[2])):
        walk = level * np.exp(np.cumsum(rng.normal(0, 0.012, len(months))))
        for m, rate in zip(months, walk, strict=True):
            rows.append((f"FX-{cur}-{m:%Y-%m}", f"{m:%Y-%m-%d}", cur, f"{rate:.6f}"))
    return pa.table(
        {
            "native_id": strings([r[0] for r in rows]),
            "rate_date": strings([r[1] for r in rows]),
            "from_currency": strings([r[2] for r in rows]),
            "to_currency": constant("GBP", len(rows)),
            "rate": strings([r[3] for r in rows]),
        }
    )
