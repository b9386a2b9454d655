"""Only a planted duplicate looks like one: a customer's ordinary invoices for the same total
are kept more than a week apart by construction, before any copy is made."""

from __future__ import annotations

import numpy as np

from tieout.demo.company import D1
from tieout.demo.fmt import BoolArray, IntArray, i64
from tieout.demo.invoice_docs import ADHOC, ADHOC_COVERED, JOB, Docs
from tieout.demo.vec import line_amount, round_div

APART = 8  # days between a customer's invoices of one total: more than the rule's week


def totals(docs: Docs, cur: IntArray) -> IntArray:
    """Each document's Total (minor units, tax included), as Xero will show it."""
    amount = line_amount(docs.l_q4, docs.l_unit, docs.l_disc)
    amount += np.where(cur[docs.l_doc] == 0, round_div(amount * 20, 100), 0)
    return i64(np.bincount(docs.l_doc, weights=amount, minlength=len(docs.kind)))


def keep_apart(docs: Docs, cur: IntArray) -> None:
    """Resolve every clash (same customer and total within a week): a job invoice moves on to
    a week after the other one (or, past the as-of date, back before it, and stays going
    back); an ad-hoc invoice bills one more hour. Contract invoices are a month apart.

    Clashes are resolved first by customer, then by total, day and position; a change
    touches one customer's documents only, so each customer with a clash is resolved on its
    own documents (sorting them, not every document, for each clash: that was quadratic)."""
    back: set[int] = set()
    total = totals(docs, cur)
    order, same = _sorted(docs, cur)
    hit = same & (np.diff(docs.day[order]) <= 7)
    by_cust = np.argsort(docs.cust, kind="stable")
    bounds = np.searchsorted(docs.cust[by_cust], np.unique(docs.cust[order[1:][hit]]))
    for start in bounds:
        c = docs.cust[by_cust[start]]
        mine = by_cust[start : np.searchsorted(docs.cust[by_cust], c, side="right")]
        while (pair := _clash_among(docs, total, mine)) is not None:
            i, j = pair
            k = j if docs.kind[j] == JOB else i
            if docs.kind[k] == JOB:
                other = i + j - k
                ahead = int(docs.day[other]) + APART
                if k in back or ahead > D1:
                    back.add(k)
                    ahead = int(docs.day[other]) - APART
                docs.day[k] = ahead
            else:
                k = j if docs.kind[j] in (ADHOC, ADHOC_COVERED) else i
                assert docs.kind[k] in (ADHOC, ADHOC_COVERED), "contract invoices a week apart"
                lines = docs.l_doc == k
                docs.l_q4[lines] += 4
                amount = line_amount(docs.l_q4[lines], docs.l_unit[lines], docs.l_disc[lines])
                amount += round_div(amount * 20, 100) if cur[k] == 0 else 0
                total[k] = int(amount.sum())


def lonely(docs: Docs, cur: IntArray, days: int) -> BoolArray:
    """Documents with no other of the same customer and total within `days` of them: a copy
    made of one, a few days later, then looks like a duplicate of that one alone."""
    order, same = _sorted(docs, cur)
    near = same & (np.diff(docs.day[order]) <= days)
    out = np.ones(len(order), dtype=np.bool_)
    out[order[:-1][near]] = False
    out[order[1:][near]] = False
    return out


def _sorted(docs: Docs, cur: IntArray) -> tuple[IntArray, BoolArray]:
    """Documents by customer, total and day; whether each neighbour pair shares the first two."""
    total = totals(docs, cur)
    order = np.lexsort((np.arange(len(docs.kind)), docs.day, total, docs.cust))
    c, t = docs.cust[order], total[order]
    return i64(order), (c[1:] == c[:-1]) & (t[1:] == t[:-1])


def _clash_among(docs: Docs, total: IntArray, mine: IntArray) -> tuple[int, int] | None:
    """The first clash among one customer's documents (`mine`, in position order)."""
    at = mine[np.lexsort((mine, docs.day[mine], total[mine]))]
    same = total[at][1:] == total[at][:-1]
    hit = np.flatnonzero(same & (np.diff(docs.day[at]) <= 7))
    if not len(hit):
        return None
    return int(at[hit[0]]), int(at[hit[0] + 1])
