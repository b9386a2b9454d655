"""The billing and delivery anomalies the generator planted, as truth.json lists them.

Each comes from a record kept where it was planted (a work order left unbilled, an invoice
raised with no work behind it, a line priced off its quote, a copied invoice, a job run over
plan or sold too cheap, an unpriced change), never from evaluating a rule on the generated
books: those are kept clean everywhere else by construction, so whatever else a rule raises
is its own mistake.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tieout.demo.billing import Billing
from tieout.demo.company import CURRENCIES
from tieout.demo.delivery import CANCELED, Delivery
from tieout.demo.fmt import FloatArray, id_list
from tieout.demo.invoice_docs import ADHOC, DISCOUNT, DUPLICATE, PRICE
from tieout.demo.keys import Keys
from tieout.demo.sales import Sales
from tieout.demo.vec import round_div

FLOOR_PCT = 15  # margin_below_floor: the amount is time cost less 85 % of revenue


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


def currency(cur: int) -> str:
    return CURRENCIES[cur]


class _Ids:
    """Refs to the records a finding names."""

    def __init__(self, sales: Sales, dl: Delivery, b: Billing, keys: Keys) -> None:
        self.quote = id_list(keys.quote)
        self.work_order = id_list(keys.work_order)
        self.quote_line = id_list(keys.quote_line)
        self.line = keys.invoice_line.to_pylist()
        self.number = b.inv_number.to_pylist()
        self.change = keys.change.to_pylist()
        self.job_wos: list[list[int]] = [[] for _ in range(sales.n_jobs)]
        for w in np.flatnonzero(dl.wo_status != CANCELED).tolist():
            self.job_wos[int(dl.wo_job[w])].append(w)

    def wo(self, w: int) -> Ref:
        return Ref("salesforce", "WorkOrder", self.work_order[w])

    def invoice(self, i: int) -> Ref:
        return Ref("xero", "invoice", self.number[i])

    def job(self, j: int) -> tuple[Ref, ...]:
        """A job: its accepted quote and its work orders (canceled ones are not part of it)."""
        quote = Ref("salesforce", "Quote", self.quote[j])
        return (quote, *(self.wo(w) for w in self.job_wos[j]))


def billing_truth(sales: Sales, dl: Delivery, b: Billing, keys: Keys) -> list[Finding]:
    """Every planted billing and delivery anomaly, rule by rule, in a stable order."""
    ids = _Ids(sales, dl, b, keys)
    out = [
        Finding("unbilled_work", (ids.wo(w),), int(dl.wo_value[w]), currency(int(dl.wo_cur[w])))
        for w in np.flatnonzero(dl.wo_unbilled).tolist()
    ]
    out += [
        Finding("invoice_without_work", (ids.invoice(i),), int(b.inv_total[i]), _cur(b, i))
        for i in np.flatnonzero(b.inv_kind == ADHOC).tolist()
    ]
    out += _delivery(sales, dl, ids)
    out += _lines(b, ids)
    out += [
        Finding(
            "duplicate_invoice",
            (ids.invoice(int(b.inv_copy_of[i])), ids.invoice(i)),
            int(b.inv_total[i]),
            _cur(b, i),
        )
        for i in np.flatnonzero(b.inv_kind == DUPLICATE).tolist()
    ]
    return out + _margin(sales, dl, ids)


def _cur(b: Billing, i: int) -> str:
    return currency(int(b.inv_cur[i]))


def _per_job(dl: Delivery, n: int, values: FloatArray) -> FloatArray:
    """Sum over each job's work orders, canceled ones left out."""
    live = dl.wo_status != CANCELED
    summed = np.bincount(dl.wo_job, weights=np.where(live, values, 0.0), minlength=n)
    return np.asarray(summed, dtype=np.float64)


def _delivery(sales: Sales, dl: Delivery, ids: _Ids) -> list[Finding]:
    """Scope drift (the hours planted beyond plan, at the plan's rate) and unpriced changes
    (their hours at the work order's rate)."""
    n = sales.n_jobs
    planned = _per_job(dl, n, dl.wo_planned_q.astype(float))
    value = _per_job(dl, n, dl.wo_value.astype(float))
    excess = np.round(value * dl.job_excess_q / np.maximum(planned, 1))
    out = [
        Finding("scope_drift", ids.job(j), int(excess[j]), currency(int(sales.opp_cur[j])))
        for j in np.flatnonzero(dl.job_drift).tolist()
    ]
    c = np.flatnonzero(dl.ch_unpriced)
    wo = dl.ch_wo[c]
    amount = round_div(dl.ch_q[c] * dl.wo_value[wo], np.maximum(dl.wo_planned_q[wo], 1))
    for k, w, a in zip(c.tolist(), wo.tolist(), amount.tolist(), strict=True):
        refs = (Ref("salesforce", "work_order_change", ids.change[k]), ids.wo(w))
        out.append(Finding("unpriced_change", refs, a, currency(int(dl.wo_cur[w]))))
    return out


def _lines(b: Billing, ids: _Ids) -> list[Finding]:
    """Lines priced off their quote line: a planted unit price, then a planted discount."""
    out: list[Finding] = []
    for rule, kind in (("price_variance", PRICE), ("discount_after_quote", DISCOUNT)):
        lines = np.flatnonzero(b.il_plant == kind)
        q4, delta = b.il_q4[lines], b.il_delta[lines]
        if kind == PRICE:
            amount = np.abs(delta) * q4 * 25
        else:
            amount = round_div(q4 * b.il_unit[lines] * delta, 400)
        for i, a in zip(lines.tolist(), amount.tolist(), strict=True):
            refs = (
                Ref("xero", "invoice_line", ids.line[i]),
                Ref("salesforce", "QuoteLineItem", ids.quote_line[b.il_ql[i]]),
            )
            out.append(Finding(rule, refs, a, _cur(b, int(b.il_inv[i]))))
    return out


def _margin(sales: Sales, dl: Delivery, ids: _Ids) -> list[Finding]:
    """Jobs sold too cheap for the team that delivered them: time cost less 85 % of what the
    job billed (its work orders' value: no credit, copy or price change touches them)."""
    n = sales.n_jobs
    on_job = dl.t_wo >= 0
    job = dl.wo_job[dl.t_wo[on_job]]
    cost = np.bincount(job, weights=dl.t_q[on_job] * dl.t_cost_rate[on_job] * 25, minlength=n)
    short = np.round(cost - _per_job(dl, n, dl.wo_value.astype(float)) * (100 - FLOOR_PCT) / 100)
    return [
        Finding("margin_below_floor", ids.job(j), int(short[j]), currency(int(sales.opp_cur[j])))
        for j in np.flatnonzero(sales.job_margin).tolist()
    ]
