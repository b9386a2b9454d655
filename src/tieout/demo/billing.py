"""Finance: sales invoices and credit notes as Xero holds them, one row per line.

Work orders are billed in one to four instalments (quantities split pro rata), contracts
monthly in advance. On top sit the documents that make reconciliation hard: voided and
re-issued invoices, duplicates, partial credit notes, invoices with no work behind them,
and planted price and discount changes against the quote.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Final

import numpy as np
import pyarrow as pa

from tieout.demo.catalogue import PRODUCT_INDEX, PRODUCTS
from tieout.demo.company import D0, D1, Company
from tieout.demo.delivery import CANCELED, NEW, Delivery
from tieout.demo.fmt import BoolArray, IntArray, dates, i64, ints, join, padded, pick, where
from tieout.demo.sales import LIST_PRICE, Sales, covered
from tieout.demo.vec import expand, line_amount, round_div, uniform_int

JOB, VOIDED, DUPLICATE, DUPLICATE_CREDITED, CONTRACT, ADHOC, ADHOC_COVERED, CREDIT = range(8)
STATUSES: Final = ("Paid", "Awaiting Payment", "Draft", "Voided")
PAID, AWAITING, DRAFT, VOID = range(4)
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
_NO_WO_IN_REF: Final = i64([3, 4, 5, 6])


@dataclass
class Billing:
    """Invoices in file order (index = position in the export); lines grouped by invoice."""

    inv_kind: IntArray
    inv_cust: IntArray
    inv_cur: IntArray
    inv_day: IntArray
    inv_due: IntArray
    inv_wo: IntArray  # work order billed (credit notes: of the invoice credited), else -1
    inv_contract: IntArray  # -1 when not a contract invoice
    inv_credit_of: IntArray  # credit notes: the invoice credited, else -1
    inv_status: IntArray
    inv_total: IntArray  # minor units, positive for credit notes too
    inv_tax: IntArray
    inv_paid: IntArray
    inv_number: pa.Array  # INV-0001 / CN-0001
    inv_ref: pa.Array
    il_inv: IntArray
    il_ord: IntArray  # 1-based line number within its document
    il_prod: IntArray
    il_ql: IntArray  # quote line billed, -1 when none
    il_wl: IntArray  # work order line billed, -1 when none
    il_q4: IntArray
    il_unit: IntArray
    il_disc: IntArray
    il_amount: IntArray
    il_tax: IntArray
    il_desc: pa.Array
    wo_last_invoice: IntArray  # day of the last live invoice per work order, -1 when none


@dataclass
class _Docs:
    """Documents under construction (any order), with their lines."""

    kind: IntArray
    cust: IntArray
    day: IntArray
    wo: IntArray
    contract: IntArray
    credit_of: IntArray
    ref_form: IntArray
    l_doc: IntArray
    l_prod: IntArray
    l_ql: IntArray
    l_wl: IntArray
    l_q4: IntArray
    l_unit: IntArray
    l_disc: IntArray
    l_text: IntArray  # -1: product - project; else index into _TEXTS

    def add(self, other: _Docs) -> _Docs:
        base = len(self.kind)
        moved = {"l_doc": other.l_doc + base, "credit_of": other.credit_of}
        return _Docs(
            **{
                f.name: np.r_[getattr(self, f.name), moved.get(f.name, getattr(other, f.name))]
                for f in fields(self)
            }
        )


_TEXTS: Final = ("Advisory services", "Additional support hours")
_ADVISORY, _EXTRA_SUPPORT = 0, 1


def _copy(docs: _Docs, src: IntArray, kind: int, day: IntArray) -> _Docs:
    """New documents repeating the lines of docs `src` (for voids and duplicates)."""
    pos = np.full(len(docs.kind), -1)
    pos[src] = np.arange(len(src))
    take = np.flatnonzero(pos[docs.l_doc] >= 0)
    n = len(src)
    return _Docs(
        kind=np.full(n, kind),
        cust=docs.cust[src],
        day=i64(day),
        wo=docs.wo[src],
        contract=docs.contract[src],
        credit_of=np.full(n, -1),
        ref_form=docs.ref_form[src],
        l_doc=pos[docs.l_doc[take]],
        l_prod=docs.l_prod[take],
        l_ql=docs.l_ql[take],
        l_wl=docs.l_wl[take],
        l_q4=docs.l_q4[take],
        l_unit=docs.l_unit[take],
        l_disc=docs.l_disc[take],
        l_text=docs.l_text[take],
    )


def _job_invoices(rng: np.random.Generator, dl: Delivery) -> _Docs:
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
    return _Docs(
        kind=np.full(n, JOB),
        cust=dl.wo_cust[wo[live]],
        day=i64(day[live]),
        wo=i64(wo[live]),
        contract=np.full(n, -1),
        credit_of=np.full(n, -1),
        ref_form=i64(forms),
        l_doc=i64(remap[doc[ln]]),
        l_prod=dl.wl_prod[wl[ln]],
        l_ql=dl.wl_ql[wl[ln]],
        l_wl=i64(wl[ln]),
        l_q4=i64(share[ln]),
        l_unit=dl.wl_unit[wl[ln]],
        l_disc=dl.wl_disc[wl[ln]],
        l_text=np.full(len(ln), -1),
    )


def _plant_pricing(rng: np.random.Generator, docs: _Docs, dl: Delivery, avoid: BoolArray) -> None:
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
    docs.l_unit[price] = np.round(docs.l_unit[price] * factor).astype(np.int64)
    docs.l_disc[disc] = docs.l_disc[disc] + rng.choice([500, 1000, 1500], size=len(disc))


def _contract_invoices(rng: np.random.Generator, company: Company, sales: Sales) -> _Docs:
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
    return _Docs(
        kind=np.full(n, CONTRACT),
        cust=sales.k_cust[k],
        day=i64(day),
        wo=np.full(n, -1),
        contract=i64(k),
        credit_of=np.full(n, -1),
        ref_form=i64(rng.choice(4, size=n, p=[0.4, 0.2, 0.15, 0.25])),
        l_doc=i64(l_doc),
        l_prod=np.where(fee_line, sales.k_prod[k][l_doc], sup),
        l_ql=np.full(len(l_doc), -1),
        l_wl=np.full(len(l_doc), -1),
        l_q4=np.where(fee_line, 4, 4 * rng.integers(2, 16, len(l_doc))),
        l_unit=np.where(fee_line, sales.k_fee[k][l_doc], LIST_PRICE[sup, cur[l_doc]]),
        l_disc=np.zeros(len(l_doc), dtype=np.int64),
        l_text=np.where(fee_line, -1, _EXTRA_SUPPORT),
    )


def _adhoc(rng: np.random.Generator, company: Company, sales: Sales, n_jobs: int) -> _Docs:
    """Invoices with no work order: advisory fees to customers without a contract (planted
    `invoice_without_work`) and extra support hours under a running contract (legitimate)."""
    active = np.flatnonzero(company.cust_active)
    m = 4 * max(4, round(0.015 * n_jobs))
    cust = active[rng.integers(0, len(active), m)]
    day = rng.integers(D0 + 30, D1 - 4, m)
    cover = covered(sales, cust, day)
    bare = np.flatnonzero(~cover)[: max(3, round(0.015 * n_jobs))]
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
    return _Docs(
        kind=np.where(advisory, ADHOC, ADHOC_COVERED),
        cust=i64(cust_all),
        day=np.r_[day[bare], c_day],
        wo=np.full(n, -1),
        contract=np.full(n, -1),
        credit_of=np.full(n, -1),
        ref_form=i64(rng.integers(0, 2, n)),
        l_doc=np.arange(n, dtype=np.int64),
        l_prod=i64(prod),
        l_ql=np.full(n, -1),
        l_wl=np.full(n, -1),
        l_q4=4 * rng.integers(3, 25, n),
        l_unit=LIST_PRICE[prod, cur],
        l_disc=np.zeros(n, dtype=np.int64),
        l_text=np.where(advisory, _ADVISORY, _EXTRA_SUPPORT),
    )


def _credits(
    rng: np.random.Generator, docs: _Docs, partial: IntArray, full: IntArray, full_day: IntArray
) -> _Docs:
    """Credit notes: part of one line of each `partial` invoice, all of each `full` one."""
    lines = np.flatnonzero(np.isin(docs.l_doc, partial))
    lines = lines[rng.permutation(len(lines))]
    _, first = np.unique(docs.l_doc[lines], return_index=True)
    one = lines[first]  # one random line per partially credited invoice
    q4 = i64(np.maximum(1, np.round(docs.l_q4[one] * rng.uniform(0.2, 0.6, len(one)))))
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
    return _Docs(
        kind=np.full(n, CREDIT),
        cust=docs.cust[credited],
        day=i64(days),
        wo=docs.wo[credited],
        contract=docs.contract[credited],
        credit_of=i64(credited),
        ref_form=i64(rng.random(n) < 0.4),  # 0: reference names the invoice, 1: description does
        l_doc=i64(pos[src]),
        l_prod=docs.l_prod[lines_all],
        l_ql=docs.l_ql[lines_all],
        l_wl=docs.l_wl[lines_all],
        l_q4=np.r_[q4, docs.l_q4[whole]],
        l_unit=docs.l_unit[lines_all],
        l_disc=docs.l_disc[lines_all],
        l_text=docs.l_text[lines_all],
    )


def build_billing(
    rng: np.random.Generator, company: Company, sales: Sales, dl: Delivery
) -> Billing:
    n_jobs = sales.n_jobs
    docs = _job_invoices(rng, dl)
    avoid = sales.job_margin.copy()
    avoid[dl.wo_job[dl.wo_unbilled]] = True
    _plant_pricing(rng, docs, dl, avoid)
    planted_job = np.zeros(n_jobs, dtype=np.bool_)
    modified = (docs.l_unit != dl.wl_unit[docs.l_wl]) | (docs.l_disc != dl.wl_disc[docs.l_wl])
    planted_job[dl.wo_job[docs.wo[docs.l_doc[modified]]]] = True

    # pick sources for duplicates, voids and credits from disjoint sets of job invoices
    n = len(docs.kind)
    pool = np.flatnonzero(~planted_job[dl.wo_job[docs.wo]] & (docs.day <= D1 - 7))
    pool = pool[rng.permutation(len(pool))]
    n_dup = round(0.015 * n_jobs)
    n_dup_credited = max(1, round(0.003 * n_jobs))
    n_void = round(0.007 * n)
    n_credit = round(0.03 * n)
    cuts = np.cumsum([n_dup, n_dup_credited, n_void, n_credit])
    dup, dup_credited, void, credit = np.split(pool[: cuts[-1]], cuts[:-1])
    dup_day = np.minimum(docs.day[dup] + rng.integers(1, 7, len(dup)), D1)
    dupc_day = np.minimum(docs.day[dup_credited] + rng.integers(1, 7, len(dup_credited)), D1)
    void_day = np.maximum(docs.day[void] - rng.integers(0, 4, len(void)), D0)
    voided = _copy(docs, void, VOIDED, void_day)
    first_line = np.r_[True, voided.l_doc[1:] != voided.l_doc[:-1]] if len(voided.l_doc) else []
    voided.l_q4[np.asarray(first_line, dtype=np.bool_)] += 4  # the mistake that got it voided
    docs = docs.add(voided)
    docs = docs.add(_copy(docs, dup, DUPLICATE, dup_day))
    start_dc = len(docs.kind)
    docs = docs.add(_copy(docs, dup_credited, DUPLICATE_CREDITED, dupc_day))
    docs = docs.add(_contract_invoices(rng, company, sales))
    docs = docs.add(_adhoc(rng, company, sales, n_jobs))
    dc = np.arange(start_dc, start_dc + len(dup_credited))
    dc_day = np.minimum(docs.day[dc] + rng.integers(2, 11, len(dc)), D1)
    docs = docs.add(_credits(rng, docs, credit, dc, dc_day))
    return _finish(rng, company, sales, dl, docs)


def _finish(
    rng: np.random.Generator, company: Company, sales: Sales, dl: Delivery, docs: _Docs
) -> Billing:
    """Number the documents, order them as Xero exports them, work out money and status."""
    is_credit = docs.kind == CREDIT
    n = len(docs.kind)
    # Xero numbers documents in creation order, invoices and credit notes separately
    seq = np.empty(n, dtype=np.int64)
    for mask in (~is_credit, is_credit):
        idx = np.flatnonzero(mask)
        seq[idx[np.lexsort((idx, docs.day[idx]))]] = np.arange(1, len(idx) + 1)
    order = np.lexsort((seq, is_credit, docs.day))
    new_pos = np.empty(n, dtype=np.int64)
    new_pos[order] = np.arange(n)
    d = {f.name: getattr(docs, f.name) for f in fields(docs)}
    for key in ("kind", "cust", "day", "wo", "contract", "credit_of", "ref_form"):
        d[key] = d[key][order]
    seq = seq[order]
    d["credit_of"] = np.where(d["credit_of"] >= 0, new_pos[np.maximum(d["credit_of"], 0)], -1)
    l_doc = new_pos[d["l_doc"]]
    l_order = np.argsort(l_doc, kind="stable")
    for key in ("l_prod", "l_ql", "l_wl", "l_q4", "l_unit", "l_disc", "l_text"):
        d[key] = d[key][l_order]
    l_doc = l_doc[l_order]
    kind, cust, day = d["kind"], d["cust"], d["day"]
    cur = company.cust_currency[cust]
    is_credit = kind == CREDIT
    per_doc = np.bincount(l_doc, minlength=n)
    l_ord = np.arange(len(l_doc)) - (np.cumsum(per_doc) - per_doc)[l_doc] + 1

    amount = line_amount(d["l_q4"], d["l_unit"], d["l_disc"])
    tax = np.where(cur[l_doc] == 0, round_div(amount * 20, 100), 0)
    net = np.bincount(l_doc, weights=amount, minlength=n).astype(np.int64)
    tax_total = np.bincount(l_doc, weights=tax, minlength=n).astype(np.int64)
    total = net + tax_total

    tier_strategic = np.array([c.tier == "Strategic" for c in company.customers])
    due = day + np.where(tier_strategic[cust], 45, 30)
    u = rng.random(n)
    status = np.where((due < D1) & (u < np.where(day < D1 - 90, 0.99, 0.9)), PAID, AWAITING)
    status = np.where((kind == JOB) & (day > D1 - 5) & (u < 0.3), DRAFT, status)
    status = np.where(kind == DUPLICATE, np.where(u < 0.3, PAID, AWAITING), status)
    status = np.where(is_credit, np.where(u < 0.85, PAID, AWAITING), status)
    status = np.where(kind == VOIDED, VOID, status)
    partial = (status == AWAITING) & ~is_credit & (rng.random(n) < 0.04)
    paid = np.where(status == PAID, total, np.where(partial, round_div(total, 2), 0))

    number = where(seq < 10000, padded(seq % 10000, 4), ints(seq))
    number = join(where(is_credit, "CN-", "INV-"), number)
    ref = _references(rng, sales, dl, d, number)
    desc = _descriptions(dl, d, l_doc, number)

    live = (kind == JOB) | (kind == DUPLICATE) | (kind == DUPLICATE_CREDITED)
    last = np.full(len(dl.wo_job), -1)
    np.maximum.at(last, d["wo"][live], day[live])
    return Billing(
        inv_kind=i64(kind),
        inv_cust=i64(cust),
        inv_cur=i64(cur),
        inv_day=i64(day),
        inv_due=i64(due),
        inv_wo=i64(d["wo"]),
        inv_contract=i64(d["contract"]),
        inv_credit_of=i64(d["credit_of"]),
        inv_status=i64(status),
        inv_total=total,
        inv_tax=tax_total,
        inv_paid=i64(paid),
        inv_number=number,
        inv_ref=ref,
        il_inv=i64(l_doc),
        il_ord=i64(l_ord),
        il_prod=i64(d["l_prod"]),
        il_ql=i64(d["l_ql"]),
        il_wl=i64(d["l_wl"]),
        il_q4=i64(d["l_q4"]),
        il_unit=i64(d["l_unit"]),
        il_disc=i64(d["l_disc"]),
        il_amount=amount,
        il_tax=i64(tax),
        il_desc=desc,
        wo_last_invoice=i64(last),
    )


def _references(
    rng: np.random.Generator, sales: Sales, dl: Delivery, d: dict[str, IntArray], number: pa.Array
) -> pa.Array:
    """The Reference field: how each clerk wrote it, or nothing at all."""
    kind, form, day = d["kind"], d["ref_form"], d["day"]
    n = len(kind)
    w = np.maximum(d["wo"], 0)
    job = dl.wo_job[w]
    wo_num = dl.wo_number[w]
    po = ints(sales.job_po[job])
    options = [
        join("WO-", padded(wo_num, 8)),
        join("wo ", ints(wo_num)),
        join("Job #", ints(wo_num), " / PO ", po),
        join("PO ", po),
        join("Q-", padded(sales.q_number[job], 8)),
        padded(sales.q_number[job], 8),
    ]
    ref = pick([""], np.zeros(n, dtype=np.int64))
    for f, text in enumerate(options):
        ref = where(form == f, text, ref)
    ref = where(form == len(options), None, ref)
    k = np.maximum(d["contract"], 0)
    po_any = join("PO ", ints(rng.integers(1000, 10000, n)))
    contract_ref = where(form == 2, po_any, None)
    contract_ref = where(form == 1, dates(day, "MS-%Y-%m"), contract_ref)
    contract_ref = where(form == 0, join("Contract ", padded(sales.k_number[k], 8)), contract_ref)
    adhoc_ref = where(form == 0, po_any, None)
    credit_ref = where(form == 0, number.take(pa.array(np.maximum(d["credit_of"], 0))), None)
    ref = where(kind == CONTRACT, contract_ref, ref)
    ref = where((kind == ADHOC) | (kind == ADHOC_COVERED), adhoc_ref, ref)
    return where(kind == CREDIT, credit_ref, ref)


def _descriptions(
    dl: Delivery, d: dict[str, IntArray], l_doc: IntArray, number: pa.Array
) -> pa.Array:
    """Line text: product and project, contract period, or a credit against an invoice."""
    kind, form, credit_of = d["kind"], d["ref_form"], d["credit_of"]
    prod_names = [p.name for p in PRODUCTS]
    prod = d["l_prod"]
    wl = np.maximum(d["l_wl"], 0)
    wo = dl.wl_wo[wl]
    base = join(pick(prod_names, prod), " - ", dl.wo_title.take(pa.array(wo)))
    day = d["day"][l_doc]
    month = dates(day, "%b %Y")
    period = join(pick(prod_names, prod), " - ", month)
    texts = join(pick(_TEXTS, np.maximum(d["l_text"], 0)), " - ", month)
    text = where(d["l_wl"] >= 0, base, where(d["l_text"] >= 0, texts, period))
    # where the reference does not name the work order, the line text sometimes does
    inv_wo = np.maximum(d["wo"][l_doc], 0)
    wo_in_text = (d["l_wl"] >= 0) & np.isin(form[l_doc], _NO_WO_IN_REF) & (l_doc % 2 == 0)
    text = where(wo_in_text, join("WO-", padded(dl.wo_number[inv_wo], 8), ": ", text), text)
    credit = kind[l_doc] == CREDIT
    src = number.take(pa.array(np.maximum(credit_of[l_doc], 0)))
    against = join("Credit against ", src, ": ", text)
    credit_text = where(form[l_doc] == 1, against, join("Credit: ", text))
    return where(credit, credit_text, text)
