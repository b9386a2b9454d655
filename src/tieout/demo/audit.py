"""The ground truth of exceptions: each rule evaluated exactly on the generated books.

Anomalies were planted on purpose, but chance can create or cancel one (a duplicate amount,
a credited line); so the truth is not the list of plants, it is every record that meets a
rule's definition below, computed from the same integers the exports were written from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from tieout.demo.billing import DRAFT, VOID, Billing
from tieout.demo.company import CURRENCIES, D1
from tieout.demo.delivery import CANCELED, Delivery
from tieout.demo.fmt import IntArray, i64
from tieout.demo.invoice_docs import CREDIT, DUPLICATE, DUPLICATE_CREDITED, JOB
from tieout.demo.keys import Keys
from tieout.demo.sales import Sales, covered
from tieout.demo.vec import round_div

FLOOR_PCT: Final = 15
DEFINITIONS: Final = {
    "unbilled_work": (
        "Work order Completed or Closed, completed more than 14 days before the as-of date, "
        "billed by no invoice line (voided invoices do not count). Amount: its TotalPrice."
    ),
    "invoice_without_work": (
        "Sales invoice (not a credit note, not voided) that bills no work order, for a customer "
        "with no contract running on the invoice date. Amount: the invoice Total."
    ),
    "scope_drift": (
        "Hours logged on a job's work orders exceed its planned hours (quoted plus priced "
        "changes: the sum of WorkOrder.Duration, canceled ones excluded) by more than 10 %. "
        "Amount: excess hours x planned value / planned hours."
    ),
    "unpriced_change": (
        "work_order_change with priced = false that adds hours. "
        "Amount: hours_delta x the work order's TotalPrice / Duration."
    ),
    "price_variance": (
        "Invoice line unit price differs from its quote line's unit price by more than 2 % "
        "(voided invoices and credit notes excluded). Amount: |difference| x quantity."
    ),
    "discount_after_quote": (
        "Invoice line discount deeper than its quote line's discount (voided invoices and "
        "credit notes excluded). Amount: quantity x unit price x the extra discount."
    ),
    "duplicate_invoice": (
        "Two sales invoices with the same customer, currency and Total, dated within 7 days, "
        "neither voided nor credited. Amount: the later invoice's Total."
    ),
    "margin_below_floor": (
        "Job with every work order finished (completed or closed more than 14 days before the "
        "as-of date, or canceled), invoiced revenue net of credit notes > 0 (excluding tax, "
        "drafts and voided invoices) and (revenue - time cost) / revenue below 15 %. "
        "Amount: time cost - 85 % of revenue."
    ),
    "sla_breach_strategic": (
        "Ticket (ServiceNow incident, Zendesk ticket or Salesforce Case) of a customer whose "
        "Salesforce Account has Tier__c Strategic, opened in the 90 days before the as-of date, "
        "whose resolution clock exceeds its target: business minutes (calendar uk: Europe/London, "
        "Mon-Fri 09:00-17:30, English bank holidays off) from opened to resolved (still open: "
        "to the end of the as-of day), less time On Hold or Pending and time resolved before a "
        "reopen. Targets by priority: 1 strategic 4 h, 1 8 h, 2 16 h, 3 40 h, 4 80 h. "
        "Amount: none."
    ),
    "aged_case_renewal_risk": (
        "Activated contract renewing (EndDate + 1 day) within 90 days after the as-of date, "
        "whose customer has a ticket in any system still open (not resolved, closed or "
        "canceled) that was opened more than 30 days before the as-of date. Refs: the contract "
        "and every such ticket. Amount: Contract_Value__c."
    ),
    "onboarding_overdue": (
        "Onboarding milestone not completed (status not completed and no completed_at) whose "
        "due date is before the as-of date. Amount: none."
    ),
    "repeat_issue": (
        "Three or more tickets of one customer in one system with the same category and the "
        "same topic (ServiceNow category, Zendesk Tags, Case Reason; lower-cased, trimmed), "
        "opened in the 30 days up to the as-of date. Refs: those tickets. Amount: none."
    ),
    "capacity_risk": (
        "Work order New or Scheduled, starting after the as-of date, in a week (Monday to "
        "Sunday) in which its owner's team (User.Department) is over-committed: planned hours "
        "of the team's New, Scheduled, In Progress and On Hold work orders, spread evenly over "
        "their working days, exceed the hours its active people have that week (37.5 a week "
        "or their part-time hours, per working day, less time off). Amount: its TotalPrice."
    ),
    "unexplained_variance": (
        "Target of the approved joint plan (MQLs by campaign cohort and month) whose actual "
        "differs from it by more than 20 % of the target, reviewed (day 10 of the next month) "
        "before the as-of date, with no explanation. A lead's cohort is the campaign of its "
        "earliest CampaignMember row. Refs: the Campaign. Amount: none."
    ),
    "spend_without_commitment": (
        "Campaign with ActualCost > 0 that started within the joint plan's periods (its first "
        "to last target month) and that the plan has no commitment for. Amount: ActualCost."
    ),
}


@dataclass(frozen=True)
class Ref:
    system: str
    object: str
    native_id: str


@dataclass(frozen=True)
class Finding:
    rule: str
    refs: tuple[Ref, ...]
    amount: int  # minor units
    currency: str


def _sf(obj: str, ids: list[str], i: int) -> Ref:
    """Salesforce refs use the 18-character id, as exported and as tieout keys them."""
    return Ref("salesforce", obj, ids[i])


def _currency(cur: int) -> str:
    return CURRENCIES[cur]


class _Books:
    """Lookups shared by the rules."""

    def __init__(self, sales: Sales, dl: Delivery, b: Billing, keys: Keys) -> None:
        self.sales, self.dl, self.b, self.keys = sales, dl, b, keys
        self.quote = keys.quote.to_pylist()
        self.wo = keys.work_order.to_pylist()
        self.quote_line = keys.quote_line.to_pylist()
        self.number = b.inv_number.to_pylist()
        n_jobs = sales.n_jobs
        self.live_wo = dl.wo_status != CANCELED
        self.job_wos: list[list[int]] = [[] for _ in range(n_jobs)]
        for w in np.flatnonzero(self.live_wo):
            self.job_wos[int(dl.wo_job[w])].append(int(w))

    def job_refs(self, job: int) -> tuple[Ref, ...]:
        refs = [_sf("Quote", self.quote, job)]
        refs += [_sf("WorkOrder", self.wo, w) for w in self.job_wos[job]]
        return tuple(refs)


def _unbilled(bk: _Books) -> list[Finding]:
    dl, b = bk.dl, bk.b
    billed = np.zeros(len(dl.wo_job), dtype=np.bool_)
    live = (b.inv_status != VOID) & (b.inv_wo >= 0)
    billed[b.inv_wo[live]] = True
    hit = np.flatnonzero(dl.wo_done & (dl.wo_completed < (D1 - 14) * 86400) & ~billed)
    return [
        Finding(
            "unbilled_work",
            (_sf("WorkOrder", bk.wo, int(w)),),
            int(dl.wo_value[w]),
            _currency(int(dl.wo_cur[w])),
        )
        for w in hit
    ]


def _without_work(bk: _Books) -> list[Finding]:
    b = bk.b
    cand = (b.inv_kind != CREDIT) & (b.inv_status != VOID) & (b.inv_wo < 0)
    idx = np.flatnonzero(cand)
    hit = idx[~covered(bk.sales, b.inv_cust[idx], b.inv_day[idx])]
    return [
        Finding(
            "invoice_without_work",
            (Ref("xero", "invoice", bk.number[i]),),
            int(b.inv_total[i]),
            _currency(int(b.inv_cur[i])),
        )
        for i in hit
    ]


def _job_totals(bk: _Books) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Per job: planned quarter hours, planned value, delivered quarter hours, time cost."""
    dl, n = bk.dl, bk.sales.n_jobs
    live = bk.live_wo
    planned = np.bincount(dl.wo_job, weights=np.where(live, dl.wo_planned_q, 0), minlength=n)
    value = np.bincount(dl.wo_job, weights=np.where(live, dl.wo_value, 0), minlength=n)
    on_job = dl.t_wo >= 0
    job = dl.wo_job[dl.t_wo[on_job]]
    delivered = np.bincount(job, weights=dl.t_q[on_job], minlength=n)
    cost = np.bincount(job, weights=dl.t_q[on_job] * dl.t_cost_rate[on_job] * 25, minlength=n)
    return i64(planned), i64(value), i64(delivered), i64(cost)


def _scope_drift(bk: _Books) -> list[Finding]:
    planned, value, delivered, _ = _job_totals(bk)
    hit = np.flatnonzero((planned > 0) & (delivered * 10 > planned * 11))
    amount = round_div(value * (delivered - planned), np.maximum(planned, 1))
    cur = bk.sales.opp_cur
    return [
        Finding("scope_drift", bk.job_refs(int(j)), int(amount[j]), _currency(int(cur[j])))
        for j in hit
    ]


def _unpriced(bk: _Books) -> list[Finding]:
    dl = bk.dl
    hit = np.flatnonzero(~dl.ch_priced & (dl.ch_q > 0))
    change = bk.keys.change.to_pylist()
    amount = round_div(dl.ch_q * dl.wo_value[dl.ch_wo], np.maximum(dl.wo_planned_q[dl.ch_wo], 1))
    return [
        Finding(
            "unpriced_change",
            (
                Ref("salesforce", "work_order_change", change[c]),
                _sf("WorkOrder", bk.wo, int(dl.ch_wo[c])),
            ),
            int(amount[c]),
            _currency(int(dl.wo_cur[dl.ch_wo[c]])),
        )
        for c in hit
    ]


def _pricing(bk: _Books) -> list[Finding]:
    b, sales = bk.b, bk.sales
    doc_kind = b.inv_kind[b.il_inv]
    billed = (doc_kind == JOB) | (doc_kind == DUPLICATE) | (doc_kind == DUPLICATE_CREDITED)
    lines = np.flatnonzero(billed & (b.il_ql >= 0))
    ql = b.il_ql[lines]
    q_unit, q_disc = sales.ql_unit[ql], sales.ol_disc[ql]
    unit, disc, q4 = b.il_unit[lines], b.il_disc[lines], b.il_q4[lines]
    variance = np.abs(unit - q_unit) * 100 > 2 * q_unit
    deeper = disc > q_disc
    line_key = bk.keys.invoice_line.to_pylist()
    out: list[Finding] = []
    for rule, mask, amount in (
        ("price_variance", variance, np.abs(unit - q_unit) * q4 * 25),
        ("discount_after_quote", deeper, round_div(q4 * unit * (disc - q_disc), 400)),
    ):
        for k in np.flatnonzero(mask):
            i = int(lines[k])
            refs = (
                Ref("xero", "invoice_line", line_key[i]),
                _sf("QuoteLineItem", bk.quote_line, int(ql[k])),
            )
            cur = _currency(int(b.inv_cur[b.il_inv[i]]))
            out.append(Finding(rule, refs, int(amount[k]), cur))
    return out


def _duplicates(bk: _Books) -> list[Finding]:
    b = bk.b
    credited = np.zeros(len(b.inv_kind), dtype=np.bool_)
    credited[b.inv_credit_of[b.inv_credit_of >= 0]] = True
    idx = np.flatnonzero((b.inv_kind != CREDIT) & (b.inv_status != VOID))
    idx = idx[np.lexsort((idx, b.inv_day[idx], b.inv_total[idx], b.inv_cur[idx], b.inv_cust[idx]))]
    a, c = idx[:-1], idx[1:]
    same = (
        (b.inv_cust[a] == b.inv_cust[c])
        & (b.inv_cur[a] == b.inv_cur[c])
        & (b.inv_total[a] == b.inv_total[c])
    )
    hit = same & (b.inv_day[c] - b.inv_day[a] <= 7) & ~credited[a] & ~credited[c]
    return [
        Finding(
            "duplicate_invoice",
            (Ref("xero", "invoice", bk.number[i]), Ref("xero", "invoice", bk.number[j])),
            int(b.inv_total[j]),
            _currency(int(b.inv_cur[j])),
        )
        for i, j in zip(a[hit], c[hit], strict=True)
    ]


def _margin(bk: _Books) -> list[Finding]:
    dl, b, n = bk.dl, bk.b, bk.sales.n_jobs
    _, _, _, cost = _job_totals(bk)
    finished = dl.wo_done & (dl.wo_completed < (D1 - 14) * 86400)
    open_wo = np.bincount(dl.wo_job, weights=~(finished | ~bk.live_wo), minlength=n)
    any_live = np.bincount(dl.wo_job, weights=bk.live_wo, minlength=n) > 0
    kind = b.inv_kind[b.il_inv]
    counted = (b.inv_status[b.il_inv] != VOID) & (b.inv_status[b.il_inv] != DRAFT)
    on_job = (b.inv_wo[b.il_inv] >= 0) & counted & (kind != CREDIT)
    credit = (b.inv_wo[b.il_inv] >= 0) & (kind == CREDIT)
    job_of_line = dl.wo_job[np.maximum(b.inv_wo[b.il_inv], 0)]
    revenue = np.bincount(job_of_line, weights=np.where(on_job, b.il_amount, 0), minlength=n)
    revenue -= np.bincount(job_of_line, weights=np.where(credit, b.il_amount, 0), minlength=n)
    revenue = i64(revenue)
    eligible = (open_wo == 0) & any_live & (revenue > 0)
    low = (revenue - cost) * 100 < FLOOR_PCT * revenue
    hit = np.flatnonzero(eligible & low)
    amount = cost - round_div(revenue * (100 - FLOOR_PCT), 100)
    cur = bk.sales.opp_cur
    return [
        Finding("margin_below_floor", bk.job_refs(int(j)), int(amount[j]), _currency(int(cur[j])))
        for j in hit
    ]


def find_anomalies(sales: Sales, dl: Delivery, billing: Billing, keys: Keys) -> list[Finding]:
    """Every record that meets a rule in DEFINITIONS, rule by rule, in a stable order."""
    bk = _Books(sales, dl, billing, keys)
    out: list[Finding] = []
    for rule in (_unbilled, _without_work, _scope_drift, _unpriced, _pricing, _duplicates, _margin):
        out += rule(bk)
    return out
