"""Service as it ran in time: SLA clocks with pauses and reopens, aged cases, repeat issues.

`plan_service` rewrites the ServiceNow incidents' and Zendesk tickets' life cycles (see
`timeline`) from their opening times, so their states, resolution times and reopen counts
agree with a full state history; and it plants what service leads look for:
- strategic customers' recent tickets mostly inside their SLA, about one in ten well over it,
  and none within five minutes of the target (whatever way a clock rounds, it agrees);
- tickets stuck open for over a month, among them at customers whose contract renews soon;
- repeat issues: three or four recent tickets of one customer about the same thing.
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
from tieout.demo.fmt import BoolArray, IntArray, i64
from tieout.demo.sales import Sales
from tieout.demo.timeline import HOLD, PENDING, RESOLVED, Timeline

EXPORT_AT: Final = sv.NOW  # the exports were taken at 18:00 on the as-of date
CLOCK_END: Final = (D1 + 1) * 86400  # where the clocks of open tickets stand
WINDOW: Final = 90  # sla_breach_strategic: opened in the 90 days before the as-of date
AGED: Final = 30
REPEAT: Final = 30
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


def day_of(t: IntArray) -> IntArray:
    return i64(i64(t) // 86400)


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


def _renewing(sales: Sales, n_cust: int) -> BoolArray:
    """Customers with an Activated contract renewing (EndDate + 1) within 90 days."""
    live = (sales.k_start <= D1) & (sales.k_end > D1) & (sales.k_end <= D1 + 90)
    out = np.zeros(n_cust, dtype=np.bool_)
    out[sales.k_cust[live]] = True
    return out


def _plant_aged(
    rng: np.random.Generator, service: sv.Service, renewing: BoolArray
) -> tuple[BoolArray, BoolArray]:
    """Tickets stuck open: about 1 % of those opened 1-7 months ago, plus, at about half of
    the customers whose contract renews within 90 days (at least one, never all), one of
    their tickets of that age in any system (a Salesforce case is simply reopened)."""
    sn, zd, cs = service.servicenow, service.zendesk, service.cases
    stuck = []
    for t in (sn, zd):
        day = day_of(t.opened)
        old = (day <= D1 - AGED - 1) & (day >= D1 - 210)
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
    plant = (u < 0.5) & has
    if has.any() and not plant.any():
        plant[np.argmax(has)] = True
    if len(custs) >= 2 and plant.all():
        plant[-1] = False
    for row, chosen in zip(found, plant.tolist(), strict=True):
        if not chosen:
            continue
        flat = [(k, int(i)) for k, f in enumerate(row) for i in f]
        k, i = flat[int(rng.integers(len(flat)))]
        if k < 2:
            stuck[k][i] = True
        else:
            cs.closed[i], cs.status[i] = -1, 1  # Working
    return stuck[0], stuck[1]


def _old(opened: IntArray, mine: BoolArray) -> IntArray:
    """Indexes of `mine` opened 31 to 200 days before the as-of date."""
    day = day_of(opened)
    return np.flatnonzero(mine & (day <= D1 - AGED - 1) & (day >= D1 - 200))


def _plant_repeats(
    rng: np.random.Generator, cust: IntArray, opened: IntArray, k: int, fields: list[IntArray]
) -> None:
    """Three or four recent tickets of k customers get the first one's category fields."""
    recent = day_of(opened) > D1 - REPEAT
    idx = np.flatnonzero(recent)
    counts = np.bincount(cust[idx], minlength=int(cust.max(initial=0)) + 1)
    eligible = np.flatnonzero(counts >= 3)
    if not len(eligible):
        return
    chosen = rng.choice(eligible, size=min(k, len(eligible)), replace=False)
    for c in np.sort(chosen).tolist():
        mine = idx[cust[idx] == c]
        m = min(len(mine), int(rng.integers(3, 5)))
        group = np.sort(rng.choice(mine, size=m, replace=False))
        for f in fields:
            f[group] = f[group[0]]


def _sn_inputs(
    rng: np.random.Generator, t: sv.Tickets, strategic: BoolArray, stuck: BoolArray
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
    work = _work(rng, t.opened, res_t, window, stuck)
    work = np.where(canceled, i64(res_t * rng.uniform(0.02, 0.3, n)), work)
    response = i64(resp_t * rng.lognormal(np.log(0.35), 0.8, n))
    return response, work, pauses, canceled, window


def _work(
    rng: np.random.Generator, opened: IntArray, res_t: IntArray, window: BoolArray, stuck: BoolArray
) -> IntArray:
    """Working seconds each ticket's clock runs: mostly inside target; about one in ten of
    strategic customers' recent tickets 15-150 % over; stuck tickets well past today."""
    n = len(opened)
    usual = rng.lognormal(np.log(0.45), 0.75, n)
    breach = rng.random(n) < 0.1
    chosen = np.where(breach, rng.uniform(1.15, 2.5, n), rng.uniform(0.1, 0.85, n))
    ratio = np.where(window, chosen, usual)
    cal = clock()
    so_far = cal.between(opened, np.full(n, EXPORT_AT))
    late = i64(so_far * rng.uniform(1.3, 3.0, n)) + res_t
    return i64(np.where(stuck, late, res_t * ratio))


def _zd_inputs(
    rng: np.random.Generator, t: sv.Tickets, strategic: BoolArray, stuck: BoolArray
) -> tuple[IntArray, IntArray, tl.Pauses, BoolArray]:
    n = len(t.cust)
    window = strategic[t.cust] & (day_of(t.opened) > D1 - WINDOW)
    resp_t, res_t = targets(zd_priority(t), strategic[t.cust])
    pending = i64(rng.choice(3, size=n, p=[0.55, 0.3, 0.15]))
    holds = i64(rng.choice(2, size=n, p=[0.9, 0.1])) + stuck
    pauses = tl.draw_pauses(rng, (PENDING, HOLD, RESOLVED), [pending, holds, t.reopens], (6, 8, 3))
    work = _work(rng, t.opened, res_t, window, stuck)
    response = i64(resp_t * rng.lognormal(np.log(0.3), 0.8, n))
    return response, work, pauses, window


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
    """Rewrite tickets' life cycles and plant the service exceptions (see module docstring)."""
    sn, zd, cases = service.servicenow, service.zendesk, service.cases
    sn.opened, zd.opened = _nudge(sn.opened), _nudge(zd.opened)
    cases.created = _nudge(cases.created)
    _renumber(sn, 10001)
    _renumber(zd, 1000)
    strategic = np.array([c.tier == "Strategic" for c in company.customers], dtype=np.bool_)
    renewing = _renewing(sales, len(company.customers))

    k = max(1, round(2 * scale))
    sn_fields = [sn.category, sn.subcategory, sn.subject, sn.group]
    _plant_repeats(rng, sn.cust, sn.opened, k + 1, sn_fields)
    _plant_repeats(rng, zd.cust, zd.opened, k, [zd.subject, zd.category])
    free = cases.wo < 0  # cases behind a work order keep what they were raised for
    sub = np.flatnonzero(free)
    reason, kind = cases.reason[sub], cases.kind[sub]
    _plant_repeats(rng, cases.cust[sub], cases.created[sub], k, [reason, kind])
    cases.reason[sub], cases.kind[sub] = reason, kind

    sn_stuck, zd_stuck = _plant_aged(rng, service, renewing)
    response, work, pauses, canceled, sn_window = _sn_inputs(rng, sn, strategic, sn_stuck)
    _, sn_res = targets(sn_priority(sn), strategic[sn.cust])
    for attempt in range(6):  # move strategic tickets off their target, where they sit on it
        sn_tl = tl.build(sn.opened, response, work, pauses, canceled, 3, CLOCK_END)
        ran = tl.running_seconds(sn_tl, len(sn.cust), CLOCK_END)
        close = sn_window & (np.abs(ran - sn_res) < MARGIN)
        if not close.any() or attempt == 5:
            break
        _move_off(close, sn_stuck, work, sn_res, pauses)

    z_resp, z_work, z_pauses, zd_window = _zd_inputs(rng, zd, strategic, zd_stuck)
    _, zd_res = targets(zd_priority(zd), strategic[zd.cust])
    no_cancel = np.zeros(len(zd.cust), dtype=np.bool_)
    for attempt in range(6):
        zd_tl = tl.build(zd.opened, z_resp, z_work, z_pauses, no_cancel, 4, CLOCK_END)
        paused = _zd_minutes(zd_tl, zd.opened)[3]
        close = zd_window & (np.abs(zd_elapsed(zd_tl, zd.opened, paused) - zd_res) < MARGIN)
        if not close.any() or attempt == 5:
            break
        _move_off(close, zd_stuck, z_work, zd_res, z_pauses)

    _apply(rng, sn, sn_tl, SN_STATE, company)
    _apply(rng, zd, zd_tl, ZD_STATE, company)
    full, wait, hold, paused = _zd_minutes(zd_tl, zd.opened)
    first_reply = np.where(zd_tl.first_response >= 0, (zd_tl.first_response - zd.opened) // 60, -1)
    over = zd_elapsed(zd_tl, zd.opened, paused) > zd_res
    _cases(rng, cases, strategic)
    return ServiceTimes(
        sn=sn_tl,
        zd=zd_tl,
        zd_first_reply=i64(first_reply),
        zd_full=full,
        zd_wait=wait,
        zd_hold=hold,
        zd_satisfaction=_satisfaction(rng, zd_tl, over),
        strategic=strategic,
    )


def _move_off(
    close: BoolArray, stuck: BoolArray, work: IntArray, res_t: IntArray, pauses: tl.Pauses
) -> None:
    """A ticket whose clock ends within MARGIN of its target: an ordinary one is resolved in
    half its target instead; a stuck one spent half as long paused."""
    work[close & ~stuck] = res_t[close & ~stuck] // 2
    shrink = (close & stuck)[pauses.ticket]
    pauses.seconds[shrink] = pauses.seconds[shrink] // 2


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


def _cases(rng: np.random.Generator, c: sv.Cases, strategic: BoolArray) -> None:
    """Strategic customers' recent closed cases: resolved like tickets (mostly in time, one
    in ten late), each ending well clear of its target."""
    cal = clock()
    n = len(c.cust)
    _, res_t = targets(case_priority(c), strategic[c.cust])
    window = strategic[c.cust] & (day_of(c.created) > D1 - WINDOW)
    breach = rng.random(n) < 0.1
    ratio = np.where(breach, rng.uniform(1.15, 2.5, n), rng.uniform(0.1, 0.85, n))
    redo = window & (c.wo < 0) & (c.closed >= 0)
    closed = cal.add(c.created, i64(res_t * ratio))
    redo &= closed <= EXPORT_AT
    c.closed = i64(np.where(redo, closed, c.closed))
    end = np.where(c.closed >= 0, c.closed, CLOCK_END)
    close = window & (np.abs(cal.between(c.created, end) - res_t) < MARGIN)
    early = cal.add(c.created, res_t // 2)
    fix = close & (early <= EXPORT_AT)
    c.closed = i64(np.where(fix, early, c.closed))
    c.status = i64(np.where(fix, 3, c.status))
