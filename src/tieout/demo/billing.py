"""Finance: sales invoices and credit notes as Xero holds them, one row per line.

Work orders are billed in one to four instalments (quantities split pro rata), contracts
monthly in advance. On top sit the documents that make reconciliation hard: voided and
re-issued invoices, duplicates, partial credit notes, invoices with no work behind them,
and planted price and discount changes against the quote (built in `invoice_docs`); here
they are numbered, ordered, priced, given a status and written as a clerk writes them.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Final

import numpy as np
import pyarrow as pa

from tieout.demo.catalogue import PRODUCTS
from tieout.demo.company import D0, D1, Company
from tieout.demo.delivery import Delivery
from tieout.demo.fmt import IntArray, dates, i64, ints, join, padded, pick, where
from tieout.demo.invoice_apart import APART, keep_apart, lonely
from tieout.demo.invoice_docs import (
    ADHOC,
    ADHOC_COVERED,
    CLEAN,
    CONTRACT,
    CREDIT,
    DUPLICATE,
    DUPLICATE_CREDITED,
    JOB,
    NO_WO_IN_REF,
    TEXTS,
    VOIDED,
    Docs,
    adhoc,
    contract_invoices,
    copy_docs,
    credits,
    job_invoices,
    plant_pricing,
)
from tieout.demo.sales import Sales
from tieout.demo.vec import line_amount, round_div

STATUSES: Final = ("Paid", "Awaiting Payment", "Draft", "Voided")
PAID, AWAITING, DRAFT, VOID = range(4)


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
    inv_copy_of: IntArray  # voids and duplicates: the invoice repeated, else -1
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
    il_plant: IntArray  # CLEAN, or what was planted on the line: PRICE or DISCOUNT
    il_delta: IntArray  # the planted change: unit price (whole units) or discount (bp)
    wo_last_invoice: IntArray  # day of the last live invoice per work order, -1 when none


def build_billing(
    rng: np.random.Generator, company: Company, sales: Sales, dl: Delivery
) -> Billing:
    n_jobs = sales.n_jobs
    docs = job_invoices(rng, dl)
    # price cuts and credits lower what a job bills: never where the margin has no room
    avoid = sales.job_margin | dl.job_drift | dl.job_tight
    avoid[dl.wo_job[dl.wo_unbilled]] = True
    plant_pricing(rng, docs, dl, avoid)
    planted_job = avoid.copy()
    planted_job[dl.wo_job[docs.wo[docs.l_doc[docs.l_plant != CLEAN]]]] = True

    n = len(docs.kind)
    docs = docs.add(contract_invoices(rng, company, sales))
    docs = docs.add(adhoc(rng, company, sales, dl))
    cur = company.cust_currency[docs.cust]
    keep_apart(docs, cur)

    # sources for duplicates, voids and credits: disjoint sets of clean job invoices, each
    # with no invoice for the same total within a fortnight (so a copy pairs with it alone)
    clean = ~planted_job[dl.wo_job[docs.wo[:n]]] & (docs.day[:n] <= D1 - 7)
    pool = np.flatnonzero(clean & lonely(docs, cur, 2 * APART)[:n])
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
    voided = copy_docs(docs, void, VOIDED, void_day)
    first_line = np.r_[True, voided.l_doc[1:] != voided.l_doc[:-1]] if len(voided.l_doc) else []
    voided.l_q4[np.asarray(first_line, dtype=np.bool_)] += 4  # the mistake that got it voided
    docs = docs.add(voided)
    docs = docs.add(copy_docs(docs, dup, DUPLICATE, dup_day))
    start_dc = len(docs.kind)
    docs = docs.add(copy_docs(docs, dup_credited, DUPLICATE_CREDITED, dupc_day))
    dc = np.arange(start_dc, start_dc + len(dup_credited))
    dc_day = np.minimum(docs.day[dc] + rng.integers(2, 11, len(dc)), D1)
    docs = docs.add(credits(rng, docs, credit, dc, dc_day))
    return _finish(rng, company, sales, dl, docs)


def _finish(
    rng: np.random.Generator, company: Company, sales: Sales, dl: Delivery, docs: Docs
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
    for key in ("kind", "cust", "day", "wo", "contract", "credit_of", "copy_of", "ref_form"):
        d[key] = d[key][order]
    seq = seq[order]
    for key in ("credit_of", "copy_of"):
        d[key] = np.where(d[key] >= 0, new_pos[np.maximum(d[key], 0)], -1)
    l_doc = new_pos[d["l_doc"]]
    l_order = np.argsort(l_doc, kind="stable")
    lines = ("l_prod", "l_ql", "l_wl", "l_q4", "l_unit", "l_disc", "l_text", "l_plant", "l_delta")
    for key in lines:
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
        inv_copy_of=i64(d["copy_of"]),
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
        il_plant=i64(d["l_plant"]),
        il_delta=i64(d["l_delta"]),
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
    texts = join(pick(TEXTS, np.maximum(d["l_text"], 0)), " - ", month)
    text = where(d["l_wl"] >= 0, base, where(d["l_text"] >= 0, texts, period))
    # where the reference does not name the work order, the line text sometimes does
    inv_wo = np.maximum(d["wo"][l_doc], 0)
    wo_in_text = (d["l_wl"] >= 0) & np.isin(form[l_doc], NO_WO_IN_REF) & (l_doc % 2 == 0)
    text = where(wo_in_text, join("WO-", padded(dl.wo_number[inv_wo], 8), ": ", text), text)
    credit = kind[l_doc] == CREDIT
    src = number.take(pa.array(np.maximum(credit_of[l_doc], 0)))
    against = join("Credit against ", src, ": ", text)
    credit_text = where(form[l_doc] == 1, against, join("Credit: ", text))
    return where(credit, credit_text, text)
