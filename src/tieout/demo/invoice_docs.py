"""Invoices under construction, before Xero numbers them: job instalments (with planted
price and discount changes), contract billing, ad-hoc invoices, voids, duplicates and
credit notes. `billing` orders, numbers and prices them."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Final

import numpy as np

from tieout.demo.catalogue import LIST_PRICE, PRODUCT_INDEX
from tieout.demo.company import D0, D1, Company
from tieout.demo.contracts import covered
from tieout.demo.delivery import CANCELED, NEW, Delivery
from tieout.demo.fmt import BoolArray, IntArray, i64
from tieout.demo.sales import Sales
from tieout.demo.vec import expand, uniform_int

JOB, VOIDED, DUPLICATE, DUPLICATE_CREDITED, CONTRACT, ADHOC, ADHOC_COVERED, CREDIT = range(8)
# what was planted on a line: nothing, a unit price off the quote, a deeper discount
CLEAN, PRICE, DISCOUNT = range(3)
# Reference habits for job invoices, with their share.
REF_FORMS: Final = (
    ("WO-{wo}", 0.36),
    ("wo {wo_int}", 0.10),
    ("Job #{wo_int} / PO {po}", 0.10),
    ("PO {po}", 0.14),
    ("Q-{quote}", 0.08),
    ("{quote}", 0.07),
    ("", 0.15),
)
NO_WO_IN_REF: Final = i64([3, 4, 5, 6])


@dataclass
class Docs:
    """Documents under construction (any order), with their lines."""

    kind: IntArray
    cust: IntArray
    day: IntArray
    wo: IntArray
    contract: IntArray
    credit_of: IntArray
    copy_of: IntArray  # voids and duplicates: the document repeated, else -1
    ref_form: IntArray
    l_doc: IntArray
    l_prod: IntArray
    l_ql: IntArray
    l_wl: IntArray
    l_q4: IntArray
    l_unit: IntArray
    l_disc: IntArray
    l_text: IntArray  # -1: product - project; else index into TEXTS
    l_plant: IntArray  # CLEAN, PRICE or DISCOUNT
    l_delta: IntArray  # planted change: unit price (whole units) or discount (basis points)

    def add(self, other: Docs) -> Docs:
        base = len(self.kind)
        moved = {"l_doc": other.l_doc + base}
        return Docs(
            **{
                f.name: np.r_[getattr(self, f.name), moved.get(f.name, getattr(other, f.name))]
                for f in fields(self)
            }
        )


TEXTS: Final = ("Advisory services", "Additional support hours")
ADVISORY, EXTRA_SUPPORT = 0, 1


def copy_docs(docs: Docs, src: IntArray, kind: int, day: IntArray) -> Docs:
    """New documents repeating the lines of docs `src` (for voids and duplicates)."""
    pos = np.full(len(docs.kind), -1)
    pos[src] = np.arange(len(src))
    take = np.flatnonzero(pos[docs.l_doc] >= 0)
    n = len(src)
    return Docs(
        kind=np.full(n, kind),
        cust=docs.cust[src],
        day=i64(day),
        wo=docs.wo[src],
        contract=docs.contract[src],
        credit_of=np.full(n, -1),
        copy_of=i64(src),
        ref_form=docs.ref_form[src],
        l_doc=pos[docs.l_doc[take]],
        l_prod=docs.l_prod[take],
        l_ql=docs.l_ql[take],
        l_wl=docs.l_wl[take],
        l_q4=docs.l_q4[take],
        l_unit=docs.l_unit[take],
        l_disc=docs.l_disc[take],
        l_text=docs.l_text[take],
        l_plant=np.zeros(len(take), dtype=np.int64),  # copies are made of clean jobs only
        l_delta=np.zeros(len(take), dtype=np.int64),
    )


def job_invoices(rng: np.random.Generator, dl: Delivery) -> Docs:
    """Instalment invoices per work order: quantities billed pro rata, changes at the end."""
    n_wo = len(dl.wo_job)
    billable = (dl.wo_status != CANCELED) & (dl.wo_status != NEW) & ~dl.wo_unbilled
    k = rng.choice([1, 2, 3, 4], size=n_wo, p=[0.15, 0.3, 0.3, 0.25])
    # at most fortnightly, so two instalments of one work order never look like a duplicate
    k = np.where(billable, np.minimum(k, np.maximum(1, (dl.wo_end - dl.wo_start) // 14)), 0)
    wo, i = expand(k)
    kk = k[wo]
    span = dl.wo_end[wo] - dl.wo_start[wo]
    lag = rng.integers(0, 8, n_wo)[wo]  # invoicing lag: one habit per work order
    day = dl.wo_start[wo] + np.round(span * (i + 1) / kk).astype(np.int64) + lag
    day = np.where(i == kk - 1, dl.wo_end[wo] + lag, day)
    # lines: every work order line, its share of quantity for this instalment
    per_wo = np.bincount(dl.wl_wo, minlength=n_wo)
    wl_start = np.cumsum(per_wo) - per_wo
    doc, j = expand(per_wo[wo])
    wl = wl_start[wo[doc]] + j
    q4 = dl.wl_q4[wl]
    ii, kd = i[doc], kk[doc]
    share = (q4 * (ii + 1)) // kd - (q4 * ii) // kd
    change = dl.wl_ql[wl] < 0
    share = np.where(change, np.where(ii == kd - 1, q4, 0), share)
    keep_line = (share > 0) & (day[doc] <= D1)
    has_lines = np.bincount(doc[keep_line], minlength=len(wo)) > 0
    live = np.flatnonzero(has_lines)
    remap = np.full(len(wo), -1)
    remap[live] = np.arange(len(live))
    ln = np.flatnonzero(keep_line)
    n = len(live)
    forms = rng.choice(len(REF_FORMS), size=n, p=[f[1] for f in REF_FORMS])
    return Docs(
        kind=np.full(n, JOB),
        cust=dl.wo_cust[wo[live]],
        day=i64(day[live]),
        wo=i64(wo[live]),
        contract=np.full(n, -1),
        credit_of=np.full(n, -1),
        copy_of=np.full(n, -1),
        ref_form=i64(forms),
        l_doc=i64(remap[doc[ln]]),
        l_prod=dl.wl_prod[wl[ln]],
        l_ql=dl.wl_ql[wl[ln]],
        l_wl=i64(wl[ln]),
        l_q4=i64(share[ln]),
        l_unit=dl.wl_unit[wl[ln]],
        l_disc=dl.wl_disc[wl[ln]],
        l_text=np.full(len(ln), -1),
        l_plant=np.zeros(len(ln), dtype=np.int64),
        l_delta=np.zeros(len(ln), dtype=np.int64),
    )


def plant_pricing(rng: np.random.Generator, docs: Docs, dl: Delivery, avoid: BoolArray) -> None:
    """Price variance and deeper discount than quoted, each on one line of a few % of jobs."""
    n_jobs = int(dl.wo_job.max()) + 1 if len(dl.wo_job) else 0
    job = dl.wo_job[docs.wo[docs.l_doc]]
    eligible = (docs.l_ql >= 0) & ~avoid[job]
    lines = np.flatnonzero(eligible)
    lines = lines[rng.permutation(len(lines))]
    _, first = np.unique(job[lines], return_index=True)
    candidates = lines[np.sort(first)]
    candidates = candidates[rng.permutation(len(candidates))]
    n_price = min(len(candidates), round(0.03 * n_jobs))
    n_disc = min(len(candidates) - n_price, round(0.025 * n_jobs))
    price = candidates[:n_price]
    disc = candidates[n_price : n_price + n_disc]
    sign = np.where(rng.random(len(price)) < 0.75, 1, -1)
    factor = 1 + sign * rng.uniform(0.04, 0.15, len(price))
    unit = np.round(docs.l_unit[price] * factor).astype(np.int64)
    docs.l_plant[price], docs.l_delta[price] = PRICE, unit - docs.l_unit[price]
    docs.l_unit[price] = unit
    deeper = rng.choice([500, 1000, 1500], size=len(disc))
    docs.l_plant[disc], docs.l_delta[disc] = DISCOUNT, deeper
    docs.l_disc[disc] = docs.l_disc[disc] + deeper


def contract_invoices(rng: np.random.Generator, company: Company, sales: Sales) -> Docs:
    """Monthly-in-advance fee invoices while each contract runs; some add support hours."""
    k, p = expand(sales.k_term)  # whole months only: no stub period at a renewal
    day = sales.k_start[k] + np.round(p * 30.44).astype(np.int64)
    keep = (day >= D0) & (day <= D1) & (day < sales.k_end[k])
    k, day = k[keep], day[keep]
    n = len(k)
    extra = rng.random(n) < 0.15
    l_doc = np.r_[np.arange(n), np.flatnonzero(extra)]
    order = np.argsort(l_doc, kind="stable")
    sup = PRODUCT_INDEX["SUP-HR"]
    cur = company.cust_currency[sales.k_cust[k]]
    fee_line = np.r_[np.ones(n, np.bool_), np.zeros(int(extra.sum()), np.bool_)][order]
    l_doc = l_doc[order]
    return Docs(
        kind=np.full(n, CONTRACT),
        cust=sales.k_cust[k],
        day=i64(day),
        wo=np.full(n, -1),
        contract=i64(k),
        credit_of=np.full(n, -1),
        copy_of=np.full(n, -1),
        ref_form=i64(rng.choice(4, size=n, p=[0.4, 0.2, 0.15, 0.25])),
        l_doc=i64(l_doc),
        l_prod=np.where(fee_line, sales.k_prod[k][l_doc], sup),
        l_ql=np.full(len(l_doc), -1),
        l_wl=np.full(len(l_doc), -1),
        l_q4=np.where(fee_line, 4, 4 * rng.integers(2, 16, len(l_doc))),
        l_unit=np.where(fee_line, sales.k_fee[k][l_doc], LIST_PRICE[sup, cur[l_doc]]),
        l_disc=np.zeros(len(l_doc), dtype=np.int64),
        l_text=np.where(fee_line, -1, EXTRA_SUPPORT),
        l_plant=np.zeros(len(l_doc), dtype=np.int64),
        l_delta=np.zeros(len(l_doc), dtype=np.int64),
    )


def adhoc(rng: np.random.Generator, company: Company, sales: Sales, dl: Delivery) -> Docs:
    """Invoices with no work order: advisory fees to customers without a contract (planted
    `invoice_without_work`) and extra support hours under a running contract (legitimate).
    An advisory fee never falls within 90 days of a work order of its customer's that bills
    the same product: it could as well be a stage payment of that one."""
    n_jobs = int(dl.wo_job.max()) + 1 if len(dl.wo_job) else 0
    active = np.flatnonzero(company.cust_active)
    m = 4 * max(4, round(0.015 * n_jobs))
    cust = active[rng.integers(0, len(active), m)]
    day = rng.integers(D0 + 30, D1 - 4, m)
    advice = np.unique(dl.wl_wo[dl.wl_prod == PRODUCT_INDEX["CONS-HR"]])
    near = np.zeros(m, dtype=np.bool_)
    for i in range(m):
        mine = advice[dl.wo_cust[advice] == cust[i]]
        lo, hi = dl.wo_start[mine] - 90, dl.wo_end[mine] + 90
        near[i] = bool(np.any((lo <= day[i]) & (day[i] <= hi)))
    bare = np.flatnonzero(~covered(sales, cust, day) & ~near)[: max(3, round(0.015 * n_jobs))]
    if len(sales.k_cust):
        kc = rng.integers(0, len(sales.k_cust), m)
        lo = np.maximum(sales.k_start[kc], D0 + 30)
        hi = np.minimum(sales.k_end[kc] - 1, D1 - 4)
        ok = np.flatnonzero(hi >= lo)[: max(2, round(0.01 * n_jobs))]
        c_cust, c_day = sales.k_cust[kc[ok]], uniform_int(rng, lo[ok], hi[ok])
    else:
        c_cust = c_day = np.zeros(0, dtype=np.int64)
    nb, nc = len(bare), len(c_cust)
    n = nb + nc
    cust_all = np.r_[cust[bare], c_cust]
    advisory = np.arange(n) < nb
    cur = company.cust_currency[cust_all]
    prod = np.where(advisory, PRODUCT_INDEX["CONS-HR"], PRODUCT_INDEX["SUP-HR"])
    return Docs(
        kind=np.where(advisory, ADHOC, ADHOC_COVERED),
        cust=i64(cust_all),
        day=np.r_[day[bare], c_day],
        wo=np.full(n, -1),
        contract=np.full(n, -1),
        credit_of=np.full(n, -1),
        copy_of=np.full(n, -1),
        ref_form=i64(rng.integers(0, 2, n)),
        l_doc=np.arange(n, dtype=np.int64),
        l_prod=i64(prod),
        l_ql=np.full(n, -1),
        l_wl=np.full(n, -1),
        l_q4=4 * rng.integers(3, 25, n),
        l_unit=LIST_PRICE[prod, cur],
        l_disc=np.zeros(n, dtype=np.int64),
        l_text=np.where(advisory, ADVISORY, EXTRA_SUPPORT),
        l_plant=np.zeros(n, dtype=np.int64),
        l_delta=np.zeros(n, dtype=np.int64),
    )


def credits(
    rng: np.random.Generator, docs: Docs, partial: IntArray, full: IntArray, full_day: IntArray
) -> Docs:
    """Credit notes: part of one line of each `partial` invoice, all of each `full` one."""
    lines = np.flatnonzero(np.isin(docs.l_doc, partial))
    lines = lines[rng.permutation(len(lines))]
    _, first = np.unique(docs.l_doc[lines], return_index=True)
    one = lines[first]  # one random line per partially credited invoice
    q4 = i64(np.maximum(1, np.round(docs.l_q4[one] * rng.uniform(0.1, 0.3, len(one)))))
    whole = np.flatnonzero(np.isin(docs.l_doc, full))
    src = np.r_[docs.l_doc[one], docs.l_doc[whole]]
    credited = np.r_[np.unique(docs.l_doc[one]), full]
    pos = np.full(len(docs.kind), -1)
    pos[credited] = np.arange(len(credited))
    days = np.r_[
        np.minimum(docs.day[np.unique(docs.l_doc[one])] + rng.integers(3, 41, len(one)), D1),
        full_day,
    ]
    n = len(credited)
    lines_all = np.r_[one, whole]
    return Docs(
        kind=np.full(n, CREDIT),
        cust=docs.cust[credited],
        day=i64(days),
        wo=docs.wo[credited],
        contract=docs.contract[credited],
        credit_of=i64(credited),
        copy_of=np.full(n, -1),
        ref_form=i64(rng.random(n) < 0.4),  # 0: reference names the invoice, 1: description does
        l_doc=i64(pos[src]),
        l_prod=docs.l_prod[lines_all],
        l_ql=docs.l_ql[lines_all],
        l_wl=docs.l_wl[lines_all],
        l_q4=np.r_[q4, docs.l_q4[whole]],
        l_unit=docs.l_unit[lines_all],
        l_disc=docs.l_disc[lines_all],
        l_text=docs.l_text[lines_all],
        l_plant=np.zeros(len(lines_all), dtype=np.int64),
        l_delta=np.zeros(len(lines_all), dtype=np.int64),
    )
