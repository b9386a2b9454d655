"""Who delivers each work order, chosen so that a job's margin is what the generator means.

A job's margin is what it bills against its people's time cost. Ordinary work orders are
staffed by people costing at most ORDINARY_SHARE of the work order's rate per planned hour:
with no more hours than planned (DRIFT_MAX of them where drift was planted) and at worst the
deepest planted price cut or credit, an ordinary job stays well clear of the 15 % floor.
Jobs sold far too cheap (`Sales.job_margin`) go to the dearest quarter of the bench, who cost
more per hour than those jobs earn: they land below the floor whatever the effort.
"""

from __future__ import annotations

from typing import Final

import numpy as np

from tieout.demo.catalogue import PRICE_FACTOR
from tieout.demo.company import Company
from tieout.demo.fmt import BoolArray, FloatArray, IntArray, i64

ORDINARY_SHARE: Final = 0.55
TEAM: Final = 3  # people a work order can draw on


def expensive_staff(company: Company) -> IntArray:
    """The dearest quarter of the professional services bench."""
    cost = company.person_cost[company.ps_staff]
    return i64(company.ps_staff[cost >= np.quantile(cost, 0.75)])


def in_currency(cost: IntArray, cur: IntArray) -> IntArray:
    """Whole units per hour in each currency, as Harvest's cost rates are written."""
    return i64(np.round(cost * np.asarray(PRICE_FACTOR)[cur]))


def staff(
    rng: np.random.Generator,
    company: Company,
    rate: FloatArray,
    cur: IntArray,
    cheap: BoolArray,
) -> tuple[IntArray, BoolArray]:
    """A team of TEAM people per work order, and whether an ordinary one found nobody cheap
    enough for its rate (`tight`: it gets the cheapest person and no planted price cut)."""
    n = len(rate)
    ps = company.ps_staff[np.argsort(company.person_cost[company.ps_staff], kind="stable")]
    cost = company.person_cost[ps]
    fits = _fitting(cost, rate, cur)
    dear_from = int(np.searchsorted(cost, company.person_cost[expensive_staff(company)].min()))
    lo = np.where(cheap, dear_from, 0)
    hi = np.where(cheap, len(ps), np.maximum(fits, 1))
    pick = lo[:, None] + (rng.random((n, TEAM)) * (hi - lo)[:, None]).astype(np.int64)
    return i64(ps[pick]), (fits == 0) & ~cheap


def _fitting(cost: IntArray, rate: FloatArray, cur: IntArray) -> IntArray:
    """For each work order, how many people cost (in its currency) at most ORDINARY_SHARE of
    its rate: a search per currency, not a work orders x people table (quadratic in scale)."""
    limit = ORDINARY_SHARE * np.asarray(rate, dtype=np.float64)
    fits = np.zeros(len(limit), dtype=np.int64)
    for c in np.unique(cur):
        rows = cur == c
        cost_cur = np.sort(in_currency(cost, np.full(len(cost), c)))
        fits[rows] = np.searchsorted(cost_cur, limit[rows], side="right")
    return fits
