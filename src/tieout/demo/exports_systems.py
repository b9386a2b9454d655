"""Xero, Harvest, ServiceNow, Zendesk and canonical exports of the demo company, each
as its system writes it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import numpy as np
import pyarrow as pa

from tieout.demo import billing as bl
from tieout.demo import company as co
from tieout.demo import delivery as dv
from tieout.demo import invoice_docs as idoc
from tieout.demo import service as sv
from tieout.demo import timesheets as ts
from tieout.demo.catalogue import PRODUCTS
from tieout.demo.company import CURRENCIES, Company
from tieout.demo.exports import (
    CP1252_YEAR,
    HARVEST_CURRENCY,
    HARVEST_DEFECTS,
    TAX_TYPES,
    XERO_DEFECTS,
    XERO_STARRED,
    Export,
    arrow_table,
    bool_text,
    by_time,
    person_names,
    spelling,
    take_ids,
    year_of,
)
from tieout.demo.exports_ops import minutes_or_blank
from tieout.demo.fmt import (
    BoolArray,
    IntArray,
    blank_where,
    constant,
    dates,
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
from tieout.demo.service_time import ZD_SATISFACTION, ServiceTimes

# --- Xero ------------------------------------------------------------------------------


def xero(company: Company, b: bl.Billing, protected_doc: BoolArray) -> Iterator[Export]:
    """One file per financial year (January to December); lines in document order."""
    cs = company.customers
    doc = b.il_inv
    cust = b.inv_cust[doc]
    year = year_of(b.inv_day[doc])
    for y in np.unique(year):
        rows = np.flatnonzero(year == y)
        thousands = int(y) == CP1252_YEAR
        d, c = doc[rows], cust[rows]

        def m(v: IntArray, thousands: bool = thousands) -> pa.Array:
            return money(v, thousands=thousands)

        due = np.where(b.inv_status == bl.VOID, 0, b.inv_total - b.inv_paid)
        prod = b.il_prod[rows]
        table = arrow_table(
            {
                "ContactName": spelling(company, "xero").take(pa.array(c)),
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
                    ("Sales invoice", "Sales credit note"), i64(b.inv_kind[d] == idoc.CREDIT)
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
    year = year_of(dl.t_day)
    people = company.people
    for y in np.unique(year):
        rows = order[year[order] == y]
        wo = dl.t_wo[rows]
        on_job = wo >= 0
        w = np.maximum(wo, 0)
        number = padded(dl.wo_number[w], 8)
        form = np.where(on_job, dl.wo_code_form[w], 2)
        code = where(form == 0, join("WO-", number), where(form == 1, number, None))
        support = pick(ts.SUPPORT_PROJECTS, np.maximum(dl.t_support[rows], 0))
        project = where(on_job, dl.wo_title.take(pa.array(w)), support)
        billable = dl.t_billable[rows]
        invoiced = billable & on_job & (dl.t_day[rows] <= b.wo_last_invoice[w])
        q, rate, cost = dl.t_q[rows], dl.t_bill_rate[rows], dl.t_cost_rate[rows]
        person = dl.t_person[rows]
        notes = dl.t_notes[rows]
        table = arrow_table(
            {
                "Date": dates(dl.t_day[rows]),
                "Client": spelling(company, "harvest").take(pa.array(dl.t_cust[rows])),
                "Project": project,
                "Project Code": code,
                "Task": pick(ts.TASKS, dl.t_task[rows]),
                "Notes": blank_where(pick(ts.NOTES, np.maximum(notes, 0)), notes < 0),
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


def servicenow(
    rng: np.random.Generator, company: Company, t: sv.Tickets, protected: BoolArray
) -> Export:
    """The incident list; `protected` incidents (named by the truth) stay well formed."""
    order = by_time(t.number)
    subs = [s for v in sv.SN_CATEGORIES.values() for s in v]
    starts = np.cumsum([0] + [len(v) for v in sv.SN_CATEGORIES.values()])[:-1]
    first, last = sv.contact_names(t.contact)
    subjects = [s for group in sv.SN_SUBJECTS for s in group]
    table = arrow_table(
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
            "company": spelling(company, "servicenow").take(pa.array(t.cust)),
            "caller_id": join(first, " ", last),
            "assignment_group": pick(sv.SN_GROUPS, t.group),
            "assigned_to": take_ids(person_names(company), t.agent),
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
        protected=protected[order],
    )


def zendesk(company: Company, t: sv.Tickets, st: ServiceTimes, protected: BoolArray) -> Export:
    """The ticket export with Zendesk's SLA metrics (business-hour minutes, blank until
    solved) and satisfaction; `protected` tickets (named by the truth) stay well formed."""
    order = by_time(t.number)
    domain = strings([c.domain for c in company.customers]).take(pa.array(t.cust))
    first, last = sv.contact_names(t.contact)
    requester = join(first, " ", last)
    agents = take_ids(person_names(company), t.agent)
    by_agent = (t.number % 7 == 0) & (t.agent >= 0)
    org = spelling(company, "zendesk").take(pa.array(t.cust))
    table = arrow_table(
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
            "First reply time in minutes": minutes_or_blank(st.zd_first_reply),
            "Full resolution time in minutes within business hours": minutes_or_blank(st.zd_full),
            "Requester wait time in minutes within business hours": minutes_or_blank(st.zd_wait),
            "On hold time in minutes within business hours": minutes_or_blank(st.zd_hold),
            "Satisfaction Score": pick(ZD_SATISFACTION, st.zd_satisfaction),
        },
        order,
    )
    return Export(
        "exports/zendesk/tickets.csv",
        table,
        defects=("impossible date:Created at", "blank required field:Id", "ragged row"),
        protected=protected[order],
    )


# --- tieout's canonical layout ----------------------------------------------------------


def canonical(rng: np.random.Generator, dl: dv.Delivery, keys: Keys) -> list[Export]:
    changes = arrow_table(
        {
            "native_id": keys.change,
            "work_order_native_id": keys.work_order.take(pa.array(dl.ch_wo)),
            "changed_at": datetimes(dl.ch_at),
            "description": pick(dv.CHANGE_TEXT, dl.ch_text),
            "hours_delta": quarters(dl.ch_q),
            "value_delta": money(dl.ch_value),
            "priced": bool_text(dl.ch_priced),
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
