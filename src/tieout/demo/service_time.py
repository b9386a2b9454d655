"""Service as it ran in time: SLA clocks with pauses and reopens.

`plan_service` rewrites the ServiceNow incidents' and Zendesk tickets' life cycles (see
`timeline`) from their opening times, so their states, resolution times and reopen counts
agree with a full state history, after `service_plants` has planted repeat issues and aged
tickets. Strategic customers' recent tickets and cases run mostly inside their SLA; about one
in ten of those open long enough for it is planted well over it. None ends within five
minutes of its target (whatever way a clock rounds, it agrees), and the tickets of customers
whose contract renews soon are done within `CAP`, but for the one planted to stay open.
Its own random stream ("timeline") leaves every other part of the demo as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from tieout.demo import service as sv
from tieout.demo import timeline as tl
from tieout.demo.calendar import clock
from tieout.demo.company import D1, Company
from tieout.demo.fmt import BoolArray, FloatArray, IntArray, i64
from tieout.demo.sales import Sales
from tieout.demo.service_plants import (
    AGED,
    CAP,
    CASES,
    REPEAT,
    Aged,
    day_of,
    plant_aged,
    plant_repeats,
    renewing_customers,
)
from tieout.demo.timeline import HOLD, PENDING, RESOLVED, Timeline

EXPORT_AT: Final = sv.NOW  # the exports were taken at 18:00 on the as-of date
CLOCK_END: Final = (D1 + 1) * 86400  # where the clocks of open tickets stand
WINDOW: Final = 90  # sla_breach_strategic: opened in the 90 days before the as-of date
MARGIN: Final = 300  # seconds: no strategic ticket's clock ends this close to its target
# (response hours, resolution hours) by priority 1..4; strategic priority 1 is tighter
POLICY: Final = {1: (1.0, 8.0), 2: (4.0, 16.0), 3: (8.0, 40.0), 4: (16.0, 80.0)}
STRATEGIC_P1: Final = (0.5, 4.0)
SN_STATE: Final = {tl.NEW: 0, tl.RUNNING: 1, HOLD: 2, RESOLVED: 3, tl.CLOSED: 4, tl.CANCELED: 5}
ZD_STATE: Final = {tl.NEW: 0, tl.RUNNING: 1, PENDING: 2, HOLD: 3, RESOLVED: 4, tl.CLOSED: 5}
ZD_SATISFACTION: Final = ("Good", "Bad", "Offered", "Unoffered")


def targets(priority: IntArray, strategic: BoolArray) -> tuple[IntArray, IntArray]:
    """(response, resolution) targets in working seconds for canonical priorities 1..4."""
    p = np.clip(i64(priority), 1, 4)
    resp = np.array([0.0] + [POLICY[k][0] for k in range(1, 5)])[p]
    res = np.array([0.0] + [POLICY[k][1] for k in range(1, 5)])[p]
    top = (p == 1) & strategic
    resp = np.where(top, STRATEGIC_P1[0], resp)
    res = np.where(top, STRATEGIC_P1[1], res)
    return i64(resp * 3600), i64(res * 3600)


def sn_priority(t: sv.Tickets) -> IntArray:
    return i64(np.minimum(t.priority + 1, 4))  # "5 - Planning" counts as low


def zd_priority(t: sv.Tickets) -> IntArray:
    return i64(t.priority + 1)


def case_priority(c: sv.Cases) -> IntArray:
    return i64(4 - c.priority)  # Low, Medium, High, Critical


@dataclass
class ServiceTimes:
    sn: Timeline
    zd: Timeline
    zd_first_reply: IntArray  # calendar minutes, -1 blank
    zd_full: IntArray  # business minutes, -1 blank (unsolved)
    zd_wait: IntArray
    zd_hold: IntArray
    zd_satisfaction: IntArray  # index into ZD_SATISFACTION
    strategic: BoolArray  # per customer
    over: tuple[BoolArray, BoolArray, BoolArray]  # planted SLA breaches: incidents, tickets, cases
    aged: list[Aged]  # planted aged tickets
    repeats: list[tuple[int, IntArray]]  # planted repeat issues: system, tickets


def _nudge(times: IntArray) -> IntArray:
    """Nothing opens in the last hour of a day a rule's window starts or ends on: in that
    hour the UTC date and the London date differ, and the truth should not hang on which
    one a reader takes."""
    edges = np.array([D1 - WINDOW, D1 - AGED - 1, D1 - REPEAT])
    late = np.isin(day_of(times), edges) & (i64(times) % 86400 >= 23 * 3600)
    return i64(np.where(late, times - 3600, times))


def _renumber(t: sv.Tickets, base: int) -> None:
    order = np.argsort(t.opened, kind="stable")
    t.number[order] = base + np.arange(len(order))


def _so_far(opened: IntArray) -> IntArray:
    """Working seconds from opening to the export."""
    return i64(clock().between(opened, np.full(len(opened), EXPORT_AT)))


def _paused(pauses: tl.Pauses, n: int) -> IntArray:
    return i64(np.bincount(pauses.ticket, weights=pauses.seconds, minlength=n))


def _work(
    rng: np.random.Generator,
    opened: IntArray,
    res_t: IntArray,
    window: BoolArray,
    stuck: BoolArray,
    paused: IntArray,
) -> tuple[IntArray, BoolArray]:
    """Working seconds each ticket's clock runs, and the planted breaches: strategic
    customers' recent tickets inside target (10-85 %), but about one in ten of those whose
    clock can be past it by now (at least one) 15-150 % over; stuck tickets well past today."""
    n = len(opened)
    usual = rng.lognormal(np.log(0.45), 0.75, n)
    so_far = _so_far(opened)
    can = window & (so_far - paused >= res_t + MARGIN)
    breach = (rng.random(n) < 0.1) & can
    if can.any() and not breach.any():
        breach[rng.choice(np.flatnonzero(can))] = True
    chosen = np.where(breach, rng.uniform(1.15, 2.5, n), rng.uniform(0.1, 0.85, n))
    ratio = np.where(window, chosen, usual)
    late = i64(so_far * rng.uniform(1.3, 3.0, n)) + res_t
    return i64(np.where(stuck, late, res_t * ratio)), window & (breach | stuck)


def _fit(
    pauses: tl.Pauses,
    work: IntArray,
    response: IntArray,
    limit: FloatArray,
) -> IntArray:
    """Answer within half the work, and shrink each ticket's pauses to fit its limit (working
    seconds of pauses; inf for none). Returns the response."""
    n = len(work)
    scale = np.minimum(1.0, np.maximum(limit, 0) / np.maximum(_paused(pauses, n), 1))
    pauses.seconds = i64(pauses.seconds * scale[pauses.ticket])
    return i64(np.minimum(response, work // 2))


def _limits(
    opened: IntArray, work: IntArray, stuck: BoolArray, capped: BoolArray
) -> tuple[IntArray, FloatArray]:
    """Work capped at CAP where `capped`, and how long each ticket may then be paused: a stuck
    ticket runs at least three quarters of the time since it opened; a capped one is done
    within CAP in all."""
    work = i64(np.where(capped, np.minimum(work, CAP), work))
    limit = np.where(stuck, _so_far(opened) / 4, np.inf)
    return work, np.where(capped, CAP - work, limit)


def _sn_inputs(
    rng: np.random.Generator,
    t: sv.Tickets,
    strategic: BoolArray,
    stuck: BoolArray,
    capped: BoolArray,
) -> tuple[IntArray, IntArray, tl.Pauses, BoolArray, BoolArray]:
    n = len(t.cust)
    window = strategic[t.cust] & (day_of(t.opened) > D1 - WINDOW)
    resp_t, res_t = targets(sn_priority(t), strategic[t.cust])
    canceled = (t.state == 5) & ~window & ~stuck
    holds = i64(rng.choice(3, size=n, p=[0.75, 0.2, 0.05]))
    holds = np.where(stuck, 1 + i64(rng.choice(2, size=n)), holds)
    reopens = np.where(canceled, 0, t.reopens)
    pauses = tl.draw_pauses(
        rng, (HOLD, RESOLVED), [np.where(canceled, 0, holds), reopens], (5.0, 3.0)
    )
    work, over = _work(rng, t.opened, res_t, window, stuck, _paused(pauses, n))
    work = np.where(canceled, i64(res_t * rng.uniform(0.02, 0.3, n)), work)
    response = i64(resp_t * rng.lognormal(np.log(0.35), 0.8, n))
    work, limit = _limits(t.opened, work, stuck, capped)
    return _fit(pauses, work, response, limit), work, pauses, canceled, over


def _zd_inputs(
    rng: np.random.Generator,
    t: sv.Tickets,
    strategic: BoolArray,
    stuck: BoolArray,
    capped: BoolArray,
) -> tuple[IntArray, IntArray, tl.Pauses, BoolArray]:
    """As for incidents; and as Zendesk gives paused minutes only once a ticket is solved, a
    strategic customer's recent ticket inside target is paused little enough that, unsolved,
    its clock still shows inside target."""
    n = len(t.cust)
    window = strategic[t.cust] & (day_of(t.opened) > D1 - WINDOW)
    resp_t, res_t = targets(zd_priority(t), strategic[t.cust])
    pending = i64(rng.choice(3, size=n, p=[0.55, 0.3, 0.15]))
    holds = i64(rng.choice(2, size=n, p=[0.9, 0.1])) + stuck
    pauses = tl.draw_pauses(rng, (PENDING, HOLD, RESOLVED), [pending, holds, t.reopens], (6, 8, 3))
    work, over = _work(rng, t.opened, res_t, window, stuck, _paused(pauses, n))
    response = i64(resp_t * rng.lognormal(np.log(0.3), 0.8, n))
    work, limit = _limits(t.opened, work, stuck, capped)
    inside = window & ~over
    limit = np.where(inside, np.minimum(limit, 0.9 * res_t - work), limit)
    return _fit(pauses, work, response, limit), work, pauses, over


def _zd_minutes(z: Timeline, opened: IntArray) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Zendesk's business-hour metrics (whole minutes) up to the latest solve, blank while a
    ticket is unsolved: full resolution, requester wait (new, open, on-hold), on-hold; and
    the paused minutes a reader derives from them (full - wait + on-hold)."""
    n = len(opened)
    solved = z.resolved >= 0
    full_s = clock().between(opened, np.where(solved, z.resolved, opened))
    last = z.resolved  # -1 while unsolved: nothing counts
    away = tl.seconds_in(z, n, PENDING, last) + tl.seconds_in(z, n, RESOLVED, last)
    full = (full_s + 30) // 60
    waited = (away + 30) // 60
    hold = (tl.seconds_in(z, n, HOLD, last) + 30) // 60
    blank = np.full(n, -1)
    return (
        i64(np.where(solved, full, blank)),
        i64(np.where(solved, full - waited, blank)),
        i64(np.where(solved, hold, blank)),
        i64(np.where(solved, waited + hold, 0)),
    )


def zd_elapsed(z: Timeline, opened: IntArray, paused_minutes: IntArray) -> IntArray:
    """Resolution clock of Zendesk tickets: opened to solved (or now) less paused minutes."""
    end = np.where(z.resolved >= 0, z.resolved, CLOCK_END)
    return i64(clock().between(opened, end) - 60 * paused_minutes)


def plan_service(
    rng: np.random.Generator, company: Company, sales: Sales, service: sv.Service, scale: float
) -> ServiceTimes:
    """Plant the service exceptions and rewrite tickets' life cycles (see module docstring)."""
    sn, zd, cases = service.servicenow, service.zendesk, service.cases
    sn.opened, zd.opened = _nudge(sn.opened), _nudge(zd.opened)
    cases.created = _nudge(cases.created)
    strategic = np.array([c.tier == "Strategic" for c in company.customers], dtype=np.bool_)
    renewing = renewing_customers(sales, len(company.customers))
    repeats = plant_repeats(rng, service, max(1, round(2 * scale)))
    sn_stuck, zd_stuck, aged = plant_aged(rng, service, renewing, repeats)
    _renumber(sn, 10001)
    _renumber(zd, 1000)

    capped = renewing[sn.cust] & ~sn_stuck
    response, work, pauses, canceled, sn_over = _sn_inputs(rng, sn, strategic, sn_stuck, capped)
    sn_tl = tl.build(sn.opened, response, work, pauses, canceled, 3, CLOCK_END)
    capped = renewing[zd.cust] & ~zd_stuck
    z_resp, z_work, z_pauses, zd_over = _zd_inputs(rng, zd, strategic, zd_stuck, capped)
    no_cancel = np.zeros(len(zd.cust), dtype=np.bool_)
    zd_tl = tl.build(zd.opened, z_resp, z_work, z_pauses, no_cancel, 4, CLOCK_END)

    _apply(rng, sn, sn_tl, SN_STATE, company)
    _apply(rng, zd, zd_tl, ZD_STATE, company)
    full, wait, hold, paused = _zd_minutes(zd_tl, zd.opened)
    first_reply = np.where(zd_tl.first_response >= 0, (zd_tl.first_response - zd.opened) // 60, -1)
    _, zd_res = targets(zd_priority(zd), strategic[zd.cust])
    over = zd_elapsed(zd_tl, zd.opened, paused) > zd_res
    kept_open = np.zeros(len(cases.cust), dtype=np.bool_)
    kept_open[[a.ticket for a in aged if a.system == CASES]] = True
    case_over = _cases(rng, cases, strategic, renewing, kept_open)
    return ServiceTimes(
        sn=sn_tl,
        zd=zd_tl,
        zd_first_reply=i64(first_reply),
        zd_full=full,
        zd_wait=wait,
        zd_hold=hold,
        zd_satisfaction=_satisfaction(rng, zd_tl, over),
        strategic=strategic,
        over=(sn_over, zd_over, case_over),
        aged=aged,
        repeats=repeats,
    )


def _apply(
    rng: np.random.Generator, t: sv.Tickets, z: Timeline, states: dict[int, int], company: Company
) -> None:
    lookup = np.zeros(8, dtype=np.int64)
    for k, v in states.items():
        lookup[k] = v
    t.state = lookup[z.now_state]
    t.resolved, t.closed, t.reopens, t.updated = z.resolved, z.closed, z.reopens, z.updated
    staff = company.service_staff
    agent = np.where(t.agent >= 0, t.agent, staff[rng.integers(0, len(staff), len(t.agent))])
    t.agent = i64(np.where(t.state == 0, -1, agent))


def _satisfaction(rng: np.random.Generator, z: Timeline, over: BoolArray) -> IntArray:
    """CSAT: offered once solved; unhappier after a breach or a reopen."""
    n = len(over)
    u = rng.random(n)
    unhappy = over | (z.reopens > 0)
    good = np.where(unhappy, 0.35, 0.6)
    bad = np.where(unhappy, 0.3, 0.05)
    score = np.where(u < good, 0, np.where(u < good + bad, 1, np.where(u < 0.9, 2, 3)))
    return i64(np.where(z.resolved >= 0, score, 3))


def _cases(
    rng: np.random.Generator,
    c: sv.Cases,
    strategic: BoolArray,
    renewing: BoolArray,
    kept_open: BoolArray,
) -> BoolArray:
    """Strategic customers' recent cases run to a clock as tickets do (closed after 10-85 %
    of their target, or planted late where there has been time for it: 15-150 % over, or
    still open past it), all done within CAP; a renewing customer's other cases are closed
    within 25 days; `kept_open` (planted aged) are left as they are. Returns the planted
    breaches."""
    cal = clock()
    n = len(c.cust)
    _, res_t = targets(case_priority(c), strategic[c.cust])
    recent = strategic[c.cust] & (day_of(c.created) > D1 - WINDOW)
    window = recent & ~kept_open
    breach = (rng.random(n) < 0.1) & (_so_far(c.created) >= res_t + MARGIN) & (c.wo < 0)
    ratio = np.where(breach, rng.uniform(1.15, 2.5, n), rng.uniform(0.1, 0.85, n))
    closed = cal.add(c.created, np.minimum(i64(res_t * ratio), CAP))
    done = closed <= EXPORT_AT
    reopened = np.where(c.status == 3, 1, c.status)  # Working, when it was closed
    c.closed = i64(np.where(window, np.where(done, closed, -1), c.closed))
    c.status = i64(np.where(window, np.where(done, 3, reopened), c.status))
    by = c.created + 25 * 86400
    late = renewing[c.cust] & ~kept_open & (c.closed < 0) & (by <= EXPORT_AT)
    c.closed = i64(np.where(late, by, c.closed))
    c.status = i64(np.where(late, 3, c.status))
    return (window & breach) | (recent & kept_open)
