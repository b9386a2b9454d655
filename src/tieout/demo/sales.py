"""Sales: opportunities and their lines, quotes (accepted, superseded, lost, open), contracts.

Every job starts as a won opportunity with an accepted quote; the same index is the job,
its opportunity and its accepted quote, which keeps the later stages simple. Lost and open
opportunities and superseded quotes are there so that the reconciler must pick the right
quote, as it would in a real org.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

import numpy as np
import pyarrow as pa

from tieout.demo import company as co
from tieout.demo.catalogue import LIST_PRICE, PRICE_FACTOR, PRODUCTS
from tieout.demo.company import D0, D1, Company
from tieout.demo.contracts import build_contracts
from tieout.demo.fmt import BoolArray, IntArray, day_number, i64, ints, join, pick, where
from tieout.demo.staffing import expensive_staff
from tieout.demo.vec import choose, expand, line_amount, occurrence, uniform_int

STAGES: Final = (
    "Prospecting",
    "Qualification",
    "Needs Analysis",
    "Proposal/Price Quote",
    "Negotiation/Review",
    "Closed Won",
    "Closed Lost",
)
STAGE_PROBABILITY: Final = (10, 20, 40, 60, 80, 100, 0)
WON, LOST = 5, 6
QUOTE_STATUSES: Final = ("Accepted", "Denied", "Rejected", "Presented", "Draft", "Needs Review")
OPP_TYPES: Final = ("New Business", "Existing Business")
LEAD_SOURCES: Final = (
    "Web",
    "Partner Referral",
    "Trade Show",
    "Webinar",
    "Paid Search",
    "Email",
    "Phone Inquiry",
    "Existing Customer",
)
# Project names by the Harvest task of the quote's first line.
PROJECT_KINDS: Final[dict[str, tuple[str, ...]]] = {
    "Consulting": (
        "Digital strategy review",
        "Operating model review",
        "Cloud readiness assessment",
        "Process improvement",
        "IT due diligence",
    ),
    "Architecture": ("Platform architecture", "Integration architecture", "Cloud migration"),
    "Development": (
        "Website rebuild",
        "Customer portal",
        "API integration",
        "Mobile app",
        "Data platform",
        "Reporting dashboard",
        "E-commerce upgrade",
        "Intranet refresh",
    ),
    "Design": ("Brand refresh", "UX research", "Design system"),
    "Project Management": ("Programme management", "Delivery assurance"),
    "Analysis": ("Requirements analysis", "Business case", "Data quality review"),
    "Support": ("Platform support", "Infrastructure upgrade", "Office 365 migration"),
    "Training": ("Staff training programme", "Administrator training"),
}
_TASKS: Final = tuple(PROJECT_KINDS)
KINDS: Final = tuple(k for t in _TASKS for k in PROJECT_KINDS[t])
_KIND_START: Final = np.cumsum([0] + [len(PROJECT_KINDS[t]) for t in _TASKS])[:-1]
_KIND_COUNT: Final = np.array([len(PROJECT_KINDS[t]) for t in _TASKS])
_UNIT_WEIGHT: Final = {"day": 3.0, "hour": 1.2, "package": 1.0}
QUOTABLE: Final = i64([i for i, p in enumerate(PRODUCTS) if p.quotable])
PRODUCT_UNIT: Final = np.array([p.unit for p in PRODUCTS])
PRODUCT_TASK: Final = i64([_TASKS.index(p.task) if p.task in _TASKS else 0 for p in PRODUCTS])
# Planned delivery hours per unit, in quarter hours per quarter unit (x4 / 4).
PRODUCT_HOURS_Q: Final = np.array([p.hours for p in PRODUCTS])
_DISCOUNTS: Final = (i64([0, 500, 1000, 1250, 1500, 2000]), [0.55, 0.15, 0.14, 0.05, 0.08, 0.03])


@dataclass
class Sales:
    """Opportunity i < n_jobs is job i's won opportunity; quote i < n_jobs its accepted quote."""

    n_jobs: int
    opp_cust: IntArray
    opp_cur: IntArray
    opp_stage: IntArray
    opp_created: IntArray  # day
    opp_close: IntArray  # day
    opp_owner: IntArray
    opp_campaign: IntArray  # campaign index or -1
    opp_type: IntArray
    opp_source: IntArray
    opp_amount: IntArray  # minor units
    opp_title: pa.Array
    ol_opp: IntArray
    ol_prod: IntArray
    ol_q4: IntArray
    ol_unit: IntArray  # whole currency units
    ol_list: IntArray
    ol_disc: IntArray  # basis points
    ol_total: IntArray  # minor units
    opp_line_start: IntArray
    opp_line_count: IntArray
    q_opp: IntArray
    q_day: IntArray
    q_status: IntArray
    q_number: IntArray
    q_subtotal: IntArray
    q_total: IntArray
    ql_quote: IntArray
    ql_ord: IntArray
    ql_ol: IntArray
    ql_unit: IntArray
    ql_total: IntArray
    job_accept: IntArray
    job_po: IntArray
    job_margin: BoolArray  # sold far too cheap on purpose (planted margin leak)
    k_cust: IntArray
    k_prod: IntArray
    k_start: IntArray
    k_end: IntArray  # exclusive
    k_term: IntArray
    k_active: IntArray  # 0/1 at the as-of date
    k_number: IntArray
    k_fee: IntArray  # monthly fee, whole units
    k_created: IntArray


def _titles(
    rng: np.random.Generator, cust: IntArray, first_prod: IntArray, day: IntArray
) -> pa.Array:
    """Project names, unique per customer: 'Website rebuild', then 'Website rebuild (2)'."""
    task = PRODUCT_TASK[first_prod]
    kind = _KIND_START[task] + (rng.random(len(task)) * _KIND_COUNT[task]).astype(np.int64)
    nth = occurrence(cust * len(KINDS) + kind, day)
    base = pick(KINDS, kind)
    return where(nth > 0, join(base, " (", ints(nth + 1), ")"), base)


def _lines(rng: np.random.Generator, cur: IntArray, n_lines: IntArray) -> tuple[IntArray, ...]:
    """Quote lines for each opportunity: distinct products, quantities by unit, discounts."""
    n = len(cur)
    units = PRODUCT_UNIT[QUOTABLE]
    weights = np.array([_UNIT_WEIGHT[u] for u in units])
    gumbel = -np.log(-np.log(rng.random((n, len(QUOTABLE)))))
    top = np.argsort(-(np.log(weights)[None, :] + gumbel), axis=1, kind="stable")[:, :4]
    opp, ordinal = expand(n_lines)
    prod = QUOTABLE[top[opp, ordinal]]
    unit = PRODUCT_UNIT[prod]
    m = len(prod)
    q4 = np.where(
        unit == "day",
        2 * rng.integers(2, 22, m),
        np.where(unit == "hour", 4 * rng.integers(8, 61, m), np.where(rng.random(m) < 0.9, 4, 8)),
    )
    lst = LIST_PRICE[prod, cur[opp]]
    negotiated = rng.random(m) < 0.12
    price = np.where(negotiated, np.round(lst * rng.uniform(0.85, 0.95, m)), lst).astype(np.int64)
    opp_disc = rng.choice(_DISCOUNTS[0], size=n, p=_DISCOUNTS[1])
    disc = np.where(rng.random(m) < 0.85, opp_disc[opp], 0)
    return opp, ordinal, i64(prod), i64(q4), price, i64(lst), i64(disc)


def _sell_cheap(
    rng: np.random.Generator,
    company: Company,
    old: BoolArray,
    cur: IntArray,
    ol_opp: IntArray,
    ol_prod: IntArray,
    ol_unit: IntArray,
    ol_disc: IntArray,
) -> BoolArray:
    """Jobs sold far too cheap (the planted margin leak), among those accepted long ago: each
    line discounted (45 % or more) to an hourly rate under 85 % of what the dearest quarter of
    the bench costs, who will deliver it; a job whose lines would need over 75 % off is not
    chosen. `ol_disc` is rewritten for the chosen jobs' lines."""
    n_jobs = len(old)
    dear = company.person_cost[expensive_staff(company)].min()
    per_hour = ol_unit / PRODUCT_HOURS_Q[ol_prod]
    target = dear * np.asarray(PRICE_FACTOR)[cur[ol_opp]] * rng.uniform(0.7, 0.85, len(ol_opp))
    need = np.maximum(4500, 100 * np.ceil(100 * (1 - target / per_hour)))
    too_deep = np.bincount(ol_opp, weights=need > 7500, minlength=len(cur))[:n_jobs] > 0
    eligible = np.flatnonzero(old & ~too_deep)
    margin = np.zeros(n_jobs, dtype=np.bool_)
    k = min(len(eligible), round(0.025 * n_jobs))
    margin[rng.choice(eligible, size=k, replace=False)] = True
    lines = (ol_opp < n_jobs) & margin[np.minimum(ol_opp, n_jobs - 1)]
    ol_disc[lines] = i64(need[lines])
    return margin


def planned_quarter_hours(prod: IntArray, q4: IntArray) -> IntArray:
    """Delivery hours a line plans, in quarter hours (quarter units x hours per unit)."""
    return i64(np.round(q4 * PRODUCT_HOURS_Q[prod]))


def build_sales(
    rng: np.random.Generator, company: Company, scale: float, campaign_start: IntArray
) -> Sales:
    """Jobs' won opportunities, lost and open pipeline, quotes and service contracts."""
    n_jobs = max(60, round(3000 * scale))
    n_lost = max(20, round(1400 * scale))
    n_open = max(8, round(350 * scale))
    active = np.flatnonzero(company.cust_active)
    created_c = company.cust_created

    # jobs: customer by size, quote date after the customer exists
    job_cust = active[choose(rng, company.cust_weight[active], n_jobs)]
    k = len(co.ACCENTED)
    job_cust[:k] = co.ACCENTED  # accented names must reach the 2025 (cp1252) finance file
    lo = np.maximum(D0, created_c[job_cust] + 7)
    quote_day = uniform_int(rng, lo, np.full(n_jobs, D1 - 3))
    quote_day[:k] = day_number(date(2025, 3, 1)) + rng.integers(0, 120, k)
    order = np.argsort(quote_day, kind="stable")
    job_cust, quote_day = job_cust[order], quote_day[order]
    accept = np.minimum(quote_day + rng.integers(2, 29, n_jobs), D1 - 1)

    # all opportunities: jobs' won ones first, then lost, then open
    lost_cust = choose(rng, np.sqrt(company.cust_weight), n_lost)
    open_cust = choose(rng, np.sqrt(company.cust_weight), n_open)
    cust = np.r_[job_cust, lost_cust, open_cust]
    n_opp = len(cust)
    cur = company.cust_currency[cust]
    lost_created = uniform_int(rng, np.maximum(D0, created_c[lost_cust]), np.full(n_lost, D1 - 30))
    open_created = uniform_int(rng, np.maximum(D1 - 240, created_c[open_cust]), np.full(n_open, D1))
    created = np.r_[quote_day - rng.integers(7, 61, n_jobs), lost_created, open_created]
    created = np.maximum(created, created_c[cust])
    close = np.r_[
        accept,
        np.minimum(lost_created + rng.integers(20, 121, n_lost), D1),
        D1 + rng.integers(10, 151, n_open),
    ]
    stage = np.r_[
        np.full(n_jobs, WON),
        np.full(n_lost, LOST),
        rng.choice(5, size=n_open, p=[0.2, 0.2, 0.2, 0.25, 0.15]),
    ]
    owner = np.where(
        rng.random(n_opp) < 0.85,
        company.cust_owner[cust],
        company.sales_staff[rng.integers(0, len(company.sales_staff), n_opp)],
    )
    started = np.searchsorted(campaign_start, created, side="right")
    campaign = np.where(
        (rng.random(n_opp) < 0.25) & (started > 0),
        (rng.random(n_opp) * started).astype(np.int64),
        -1,
    )
    first = occurrence(cust, created) == 0
    opp_type = np.where(first | ~company.cust_active[cust], 0, 1)

    n_lines = rng.choice([1, 2, 3, 4], size=n_opp, p=[0.25, 0.35, 0.25, 0.15])
    ol_opp, _, ol_prod, ol_q4, ol_unit, ol_list, ol_disc = _lines(rng, cur, n_lines)
    margin = _sell_cheap(rng, company, accept < D1 - 220, cur, ol_opp, ol_prod, ol_unit, ol_disc)
    ol_total = line_amount(ol_q4, ol_unit, ol_disc)
    line_start = np.cumsum(n_lines) - n_lines
    titles = pa.concat_arrays(
        [
            _titles(rng, job_cust, ol_prod[line_start[:n_jobs]], quote_day),
            _titles(rng, cust[n_jobs:], ol_prod[line_start[n_jobs:]], created[n_jobs:]),
        ]
    )

    # quotes: accepted (one per job), superseded drafts, lost and open proposals
    superseded = np.flatnonzero(rng.random(n_jobs) < 0.1)
    lost_q = n_jobs + np.flatnonzero(rng.random(n_lost) < 0.7)
    open_q = n_jobs + n_lost + np.flatnonzero(stage[n_jobs + n_lost :] >= 3)
    q_opp = np.r_[np.arange(n_jobs), superseded, lost_q, open_q]
    q_day = np.r_[
        quote_day,
        np.maximum(
            quote_day[superseded] - rng.integers(5, 26, len(superseded)), created[superseded]
        ),
        np.maximum(close[lost_q] - rng.integers(3, 21, len(lost_q)), created[lost_q]),
        np.minimum(created[open_q] + rng.integers(3, 31, len(open_q)), D1),
    ]
    q_status = np.r_[
        np.zeros(n_jobs, dtype=np.int64),
        np.ones(len(superseded), dtype=np.int64),
        np.full(len(lost_q), 2),
        rng.choice([3, 4, 5], size=len(open_q), p=[0.6, 0.25, 0.15]),
    ]
    uplift = np.r_[
        np.zeros(n_jobs), np.full(len(superseded), 8), np.zeros(len(lost_q) + len(open_q))
    ]
    ql_quote, ql_ord = expand(n_lines[q_opp])
    ql_ol = line_start[q_opp[ql_quote]] + ql_ord
    ql_unit = i64(np.round(ol_unit[ql_ol] * (100 + uplift[ql_quote]) / 100))
    ql_total = line_amount(ol_q4[ql_ol], ql_unit, ol_disc[ql_ol])
    n_q = len(q_opp)
    q_subtotal = np.bincount(ql_quote, weights=ol_q4[ql_ol] * ql_unit * 25, minlength=n_q)
    q_total = np.bincount(ql_quote, weights=ql_total, minlength=n_q)
    q_number = 101 + np.argsort(np.argsort(q_day * n_q + np.arange(n_q), kind="stable"))

    amount = np.bincount(ol_opp, weights=ol_total, minlength=n_opp)
    contracts = build_contracts(rng, company)
    return Sales(
        n_jobs=n_jobs,
        opp_cust=i64(cust),
        opp_cur=i64(cur),
        opp_stage=i64(stage),
        opp_created=i64(created),
        opp_close=i64(close),
        opp_owner=i64(owner),
        opp_campaign=i64(campaign),
        opp_type=i64(opp_type),
        opp_source=i64(rng.integers(0, len(LEAD_SOURCES), n_opp)),
        opp_amount=i64(amount),
        opp_title=titles,
        ol_opp=ol_opp,
        ol_prod=ol_prod,
        ol_q4=ol_q4,
        ol_unit=ol_unit,
        ol_list=ol_list,
        ol_disc=ol_disc,
        ol_total=ol_total,
        opp_line_start=i64(line_start),
        opp_line_count=i64(n_lines),
        q_opp=i64(q_opp),
        q_day=i64(q_day),
        q_status=i64(q_status),
        q_number=i64(q_number),
        q_subtotal=i64(q_subtotal),
        q_total=i64(q_total),
        ql_quote=ql_quote,
        ql_ord=ql_ord,
        ql_ol=i64(ql_ol),
        ql_unit=ql_unit,
        ql_total=ql_total,
        job_accept=i64(accept),
        job_po=i64(rng.integers(1000, 10000, n_jobs)),
        job_margin=margin,
        **contracts,
    )
