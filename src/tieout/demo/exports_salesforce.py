"""Salesforce Data Loader exports of the demo company: API field names, 18-character ids."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa

from tieout.demo import delivery as dv
from tieout.demo import exports_salesforce_ops as ops
from tieout.demo import marketing as mk
from tieout.demo import sales as sl
from tieout.demo import service as sv
from tieout.demo.catalogue import PRODUCTS, Product
from tieout.demo.company import CURRENCIES, Company
from tieout.demo.exports import (
    Export,
    Guard,
    arrow_table,
    bool_text,
    by_time,
    clock,
    line_columns,
    sf_datetimes,
    spelling,
    take_ids,
)
from tieout.demo.fmt import (
    constant,
    dates,
    i64,
    ints,
    join,
    money,
    padded,
    pick,
    strings,
)
from tieout.demo.keys import Keys

# --- Salesforce ------------------------------------------------------------------------


def salesforce(
    company: Company,
    sales: sl.Sales,
    dl: dv.Delivery,
    service: sv.Service,
    campaigns: mk.Campaigns,
    leads: mk.Leads,
    keys: Keys,
    guard: Guard,
    department: list[str],
) -> Iterator[Export]:
    """One Export per object, built only when the caller asks for it (keeps memory flat)."""
    d = "exports/salesforce/"
    yield Export(d + "Account.csv", _accounts(company, keys))
    yield Export(d + "User.csv", _users(company, keys, department))
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
    yield Export(d + "Campaign.csv", ops.campaigns(campaigns, keys))
    yield ops.members(leads, keys, guard.member)
    yield ops.leads(leads, keys, guard.lead)
    yield ops.cases(service.cases, keys, guard.case)
    yield Export(d + "WorkOrder.csv", ops.work_orders(sales, dl, service, keys))
    yield Export(d + "WorkOrderLineItem.csv", ops.wo_lines(dl, keys))


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
    return arrow_table(
        {
            "Id": keys.account,
            "Name": spelling(company, "salesforce"),
            "Type": strings(kind),
            "ParentId": take_ids(keys.account, parent),
            "BillingStreet": strings([c.street for c in cs]),
            "BillingCity": strings([c.place.city for c in cs]),
            "BillingState": strings([c.place.region for c in cs]),
            "BillingPostalCode": strings([c.postcode for c in cs]),
            "BillingCountry": strings([c.place.country for c in cs]),
            "Phone": strings([c.phone for c in cs]),
            "Website": strings([c.website or None for c in cs]),
            "Industry": strings([c.industry for c in cs]),
            "OwnerId": keys.user.take(pa.array(company.cust_owner)),
            "CreatedDate": sf_datetimes(clock(company.cust_created, np.arange(n))),
            "AccountNumber": join("ACC-", padded(np.arange(1, n + 1), 6)),
            "Tier__c": strings([c.tier for c in cs]),
        },
        by_time(company.cust_created),
    )


def _users(company: Company, keys: Keys, department: list[str]) -> pa.Table:
    """Departments are teams; professional services is split into practices."""
    ps = company.people
    return arrow_table(
        {
            "Id": keys.user,
            "FirstName": strings([p.first for p in ps]),
            "LastName": strings([p.last for p in ps]),
            "Email": strings([p.email for p in ps]),
            "Title": strings([p.title for p in ps]),
            "Department": strings(department),
            "Division": strings([p.division for p in ps]),
            "ManagerId": take_ids(keys.user, i64([p.manager for p in ps])),
            "IsActive": bool_text(np.array([p.active for p in ps])),
            "Function__c": strings([p.function for p in ps]),
        }
    )


def _product_text(p: Product) -> str:
    if p.unit == "day":
        return f"Charged per day ({p.hours:g} hours)"
    if p.unit == "hour":
        return "Charged per hour"
    if p.unit == "month":
        return "Monthly fee, billed monthly in advance"
    return f"Fixed price, about {p.hours:g} hours of delivery"


def _products(keys: Keys) -> pa.Table:
    return arrow_table(
        {
            "Id": keys.product,
            "Name": strings([p.name for p in PRODUCTS]),
            "ProductCode": strings([p.code for p in PRODUCTS]),
            "Family": strings([p.family for p in PRODUCTS]),
            "Description": strings([_product_text(p) for p in PRODUCTS]),
            "IsActive": bool_text(np.array([p.active for p in PRODUCTS])),
            "CurrencyIsoCode": constant("GBP", len(PRODUCTS)),
            "List_Price__c": money(i64([p.price * 100 for p in PRODUCTS])),
            "Standard_Cost__c": money(i64([p.cost * 100 for p in PRODUCTS])),
        }
    )


def _opportunities(company: Company, sales: sl.Sales, keys: Keys) -> Export:
    n = len(sales.opp_cust)
    stage = sales.opp_stage
    closed = stage >= sl.WON
    names_sf = spelling(company, "salesforce").take(pa.array(sales.opp_cust))
    table = arrow_table(
        {
            "Id": keys.opportunity,
            "AccountId": keys.account.take(pa.array(sales.opp_cust)),
            "Name": join(names_sf, " - ", sales.opp_title),
            "StageName": pick(sl.STAGES, stage),
            "Amount": money(sales.opp_amount),
            "CurrencyIsoCode": pick(CURRENCIES, sales.opp_cur),
            "CloseDate": dates(sales.opp_close),
            "Probability": ints(i64(sl.STAGE_PROBABILITY)[stage]),
            "IsClosed": bool_text(closed),
            "IsWon": bool_text(stage == sl.WON),
            "Type": pick(sl.OPP_TYPES, sales.opp_type),
            "LeadSource": pick(sl.LEAD_SOURCES, sales.opp_source),
            "OwnerId": keys.user.take(pa.array(sales.opp_owner)),
            "CampaignId": take_ids(keys.campaign, sales.opp_campaign),
            "CreatedDate": sf_datetimes(clock(sales.opp_created, np.arange(n))),
        },
        by_time(sales.opp_created),
    )
    job = np.arange(n) < sales.n_jobs
    return Export(
        "exports/salesforce/Opportunity.csv",
        table,
        defects=("duplicate Id", "orphan AccountId", "impossible date:CloseDate"),
        protected=job[by_time(sales.opp_created)],
    )


def _opp_lines(sales: sl.Sales, keys: Keys) -> pa.Table:
    prod = sales.ol_prod
    cols = line_columns(sales.ol_q4, sales.ol_unit, sales.ol_list, sales.ol_disc, sales.ol_total)
    return arrow_table(
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
        by_time(sales.opp_created[sales.ol_opp] * 8 + np.arange(len(prod)) % 8),
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
    account_names = spelling(company, "salesforce").take(pa.array(cust))
    return arrow_table(
        {
            "Id": keys.quote,
            "Name": join(sales.opp_title.take(pa.array(opp)), " - ", account_names),
            "QuoteNumber": padded(sales.q_number, 8),
            "OpportunityId": keys.opportunity.take(pa.array(opp)),
            "AccountId": keys.account.take(pa.array(cust)),
            "Status": pick(sl.QUOTE_STATUSES, sales.q_status),
            "CreatedDate": sf_datetimes(clock(sales.q_day, np.arange(n))),
            "ExpirationDate": dates(sales.q_day + 30),
            "Subtotal": money(sales.q_subtotal),
            "Discount": money(i64(effective)),
            "TotalPrice": total,
            "GrandTotal": total,
            "CurrencyIsoCode": pick(CURRENCIES, sales.opp_cur[opp]),
            "OwnerId": keys.user.take(pa.array(sales.opp_owner[opp])),
        },
        by_time(sales.q_day),
    )


def _quote_lines(sales: sl.Sales, keys: Keys) -> pa.Table:
    ol = sales.ql_ol
    prod = sales.ol_prod[ol]
    q4 = sales.ol_q4[ol]
    cols = line_columns(q4, sales.ql_unit, sales.ol_list[ol], sales.ol_disc[ol], sales.ql_total)
    return arrow_table(
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
        by_time(sales.q_day[sales.ql_quote] * 8 + sales.ql_ord),
    )


def _contracts(company: Company, sales: sl.Sales, keys: Keys) -> pa.Table:
    return arrow_table(
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
        by_time(sales.k_created),
    )
