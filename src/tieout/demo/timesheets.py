"""Time sheets: entries cut from each work order's delivered hours, and service-desk time
under support contracts, with the tasks and notes people write in Harvest."""

from __future__ import annotations

from typing import Final

import numpy as np

from tieout.demo.catalogue import PRODUCT_INDEX
from tieout.demo.company import D0, D1, Company
from tieout.demo.fmt import FloatArray, IntArray, i64
from tieout.demo.sales import Sales
from tieout.demo.vec import choose, expand, occurrence, uniform_int

TASKS: Final = (
    "Consulting",
    "Architecture",
    "Development",
    "Design",
    "Project Management",
    "Analysis",
    "Support",
    "Training",
    "Testing",
    "Meetings",
    "Documentation",
    "Internal review",
)
EXTRA_TASKS: Final = i64([TASKS.index(t) for t in ("Project Management", "Meetings", "Testing")])
DOCS, INTERNAL, SUPPORT_TASK = (
    TASKS.index(t) for t in ("Documentation", "Internal review", "Support")
)
NOTES: Final = (
    "Weekly status call with client",
    "Stand-up, sprint planning",
    'Reviewed "phase 2" scope with PM',
    "Fixed export bug\nRe-tested on staging",
    "Workshop prep - agenda, slides",
    "Deployed release to production",
    "Data mapping session, follow-ups sent",
    'Client feedback: "looks great, minor tweaks"',
    "Code review\n- API auth\n- error handling",
    "Wrote test cases for checkout flow",
    "Travel to client site",
    "Documentation update",
    "Investigated performance issue, see ticket",
    "Training session for admin users",
    "Design iteration on dashboard, v3",
    "Requirements workshop follow-up",
    "Migration dry run #2",
    "Handover meeting",
    "Backlog grooming",
    "UAT support",
    "Monthly service review",
    "Patching and health checks",
)
SUPPORT_PROJECTS: Final = ("Managed Service", "Support Retainer")
ENTRY_Q: Final = i64([2, 4, 6, 8, 10, 12, 14, 16, 20, 24, 30])
ENTRY_P: Final = (0.05, 0.12, 0.08, 0.15, 0.08, 0.14, 0.06, 0.14, 0.08, 0.06, 0.04)


def weekday(day: IntArray) -> IntArray:
    """0 = Monday (1970-01-01 was a Thursday)."""
    return (i64(day) + 3) % 7


def job_time(
    rng: np.random.Generator,
    target_q: IntArray,
    first: IntArray,
    last: IntArray,
    team: IntArray,
    size: IntArray,
    first_task: IntArray,
) -> tuple[IntArray, IntArray, IntArray, IntArray, IntArray]:
    """Time entries cut from each work order's delivered quarter hours (exactly: they add up
    to `target_q`), on working days."""
    count = np.where(target_q > 0, np.maximum(1, np.round(target_q / 11)), 0).astype(np.int64)
    wo, _ = expand(count)
    m = len(wo)
    raw = ENTRY_Q[rng.choice(len(ENTRY_Q), size=m, p=ENTRY_P)]
    total_raw = np.bincount(wo, weights=raw, minlength=len(count))
    q = _shares(wo, raw * target_q[wo] / np.maximum(total_raw[wo], 1), i64(target_q))
    span = np.maximum(last - first, 0)[wo] + 1
    day = first[wo] + (rng.random(m) * span).astype(np.int64)
    wd = weekday(day)
    day = day - np.where(wd == 5, 1, 0) - np.where(wd == 6, 2, 0)
    person = team[wo, (rng.random(m) * size[wo]).astype(np.int64)]
    u = rng.random(m)
    task = np.where(u < 0.68, first_task[wo], EXTRA_TASKS[rng.integers(0, 3, m)])
    task = np.where((u >= 0.92) & (u < 0.96), DOCS, task)
    task = np.where(u >= 0.96, INTERNAL, task)
    keep = q > 0
    return wo[keep], i64(day[keep]), i64(person[keep]), q[keep], i64(task[keep])


def _shares(owner: IntArray, share: FloatArray, total: IntArray) -> IntArray:
    """Whole quarter hours per entry, near `share`, adding up to `total` per owner (largest
    remainders round up)."""
    q = np.floor(share).astype(np.int64)
    short = total - np.bincount(owner, weights=q, minlength=len(total)).astype(np.int64)
    order = np.lexsort((-(share - q), owner))
    up = occurrence(owner[order], np.arange(len(order))) < short[owner[order]]
    q[order[up]] += 1
    return q


def support_time(
    rng: np.random.Generator, company: Company, sales: Sales, m: int
) -> tuple[IntArray, IntArray, IntArray, IntArray, IntArray]:
    """Service-desk time under managed-service and retainer contracts (not billable)."""
    first = np.maximum(sales.k_start, company.cust_created[sales.k_cust])
    first = np.maximum(first, D0)
    last = np.minimum(sales.k_end - 1, D1)
    weight = np.maximum(last - first, 0) * company.cust_weight[sales.k_cust]
    if len(weight) == 0 or weight.sum() == 0:
        e = np.zeros(0, dtype=np.int64)
        return e, e, e, e, e
    k = choose(rng, weight, m)
    day = uniform_int(rng, first[k], last[k])
    wd = weekday(day)
    day = day - np.where(wd == 5, 1, 0) - np.where(wd == 6, 2, 0)
    staff = company.service_staff
    person = staff[rng.integers(0, len(staff), m)]
    q = i64(rng.choice([1, 2, 3, 4, 6, 8], size=m, p=[0.2, 0.3, 0.15, 0.2, 0.1, 0.05]))
    retainer = sales.k_prod[k] == PRODUCT_INDEX["RET-SUP"]
    return sales.k_cust[k], i64(day), i64(person), q, i64(retainer)
