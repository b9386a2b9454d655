"""Salesforce marketing, service and field-service exports of the demo company
(Campaign, CampaignMember, Lead, Case, WorkOrder, WorkOrderLineItem)."""

from __future__ import annotations

from typing import Final

import numpy as np
import pyarrow as pa

from tieout.demo import delivery as dv
from tieout.demo import marketing as mk
from tieout.demo import names
from tieout.demo import sales as sl
from tieout.demo import service as sv
from tieout.demo.catalogue import PRODUCTS
from tieout.demo.company import CURRENCIES, D1
from tieout.demo.exports import (
    Export,
    arrow_table,
    bool_text,
    by_time,
    line_columns,
    sf_datetimes,
    sf_datetimes_or_blank,
    take_ids,
)
from tieout.demo.fmt import (
    BoolArray,
    constant,
    dates,
    dates_or_blank,
    i64,
    join,
    money,
    padded,
    pick,
    quarters,
    strings,
    where,
)
from tieout.demo.keys import Keys
from tieout.demo.places import PLACES


def campaigns(c: mk.Campaigns, keys: Keys) -> pa.Table:
    n = len(c.name)
    top = c.parent < 0
    child = np.flatnonzero(~top)
    budget = c.budget.copy()
    spend = c.spend.copy()
    np.add.at(budget, c.parent[child], c.budget[child])
    np.add.at(spend, c.parent[child], c.spend[child])
    status = np.where(c.end < D1, 0, np.where(c.start <= D1, 1, 2))
    kinds = where(top, "Other", pick(mk.CAMPAIGN_TYPES, i64(c.kind)))
    return arrow_table(
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
            "ParentId": take_ids(keys.campaign, c.parent),
            "OwnerId": keys.user.take(pa.array(c.owner)),
        }
    )


def members(leads: mk.Leads, keys: Keys, guard: BoolArray) -> Export:
    table = arrow_table(
        {
            "Id": keys.member,
            "CampaignId": keys.campaign.take(pa.array(leads.m_campaign)),
            "LeadId": take_ids(keys.lead, leads.m_lead),
            "ContactId": keys.contact,
            "Status": pick(mk.MEMBER_STATUSES, leads.m_status),
            "HasResponded": bool_text(leads.m_status >= 3),
            "CreatedDate": sf_datetimes(leads.m_created),
        },
        by_time(leads.m_created),
    )
    return Export(
        "exports/salesforce/CampaignMember.csv",
        table,
        defects=("duplicate Id", "impossible date:CreatedDate", "ragged row"),
        protected=guard[by_time(leads.m_created)],
    )


def leads(leads: mk.Leads, keys: Keys, guard: BoolArray) -> Export:
    first = pick(names.FIRST_NAMES, leads.first)
    last = pick(names.LAST_NAMES, leads.last)
    email_first = [names.fold_accents(n).lower() for n in names.FIRST_NAMES]
    email_last = [
        names.fold_accents(n).lower().replace(" ", "").replace("'", "") for n in names.LAST_NAMES
    ]
    converted = leads.converted >= 0
    email_first_a = pick(email_first, leads.first)
    table = arrow_table(
        {
            "Id": keys.lead,
            "FirstName": first,
            "LastName": last,
            "Company": leads.company,
            "Email": join(email_first_a, ".", pick(email_last, leads.last), "@", leads.domain),
            "Website": join("www.", leads.domain),
            "City": pick([p.city for p in PLACES], leads.place),
            "PostalCode": leads.postcode,
            "Country": pick([p.country for p in PLACES], leads.place),
            "Status": pick(mk.LEAD_STATUSES, leads.status),
            "LeadSource": pick(sl.LEAD_SOURCES, leads.source),
            "CreatedDate": sf_datetimes(leads.created),
            "MQL_Date__c": dates_or_blank(leads.mql),
            "SAL_Date__c": dates_or_blank(leads.sal),
            "SQL_Date__c": dates_or_blank(leads.sql),
            "IsConverted": bool_text(converted),
            "ConvertedDate": dates_or_blank(leads.converted),
            "ConvertedAccountId": take_ids(keys.account, leads.account),
            "ConvertedOpportunityId": take_ids(keys.opportunity, leads.opportunity),
            "OwnerId": keys.user.take(pa.array(leads.owner)),
        },
        by_time(leads.created),
    )
    return Export(
        "exports/salesforce/Lead.csv",
        table,
        defects=("duplicate Id", "impossible date:CreatedDate", "blank required field:LastName"),
        protected=(converted | guard)[by_time(leads.created)],
    )


def cases(cases: sv.Cases, keys: Keys, guard: BoolArray) -> Export:
    table = arrow_table(
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
            "IsEscalated": bool_text(cases.escalated),
            "CreatedDate": sf_datetimes(cases.created),
            "ClosedDate": sf_datetimes_or_blank(cases.closed),
            "OwnerId": keys.user.take(pa.array(cases.owner)),
        }
    )
    return Export(
        "exports/salesforce/Case.csv",
        table,
        defects=("duplicate Id", "orphan AccountId", "impossible date:CreatedDate"),
        protected=(cases.wo >= 0) | guard,
    )


def work_orders(sales: sl.Sales, dl: dv.Delivery, service: sv.Service, keys: Keys) -> pa.Table:
    n = len(dl.wo_job)
    quote_no = padded(sales.q_number[dl.wo_job], 8)
    text = join("Delivery of ", dl.wo_title, " as quoted")
    text = where(np.arange(n) % 5 < 2, join(text, " (quote ", quote_no, ")"), text)
    return arrow_table(
        {
            "Id": keys.work_order,
            "WorkOrderNumber": padded(dl.wo_number, 8),
            "AccountId": keys.account.take(pa.array(dl.wo_cust)),
            "CaseId": take_ids(keys.case, service.wo_case),
            "Subject": dl.wo_title,
            "Description": text,
            "Status": pick(dv.WO_STATUSES, dl.wo_status),
            "Priority": pick(dv.PRIORITIES, dl.wo_priority),
            "CreatedDate": sf_datetimes(dl.wo_created),
            "StartDate": sf_datetimes(dl.wo_start * 86400 + 9 * 3600),
            "EndDate": sf_datetimes(dl.wo_end * 86400 + 17 * 3600 + 1800),
            "Duration": quarters(dl.wo_planned_q),
            "DurationType": constant("Hours", n),
            "TotalPrice": money(dl.wo_value),
            "CurrencyIsoCode": pick(CURRENCIES, dl.wo_cur),
            "OwnerId": keys.user.take(pa.array(dl.wo_owner)),
            "Quote__c": take_ids(keys.quote, np.where(dl.wo_quote_link, dl.wo_job, -1)),
            "Completed_Date__c": sf_datetimes_or_blank(dl.wo_completed),
        },
        by_time(dl.wo_created),
    )


_WOLI_STATUS: Final = (
    "New", "In Progress", "In Progress", "Completed", "Completed", "Canceled", "New"
)  # fmt: skip


def wo_lines(dl: dv.Delivery, keys: Keys) -> pa.Table:
    prod = dl.wl_prod
    cols = line_columns(dl.wl_q4, dl.wl_unit, dl.wl_list, dl.wl_disc, dl.wl_total)
    return arrow_table(
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
        by_time(dl.wo_created[dl.wl_wo]),
    )
