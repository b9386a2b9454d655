"""Who is free when: practices, part-time staff, time off, and the forward plan of work.

Professional services is three practices (User.Department), a few people work part time
(tieout.yml `capacity.people`), and everyone books leave: scattered days and weeks, more
around Christmas. Work orders not started yet are scheduled the way a resource manager
would: each goes to the first week from its intended start in which its practice still has
room (demand at most 95 % of available hours). Then two practices lose a week to a
certification course; those weeks are over-committed and the work due to start in them is
at risk. Everything is in quarter hours and day numbers, from the "capacity" stream.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Final

import numpy as np

from tieout.demo import delivery as dv
from tieout.demo.calendar import clock
from tieout.demo.company import D1, Company
from tieout.demo.fmt import BoolArray, FloatArray, IntArray, i64
from tieout.demo.staff import DEPARTMENTS, FUNCTIONS
from tieout.demo.vec import expand

PRACTICES: Final = {
    "PS Consulting": (
        "Consultant",
        "Senior Consultant",
        "Principal Consultant",
        "Business Analyst",
    ),
    "PS Engineering": ("Developer", "Senior Developer", "Data Engineer", "Solution Architect"),
    "PS Delivery": ("Project Manager", "Designer", "Trainer"),
}
FULL_Q: Final = 150  # 37.5 hours a week, in quarter hours
PART_Q: Final = (90, 120)  # 22.5 and 30 hours
KINDS: Final = ("Annual leave", "Sick leave", "Training", "Parental leave")
DEMAND: Final = (dv.NEW, dv.SCHEDULED, dv.IN_PROGRESS, dv.ON_HOLD)
WEEK0: Final = (D1 + 3) // 7  # the Monday-based week holding the as-of date
HORIZON: Final = 160  # weeks from WEEK0 the plan looks at
ROOM: Final = 0.95


@dataclass
class Capacity:
    department: list[str]  # per person (User.Department)
    weekly_q: IntArray  # per person, quarter hours a week
    part_time: dict[str, float]  # full name -> weekly hours (tieout.yml capacity.people)
    off_person: IntArray
    off_start: IntArray  # day
    off_end: IntArray  # day, inclusive
    off_q: IntArray  # quarter hours in all
    off_kind: IntArray  # index into KINDS
    at_risk: IntArray  # planted: work orders due to start in a week a course over-commits


def departments(company: Company) -> list[str]:
    by_function = dict(zip(FUNCTIONS, DEPARTMENTS, strict=True))
    practice = {title: name for name, titles in PRACTICES.items() for title in titles}
    return [practice.get(p.title, by_function[p.function]) for p in company.people]


def week_of(day: IntArray) -> IntArray:
    return i64((i64(day) + 3) // 7)


def _blocks(
    rng: np.random.Generator, people: IntArray, n: int, lo: int, hi: int, lengths: IntArray
) -> tuple[IntArray, IntArray, IntArray]:
    """n leave blocks of whole working days: person, first and last day."""
    cal = clock()
    who = people[rng.integers(0, len(people), n)]
    start = i64(rng.integers(lo, hi, n))
    length = lengths[rng.integers(0, len(lengths), n)]
    return i64(who), cal.nth_working(start, np.ones(n, np.int64)), cal.nth_working(start, length)


def _time_off(
    rng: np.random.Generator, company: Company, dl: dv.Delivery, daily_q: IntArray
) -> tuple[IntArray, IntArray, IntArray, IntArray, IntArray]:
    """Leave booked from four months back to six months ahead, never overlapping a person's
    other leave, never on a day they logged time, plus the Christmas break."""
    active = np.flatnonzero([p.active for p in company.people])
    n = len(active)
    k = 4 * n
    who, start, end = _blocks(rng, active, k, D1 - 120, D1 + 182, i64([1, 2, 3, 5, 5, 10]))
    kind = np.where(rng.random(k) < 0.03, 3, 0)
    sick_who, sick_start, sick_end = _blocks(rng, active, n // 2, D1 - 120, D1 - 1, i64([1, 2]))
    xmas = active[rng.random(n) < 0.45]
    eve = active[rng.random(n) < 0.25]
    x0, x1 = D1 + 59, D1 + 61  # 29-31 December 2026 (28th is the Boxing Day holiday)
    e0, e1 = D1 + 51, D1 + 54  # 21-24 December
    who = np.r_[who, sick_who, xmas, eve]
    start = np.r_[start, sick_start, np.full(len(xmas), x0), np.full(len(eve), e0)]
    end = np.r_[end, sick_end, np.full(len(xmas), x1), np.full(len(eve), e1)]
    kind = np.r_[kind, np.ones(len(sick_who), np.int64), np.zeros(len(xmas) + len(eve), np.int64)]
    # drop blocks on days the person logged time, then overlaps with their earlier leave
    day, block = _days(start, end)
    lo = D1 - 120
    logged = np.zeros((len(company.people), D1 - lo + 1), dtype=np.bool_)
    recent = dl.t_day >= lo
    logged[dl.t_person[recent], dl.t_day[recent] - lo] = True
    past = day <= D1
    clash = np.zeros(len(day), dtype=np.bool_)
    clash[past] = logged[who[block[past]], np.maximum(day[past] - lo, 0)]
    keep = np.bincount(block[clash], minlength=len(who)) == 0
    order = np.lexsort((np.arange(len(who)), start, who))
    last_end: dict[int, int] = {}
    for i in order.tolist():
        if not keep[i]:
            continue
        person = int(who[i])
        if start[i] <= last_end.get(person, -1):
            keep[i] = False
        else:
            last_end[person] = int(end[i])
    idx = order[keep[order]]
    wd = clock().working_days(start[idx], end[idx])
    hours = daily_q[who[idx]] * wd
    ok = wd > 0
    idx, hours = idx[ok], hours[ok]
    return i64(who[idx]), i64(start[idx]), i64(end[idx]), i64(hours), i64(kind[idx])


def _days(start: IntArray, end: IntArray) -> tuple[IntArray, IntArray]:
    """Every day of each [start, end] range: (day, range index)."""
    block, k = expand(np.maximum(i64(end) - i64(start) + 1, 0))
    return i64(start[block] + k), block


def _weekly(day: IntArray, weight: FloatArray, team: IntArray, n_team: int) -> FloatArray:
    """Sum weight into a (team, week) grid of HORIZON weeks from WEEK0."""
    w = week_of(day) - WEEK0
    inside = (w >= 0) & (w < HORIZON)
    grid = np.zeros((n_team, HORIZON))
    np.add.at(grid, (team[inside], w[inside]), weight[inside])
    return grid


def demand_days(dl: dv.Delivery, wos: IntArray) -> tuple[IntArray, IntArray, FloatArray]:
    """Each work order's planned hours spread evenly over its working days (all on the start
    day when it has none): (day, work order, hours)."""
    cal = clock()
    day, k = _days(dl.wo_start[wos], dl.wo_end[wos])
    working = cal.is_working(day)
    n_days = np.bincount(k[working], minlength=len(wos))
    none = np.flatnonzero(n_days == 0)
    day = np.r_[day[working], dl.wo_start[wos][none]]
    k = np.r_[k[working], none]
    hours = dl.wo_planned_q[wos][k] / 4 / np.maximum(n_days[k], 1)
    return i64(day), i64(wos[k]), hours


def plan_capacity(rng: np.random.Generator, company: Company, dl: dv.Delivery) -> Capacity:
    """Practices, part-timers and leave; reschedule and mark the work not started yet."""
    people = company.people
    dept = departments(company)
    names = list(PRACTICES)
    team = i64([names.index(d) if d in PRACTICES else -1 for d in dept])
    active = np.array([p.active for p in people], dtype=np.bool_)
    ps = np.flatnonzero(active & (team >= 0))
    weekly = np.full(len(people), FULL_Q, dtype=np.int64)
    part = ps[rng.random(len(ps)) < 0.08]
    other = np.flatnonzero(active & (team < 0))
    part = np.r_[part, other[rng.random(len(other)) < 0.05]]
    weekly[part] = i64(PART_Q)[rng.integers(0, 2, len(part))]
    daily = weekly // 5

    _reassign(rng, dl, active, team)
    who, start, end, off_q, kind = _time_off(rng, company, dl, daily)
    avail = _available(active, team, daily, who, start, end, off_q, len(names))
    load = _load(dl, team, len(names), np.isin(dl.wo_status, (dv.IN_PROGRESS, dv.ON_HOLD)))
    _level(dl, team, load, avail)
    load = _load(dl, team, len(names), np.isin(dl.wo_status, DEMAND))  # exact, after moves
    on_team = np.where(active, team, -1)
    *extra, at_risk = _course(rng, dl, on_team, daily, avail, load, (who, start, end))
    if len(extra[0]):
        who, start, end = np.r_[who, extra[0]], np.r_[start, extra[1]], np.r_[end, extra[2]]
        off_q = np.r_[off_q, extra[3]]
        kind = np.r_[kind, np.full(len(extra[0]), 2)]
    new = np.flatnonzero(dl.wo_status == dv.NEW)
    soon = new[(dl.wo_start[new] <= D1 + 42) & (rng.random(len(new)) < 0.6)]
    dl.wo_status[soon] = dv.SCHEDULED
    order = np.lexsort((who, start))
    return Capacity(
        department=dept,
        weekly_q=weekly,
        part_time={
            f"{people[i].first} {people[i].last}": int(weekly[i]) / 4
            for i in np.sort(part).tolist()
        },
        off_person=who[order],
        off_start=start[order],
        off_end=end[order],
        off_q=off_q[order],
        off_kind=kind[order],
        at_risk=at_risk,
    )


def _reassign(rng: np.random.Generator, dl: dv.Delivery, active: BoolArray, team: IntArray) -> None:
    """Open work owned by someone who has left goes to an active colleague in the practice."""
    orphan = np.flatnonzero(np.isin(dl.wo_status, DEMAND) & ~active[dl.wo_owner])
    for w in orphan.tolist():
        mates = np.flatnonzero(active & (team == team[dl.wo_owner[w]]))
        dl.wo_owner[w] = mates[int(rng.integers(len(mates)))]


def _available(
    active: BoolArray,
    team: IntArray,
    daily: IntArray,
    who: IntArray,
    start: IntArray,
    end: IntArray,
    off_q: IntArray,
    n_team: int,
) -> FloatArray:
    """Hours each practice has per week: members' working days less their leave."""
    cal = clock()
    members = np.flatnonzero(active & (team >= 0))
    days = np.arange(WEEK0 * 7 - 3, (WEEK0 + HORIZON) * 7 - 3, dtype=np.int64)
    work = days[cal.is_working(days)]
    person = np.repeat(members, len(work))
    day = np.tile(work, len(members))
    avail = _weekly(day, daily[person] / 4, team[person], n_team)
    day, k = _days(start, end)
    working = cal.is_working(day)
    wd = np.bincount(k[working], minlength=len(who))
    day, k = day[working], k[working]
    mine = team[who[k]] >= 0
    per_day = off_q[k] / 4 / np.maximum(wd[k], 1)
    return avail - _weekly(day[mine], per_day[mine], team[who[k]][mine], n_team)


def _load(dl: dv.Delivery, team: IntArray, n_team: int, which: BoolArray) -> FloatArray:
    wos = np.flatnonzero(which & (team[dl.wo_owner] >= 0))
    day, wo, hours = demand_days(dl, wos)
    return _weekly(day, hours, team[dl.wo_owner[wo]], n_team)


def _level(dl: dv.Delivery, team: IntArray, load: FloatArray, avail: FloatArray) -> None:
    """Each work order not started yet, in order of intended start, moves on a week at a time
    until its practice has room for it in every week it runs and in the week it starts (where
    it would be at risk: only a planted course makes a week with new work over-committed)."""
    new = np.flatnonzero(dl.wo_status == dv.NEW)
    new = new[np.lexsort((new, dl.wo_start[new]))]
    for w in new.tolist():
        day, _, hours = demand_days(dl, np.array([w]))
        week = np.r_[week_of(day), week_of(dl.wo_start[[w]])] - WEEK0
        weeks, inverse = np.unique(week, return_inverse=True)
        profile = np.bincount(inverse.ravel(), weights=np.r_[hours, 0.0])  # its hours each week
        t = team[dl.wo_owner[w]]
        best, best_ratio = 0, np.inf
        for shift in range(0, 40):
            wk = np.clip(weeks + shift, 0, HORIZON - 1)
            ratio = np.max((load[t, wk] + profile) / np.maximum(avail[t, wk], 1e-9))
            if ratio <= ROOM:
                best = shift
                break
            if ratio < best_ratio:
                best, best_ratio = shift, ratio
        dl.wo_start[w] += 7 * best
        dl.wo_end[w] += 7 * best
        np.add.at(load[t], np.clip(weeks + best, 0, HORIZON - 1), profile)


def _course(
    rng: np.random.Generator,
    dl: dv.Delivery,
    on_team: IntArray,
    daily: IntArray,
    avail: FloatArray,
    load: FloatArray,
    leave: tuple[IntArray, IntArray, IntArray],
) -> tuple[IntArray, IntArray, IntArray, IntArray, IntArray]:
    """A week-long certification course for part of two practices, each in a busy week 2-7
    weeks out (before Christmas) in which a handful of new work is due to start: enough of
    the practice goes (no one already on leave that week, at most four in five) that it is
    over-committed; the work due to start that week is at risk (returned last)."""
    who, start, end = leave
    new = np.flatnonzero(dl.wo_status == dv.NEW)
    weeks = week_of(dl.wo_start[new]) - WEEK0
    teams = on_team[dl.wo_owner[new]]
    starts = Counter((int(t), int(k)) for t, k in zip(teams, weeks, strict=True))
    cand = [(t, k) for t, k in sorted(starts) if 2 <= k <= 7 and load[t, k] >= 0.5 * avail[t, k]]
    # the busiest weeks with a handful of new work due to start go first
    cand.sort(key=lambda c: (starts[c] > 6, -float(load[c] / max(float(avail[c]), 1.0)), c))
    cal = clock()
    out: list[tuple[int, int, int, int]] = []
    used: set[int] = set()
    at_risk: list[IntArray] = []
    for t, k in cand:
        if t in used:
            continue
        monday = (WEEK0 + k) * 7 - 3
        friday = monday + 4
        days = int(cal.working_days(i64([monday]), i64([friday]))[0])
        busy = set(who[(start <= friday) & (end >= monday)].tolist())
        mates = i64([p for p in np.flatnonzero(on_team == t).tolist() if p not in busy])
        order = rng.permutation(len(mates))
        gone = np.cumsum(daily[mates[order]] / 4 * days)  # hours lost as each one goes
        m = int(np.searchsorted(gone, avail[t, k] - 0.97 * load[t, k], side="right")) + 1
        if days == 0 or m > 0.8 * len(mates):
            continue
        chosen = np.sort(mates[order[:m]])
        out += [(int(p), monday, friday, int(daily[p]) * days) for p in chosen.tolist()]
        avail[t, k] -= gone[m - 1]
        used.add(t)
        at_risk.append(new[(teams == t) & (weeks == k)])
        if len(used) == 2:
            break
    arr = i64(out).reshape(-1, 4)
    risk = np.sort(np.concatenate(at_risk)) if at_risk else np.zeros(0, dtype=np.int64)
    return arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3], i64(risk)
