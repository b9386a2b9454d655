"""Managed-service and retainer contracts of the demo company, and whether a day falls
inside one of a customer's contracts."""

from __future__ import annotations

import calendar
from datetime import date
from typing import TYPE_CHECKING

import numpy as np

from tieout.demo.catalogue import LIST_PRICE, PRODUCT_INDEX
from tieout.demo.company import D0, D1, Company
from tieout.demo.fmt import BoolArray, IntArray, day_number, i64, to_date

if TYPE_CHECKING:
    from tieout.demo.sales import Sales


def add_months(day: int, months: int) -> int:
    """Day number `months` calendar months later (clamped to the month's end)."""
    d = to_date(day)
    y, m = divmod(d.year * 12 + d.month - 1 + months, 12)
    return day_number(date(y, m + 1, min(d.day, calendar.monthrange(y, m + 1)[1])))


def build_contracts(rng: np.random.Generator, company: Company) -> dict[str, IntArray]:
    """Managed-service and retainer contracts; most lapsed ones were renewed."""
    tier_product = {
        "Strategic": PRODUCT_INDEX["MS-GLD"],
        "Key": PRODUCT_INDEX["MS-SLV"],
        "Standard": PRODUCT_INDEX["MS-BRZ"],
    }
    rows: list[tuple[int, int, int, int, int]] = []  # customer, product, start, end, term
    for c in company.customers:
        if not (c.managed or c.retainer):
            continue
        prod = PRODUCT_INDEX["RET-SUP"] if c.retainer else tier_product[c.tier]
        term = int(rng.choice([12, 24, 36]))
        start = int(rng.integers(max(D0 - term * 30 + 60, c.created_day), D1 - 60))
        end = add_months(start, term)
        rows.append((c.index, prod, start, end, term))
        if end <= D1 and rng.random() < 0.8:
            term2 = int(rng.choice([12, 24]))
            rows.append((c.index, prod, end, add_months(end, term2), term2))
    arr = i64(rows).reshape(-1, 5)
    k_cust, k_prod, k_start, k_end, k_term = (arr[:, i] for i in range(5))
    fee = LIST_PRICE[k_prod, company.cust_currency[k_cust]]
    created = k_start - rng.integers(5, 31, len(k_start))
    return {
        "k_cust": k_cust,
        "k_prod": k_prod,
        "k_start": k_start,
        "k_end": k_end,
        "k_term": k_term,
        "k_active": i64((k_start <= D1) & (k_end > D1)),
        "k_number": 101 + np.argsort(np.argsort(created, kind="stable")),
        "k_fee": i64(fee),
        "k_created": i64(created),
    }


def covered(sales: Sales, cust: IntArray, day: IntArray) -> BoolArray:
    """Whether each (customer, day) falls inside one of that customer's contracts."""
    out = np.zeros(len(cust), dtype=np.bool_)
    n_cust = int(max(i64(cust).max(initial=-1), sales.k_cust.max(initial=-1))) + 1
    order = np.argsort(sales.k_cust, kind="stable")
    count = np.bincount(sales.k_cust, minlength=n_cust)
    first = np.cumsum(count) - count
    for j in range(int(count.max(initial=0))):
        has = count[cust] > j
        k = order[np.minimum(first[cust] + j, len(order) - 1)]
        out |= has & (day >= sales.k_start[k]) & (day < sales.k_end[k])
    return out
