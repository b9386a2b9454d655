"""Repeat issues and aged tickets: planted on the service desk, and kept from happening by
chance, so that what `service_time` records as planted is all there is.

- Repeat issues: three or four recent tickets of a few customers about the same thing. Any
  other recent ticket shares its category and topic with at most one more of its customer's,
  in the same system; a customer with more recent tickets than that allows repeats on
  purpose, and those groups are recorded as planted too.
- Aged tickets: stuck open for over a month at about half the customers whose contract
  renews within 90 days (one ticket each, in any system), plus about 1 % of older tickets at
  other customers. No other ticket of a renewing customer is open that long (`CAP`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Final

import numpy as np

from tieout.demo import service as sv
from tieout.demo.company import D1
from tieout.demo.fmt import BoolArray, IntArray, i64
from tieout.demo.sales import Sales

AGED: Final = 30
REPEAT: Final = 30
CAP: Final = 110 * 3600  # working seconds: what a renewing customer's ticket may take in all
ZD_CATEGORY: Final = (1, 0, 0, 1)  # Question, Incident, Problem, Task -> request / incident
CASE_CATEGORY: Final = (0, 1, 1)  # Problem, Question, Feature Request
SYSTEMS: Final = ("servicenow", "zendesk", "salesforce")
SERVICENOW, ZENDESK, CASES = range(3)


@dataclass(frozen=True)
class Aged:
    """A ticket stuck open on purpose at a customer whose contract renews soon."""

    customer: int
    system: int
    ticket: int


def day_of(t: IntArray) -> IntArray:
    return i64(i64(t) // 86400)


def renewing_contracts(sales: Sales) -> IntArray:
    """Activated contracts renewing (EndDate + 1) within 90 days: where aged tickets go."""
    return np.flatnonzero((sales.k_start <= D1) & (sales.k_end > D1) & (sales.k_end <= D1 + 90))


def renewing_customers(sales: Sales, n_cust: int) -> BoolArray:
    out = np.zeros(n_cust, dtype=np.bool_)
    out[sales.k_cust[renewing_contracts(sales)]] = True
    return out


def plant_repeats(
    rng: np.random.Generator, service: sv.Service, k: int
) -> list[tuple[int, IntArray]]:
    """Repeat issues in each system (k + 1 customers in ServiceNow, k in the others), every
    other recent ticket kept apart; (system, tickets) of every group there now is."""
    sn, zd, cs = service.servicenow, service.zendesk, service.cases
    out = []
    groups = _plant(rng, sn.cust, sn.opened, k + 1, [sn.category, sn.subcategory, sn.subject])
    moved = _apart(rng, sn.cust, sn.opened, np.zeros_like(sn.category), sn.category, 5, groups)
    sn.subject[moved] = sn.category[moved] * 3 + sn.subject[moved] % 3
    sn.subcategory[moved] = i64(rng.random(len(moved)) * sv.SUBCOUNT[sn.category[moved]])
    sn.group[:] = sn.category
    out += [(SERVICENOW, g) for g in groups]
    groups = _plant(rng, zd.cust, zd.opened, k, [zd.subject, zd.category])
    category = i64(ZD_CATEGORY)[zd.category]
    _apart(rng, zd.cust, zd.opened, category, zd.subject, len(sv.ZD_SUBJECTS), groups)
    out += [(ZENDESK, g) for g in groups]
    free = np.flatnonzero(cs.wo < 0)  # cases behind a work order keep what they were raised for
    fields = [cs.reason[free], cs.kind[free]]
    groups = [free[g] for g in _plant(rng, cs.cust[free], cs.created[free], k, fields)]
    cs.reason[free], cs.kind[free] = fields
    category = i64(CASE_CATEGORY)[cs.kind]
    _apart(rng, cs.cust, cs.created, category, cs.reason, len(sv.CASE_REASONS), groups)
    return out + [(CASES, g) for g in groups]


def _plant(
    rng: np.random.Generator, cust: IntArray, opened: IntArray, k: int, fields: list[IntArray]
) -> list[IntArray]:
    """Three or four recent tickets of k customers get the first one's category fields."""
    idx = np.flatnonzero(day_of(opened) > D1 - REPEAT)
    counts = np.bincount(cust[idx], minlength=int(cust.max(initial=0)) + 1)
    eligible = np.flatnonzero(counts >= 3)
    groups = []
    for c in np.sort(rng.choice(eligible, size=min(k, len(eligible)), replace=False)).tolist():
        mine = idx[cust[idx] == c]
        m = min(len(mine), int(rng.integers(3, 5)))
        group = np.sort(rng.choice(mine, size=m, replace=False))
        for f in fields:
            f[group] = f[group[0]]
        groups.append(group)
    return groups


def _apart(
    rng: np.random.Generator,
    cust: IntArray,
    opened: IntArray,
    category: IntArray,
    topic: IntArray,
    n_topics: int,
    groups: list[IntArray],
) -> IntArray:
    """Give other recent tickets topics that no two more of the customer's share, and none a
    group has; where a customer has too many for that, the rest gather under one more topic
    per category, which becomes a group (appended). Returns the tickets whose topic changed."""
    idx = np.flatnonzero(day_of(opened) > D1 - REPEAT)
    idx = idx[np.lexsort((idx, opened[idx]))]
    grouped = {int(i) for g in groups for i in g}
    moved: list[int] = []
    for c in np.unique(cust[idx]).tolist():
        mine = [i for i in idx[cust[idx] == c].tolist() if i not in grouped]
        taken = {(int(category[g[0]]), int(topic[g[0]])) for g in groups if cust[g[0]] == c}
        count: Counter[tuple[int, int]] = Counter()
        extra: dict[int, int] = {}  # category -> the topic its surplus tickets gather under
        for i in mine:
            cat = int(category[i])
            free = [t for t in range(n_topics) if (cat, t) not in taken and count[cat, t] < 2]
            if (cat, int(topic[i])) not in taken and count[cat, int(topic[i])] < 2:
                t = int(topic[i])
            elif free:
                t = free[int(rng.integers(len(free)))]
            else:
                if cat not in extra:
                    spare = [t for t in range(n_topics) if (cat, t) not in taken]
                    extra[cat] = spare[int(rng.integers(len(spare)))]
                t = extra[cat]
            if t != topic[i]:
                topic[i] = t
                moved.append(i)
            count[cat, t] += 1
        for cat, t in sorted(extra.items()):
            groups.append(i64([i for i in mine if (category[i], topic[i]) == (cat, t)]))
    return i64(sorted(moved))


def plant_aged(
    rng: np.random.Generator,
    service: sv.Service,
    renewing: BoolArray,
    repeats: list[tuple[int, IntArray]],
) -> tuple[BoolArray, BoolArray, list[Aged]]:
    """Tickets stuck open (see module docstring): ServiceNow and Zendesk tickets to keep open,
    and the planted aged tickets (a Salesforce case is simply reopened here). Where no
    renewing customer has a ticket of the right age, one of theirs (in no repeat group) is
    made that old."""
    sn, zd, cs = service.servicenow, service.zendesk, service.cases
    grouped = [np.zeros(len(t), dtype=np.bool_) for t in (sn.cust, zd.cust, cs.cust)]
    for system, group in repeats:
        grouped[system][group] = True
    stuck = []
    for t in (sn, zd):
        day = day_of(t.opened)
        old = (day <= D1 - AGED - 1) & (day >= D1 - 210) & ~renewing[t.cust]
        stuck.append(old & (rng.random(len(day)) < 0.012))
    custs = np.flatnonzero(renewing)
    u = rng.random(len(custs))
    found = []
    for c in custs.tolist():
        found.append(
            [_old(sn.opened, sn.cust == c), _old(zd.opened, zd.cust == c),
             _old(cs.created, (cs.cust == c) & (cs.wo < 0) & (cs.closed >= 0))]
        )  # fmt: skip
    has = np.array([sum(len(f) for f in row) > 0 for row in found], dtype=np.bool_)
    if len(custs) and not has.any():
        _age_one(rng, service, custs, grouped, found, has)
    plant = (u < 0.5) & has
    if has.any() and not plant.any():
        plant[np.argmax(has)] = True
    if len(custs) >= 2 and plant.all():
        plant[-1] = False
    planted = []
    for c, row, chosen in zip(custs.tolist(), found, plant.tolist(), strict=True):
        if not chosen:
            continue
        flat = [(k, int(i)) for k, f in enumerate(row) for i in f]
        k, i = flat[int(rng.integers(len(flat)))]
        if k < CASES:
            stuck[k][i] = True
        else:
            cs.closed[i], cs.status[i] = -1, 1  # Working
        planted.append(Aged(c, k, i))
    return stuck[0], stuck[1], planted


def _old(opened: IntArray, mine: BoolArray) -> IntArray:
    """Indexes of `mine` opened 31 to 200 days before the as-of date."""
    day = day_of(opened)
    return np.flatnonzero(mine & (day <= D1 - AGED - 1) & (day >= D1 - 200))


def _age_one(
    rng: np.random.Generator,
    service: sv.Service,
    custs: IntArray,
    grouped: list[BoolArray],
    found: list[list[IntArray]],
    has: BoolArray,
) -> None:
    """Open one ticket of the first renewing customer that has any 31 to 200 days ago."""
    sn, zd, cs = service.servicenow, service.zendesk, service.cases
    for row, c in enumerate(custs.tolist()):
        mine = [
            np.flatnonzero((sn.cust == c) & ~grouped[SERVICENOW]),
            np.flatnonzero((zd.cust == c) & ~grouped[ZENDESK]),
            np.flatnonzero((cs.cust == c) & (cs.wo < 0) & (cs.closed >= 0) & ~grouped[CASES]),
        ]
        flat = [(k, int(i)) for k, f in enumerate(mine) for i in f]
        if not flat:
            continue
        k, i = flat[int(rng.integers(len(flat)))]
        opened = (D1 - int(rng.integers(AGED + 1, 201))) * 86400 + 10 * 3600
        if k < CASES:
            (sn, zd)[k].opened[i] = opened
        else:
            cs.created[i] = opened
        found[row][k] = i64([i])
        has[row] = True
        return
