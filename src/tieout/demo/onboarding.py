"""Onboarding: the five milestones of every customer's first contract of the last six months.

Most onboardings run to plan (every milestone done by its due date); some slip (a milestone
takes weeks longer and everything after it moves), some are blocked on the customer (a
blocker says on what). Only a slip or a block leaves a milestone open past its due date. A
milestone counts as completed only once the one before it is, and only when it was completed
before the export was taken. Its own random stream ("onboarding").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from tieout.demo.calendar import clock
from tieout.demo.company import D1, Company
from tieout.demo.fmt import BoolArray, IntArray, i64
from tieout.demo.sales import Sales
from tieout.demo.service import NOW

MILESTONES: Final = (
    ("Kick-off", 7),
    ("Access granted", 18),
    ("Data migrated", 40),
    ("Training", 55),
    ("Go-live", 70),
)  # name, days after the contract starts
STATUSES: Final = ("planned", "in_progress", "blocked", "completed")
PLANNED, IN_PROGRESS, BLOCKED, COMPLETED = range(4)
BLOCKERS: Final = (
    "Waiting on customer IT to grant VPN access",
    "Customer data extract not delivered yet",
    "Awaiting sign-off from the customer's project sponsor",
    "Third-party API credentials outstanding",
    "Customer has not booked the training room",
)
RECENT: Final = 183  # days: contracts started this recently are onboarding


def milestone_ids(n: int) -> list[str]:
    return [f"OBM-{i + 1:06d}" for i in range(n)]


@dataclass
class Onboarding:
    contract: IntArray  # per milestone: contract index
    step: IntArray  # index into MILESTONES
    due: IntArray  # day
    completed: IntArray  # epoch seconds, -1 when not completed
    status: IntArray
    blocker: IntArray  # index into BLOCKERS, -1 none
    owner: IntArray  # person index
    overdue: BoolArray  # planted: left open past its due date by a slip or a block


def build_onboarding(rng: np.random.Generator, company: Company, sales: Sales) -> Onboarding:
    """Milestones of first contracts started in the last six months (see module docstring)."""
    first = np.ones(len(sales.k_cust), dtype=np.bool_)
    order = np.lexsort((sales.k_start, sales.k_cust))
    same = np.r_[False, sales.k_cust[order][1:] == sales.k_cust[order][:-1]]
    first[order[same]] = False
    k = np.flatnonzero(first & (sales.k_start > D1 - RECENT) & (sales.k_start <= D1))
    n, m = len(k), len(MILESTONES)
    offset = i64([d for _, d in MILESTONES])
    due = sales.k_start[k][:, None] + offset[None, :] + rng.integers(-2, 4, (n, m))
    fate = rng.choice(3, size=n, p=[0.6, 0.25, 0.15])  # on track, slipping, blocked
    slip_at = rng.integers(1, m, n)
    block_at = rng.integers(0, m, n)
    _at_least_one(rng, fate, block_at, sales.k_start[k])
    step = np.arange(m)[None, :]
    slip = (fate == 1)[:, None] & (step >= slip_at[:, None])
    late = slip | ((fate == 2)[:, None] & (step >= block_at[:, None]))
    # on plan means done by the due date; a slip makes that milestone and the rest weeks late
    delay = rng.integers(-3, 1, (n, m)) + slip * rng.integers(12, 40, n)[:, None]
    day = due + delay
    cal = clock()
    hour = rng.integers(3600, 7 * 3600, n * m)  # into the working day it was done on
    at = cal.add(i64(day).ravel() * 86400, hour).reshape(n, m)
    at = np.maximum.accumulate(at, axis=1)
    done = at <= NOW
    blocked_from = np.where(fate == 2, block_at, m)
    done &= np.arange(m)[None, :] < blocked_from[:, None]
    done = np.logical_and.accumulate(done, axis=1)
    first_open = done.sum(axis=1)
    status = np.where(done, COMPLETED, PLANNED)
    current = step == first_open[:, None]
    status = np.where(current, np.where(fate[:, None] == 2, BLOCKED, IN_PROGRESS), status)
    near = due <= D1 + 14
    status = np.where(current & (status == IN_PROGRESS) & ~near, PLANNED, status)
    blocker = np.where(status == BLOCKED, rng.integers(0, len(BLOCKERS), (n, m)), -1)
    managers = [
        i for i, p in enumerate(company.people) if p.active and p.title == "Project Manager"
    ] or [int(i) for i in company.ps_staff if company.people[int(i)].active]
    owner = i64(managers)[rng.integers(0, len(managers), n)]
    return Onboarding(
        contract=np.repeat(i64(k), m),
        step=np.tile(np.arange(m, dtype=np.int64), n),
        due=i64(due).ravel(),
        completed=i64(np.where(done, at, -1)).ravel(),
        status=i64(status).ravel(),
        blocker=i64(blocker).ravel(),
        owner=np.repeat(owner, m),
        overdue=(late & ~done & (due < D1)).ravel(),
    )


def _at_least_one(
    rng: np.random.Generator, fate: IntArray, block_at: IntArray, start: IntArray
) -> None:
    """However few onboardings there are, one of those under way (or, failing that, any
    begun over 25 days ago) is blocked on something already due and another slips."""
    under_way = np.flatnonzero((start < D1 - 25) & (start > D1 - 120))
    if not len(under_way):
        under_way = np.flatnonzero(start < D1 - 25)
    if len(under_way) and not (fate[under_way] == 2).any():
        i = int(under_way[rng.integers(len(under_way))])
        fate[i], block_at[i] = 2, 1  # blocked at Access granted, due 18 days in
    rest = under_way[fate[under_way] != 2]
    if len(rest) and not (fate[rest] == 1).any():
        fate[int(rest[rng.integers(len(rest))])] = 1
