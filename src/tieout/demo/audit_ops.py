"""Ground truth of the delivery and marketing rules (onboarding_overdue, capacity_risk,
unexplained_variance, spend_without_commitment), evaluated on the generated data exactly as
DEFINITIONS words them: from the generator's own day numbers, quarter hours and counts."""

from __future__ import annotations

from collections import defaultdict
from typing import Final

import numpy as np

from tieout.demo import delivery as dv
from tieout.demo.audit import Finding, Ref, _currency
from tieout.demo.calendar import clock
from tieout.demo.capacity import Capacity
from tieout.demo.company import D1, Company
from tieout.demo.fmt import i64, id_list
from tieout.demo.keys import Keys
from tieout.demo.marketing import Campaigns
from tieout.demo.onboarding import COMPLETED, Onboarding
from tieout.demo.plan import THRESHOLD_PCT, Plan, plan_span, review_day

NO_AMOUNT: Final = (0, "GBP")
DEMAND: Final = (dv.NEW, dv.SCHEDULED, dv.IN_PROGRESS, dv.ON_HOLD)
PLANNED: Final = (dv.NEW, dv.SCHEDULED)


def milestone_ids(n: int) -> list[str]:
    return [f"OBM-{i + 1:06d}" for i in range(n)]


def onboarding_overdue(ob: Onboarding) -> list[Finding]:
    ids = milestone_ids(len(ob.step))
    late = (ob.status != COMPLETED) & (ob.completed < 0) & (ob.due < D1)
    return [
        Finding("onboarding_overdue", (Ref("salesforce", "onboarding_milestone", ids[i]),),
                *NO_AMOUNT)
        for i in np.flatnonzero(late).tolist()
    ]  # fmt: skip


def _monday(day: int) -> int:
    return (day + 3) // 7 * 7 - 3


def team_weeks(
    company: Company, dl: dv.Delivery, cap: Capacity, weeks: set[tuple[str, int]]
) -> dict[tuple[str, int], tuple[float, float]]:
    """(demand, available) hours of each (team, Monday) asked for."""
    cal = clock()
    team = np.asarray(cap.department, dtype=object)
    active = np.array([p.active for p in company.people], dtype=np.bool_)
    wos = np.flatnonzero(np.isin(dl.wo_status, DEMAND))
    start, end = dl.wo_start[wos], dl.wo_end[wos]
    span = cal.working_days(start, end)
    off_days = cal.working_days(cap.off_start, cap.off_end)
    out = {}
    for t, monday in sorted(weeks):
        sunday = monday + 6
        sel = team[dl.wo_owner[wos]] == t
        mine = wos[sel]
        days = cal.working_days(np.maximum(start[sel], monday), np.minimum(end[sel], sunday))
        lumped = (span[sel] == 0) & (start[sel] >= monday) & (start[sel] <= sunday)
        share = np.where(span[sel] > 0, days / np.maximum(span[sel], 1), lumped.astype(float))
        demand = float(np.sum(dl.wo_planned_q[mine] / 4 * share))
        wd = int(cal.working_days(i64([monday]), i64([sunday]))[0])
        members = np.flatnonzero(active & (team == t))
        avail = float(np.sum(cap.weekly_q[members] / 4 / 5 * wd))
        on = np.isin(cap.off_person, members) & (cap.off_start <= sunday) & (cap.off_end >= monday)
        inside = cal.working_days(
            np.maximum(cap.off_start[on], monday), np.minimum(cap.off_end[on], sunday)
        )
        avail -= float(np.sum(cap.off_q[on] / 4 * inside / np.maximum(off_days[on], 1)))
        out[(t, monday)] = (demand, avail)
    return out


def capacity_risk(company: Company, dl: dv.Delivery, cap: Capacity, keys: Keys) -> list[Finding]:
    team = np.asarray(cap.department, dtype=object)
    due = np.flatnonzero(np.isin(dl.wo_status, PLANNED) & (dl.wo_start > D1))
    asked = {(str(team[dl.wo_owner[w]]), _monday(int(dl.wo_start[w]))) for w in due.tolist()}
    weeks = team_weeks(company, dl, cap, asked)
    wo_ids = id_list(keys.work_order)
    out = []
    for w in due[np.lexsort((due, dl.wo_start[due]))].tolist():
        demand, avail = weeks[(str(team[dl.wo_owner[w]]), _monday(int(dl.wo_start[w])))]
        if demand > avail:
            out.append(
                Finding(
                    "capacity_risk",
                    (Ref("salesforce", "WorkOrder", wo_ids[w]),),
                    int(dl.wo_value[w]),
                    _currency(int(dl.wo_cur[w])),
                )
            )
    return out


def unexplained_variance(plan: Plan, keys: Keys) -> list[Finding]:
    ids = id_list(keys.campaign)
    out = []
    for c, m, actual, target in zip(
        plan.campaign, plan.month, plan.actual, plan.target, strict=True
    ):
        over = abs(int(actual) - int(target)) * 100 > THRESHOLD_PCT * int(target)
        if over and review_day(int(m)) < D1:
            out.append(Finding("unexplained_variance", (Ref("salesforce", "Campaign", ids[c]),),
                               *NO_AMOUNT))  # fmt: skip
    return out


def spend_without_commitment(plan: Plan, campaigns: Campaigns, keys: Keys) -> list[Finding]:
    ids = id_list(keys.campaign)
    first, last = plan_span(plan.month)
    start = campaigns.start
    hit = (plan.spend > 0) & (start >= first) & (start <= last)
    hit[plan.committed] = False
    return [
        Finding("spend_without_commitment", (Ref("salesforce", "Campaign", ids[c]),),
                int(plan.spend[c]), "GBP")
        for c in np.flatnonzero(hit).tolist()
    ]  # fmt: skip


def ops_findings(
    company: Company,
    dl: dv.Delivery,
    cap: Capacity,
    ob: Onboarding,
    plan: Plan,
    campaigns: Campaigns,
    keys: Keys,
) -> list[Finding]:
    return (
        onboarding_overdue(ob)
        + capacity_risk(company, dl, cap, keys)
        + unexplained_variance(plan, keys)
        + spend_without_commitment(plan, campaigns, keys)
    )


def over_weeks(company: Company, dl: dv.Delivery, cap: Capacity) -> dict[str, list[int]]:
    """Over-committed weeks ahead (Mondays, 26 weeks from the as-of week) by team: for the
    test and the report, not a rule."""
    teams = sorted({cap.department[int(o)] for o in dl.wo_owner[np.isin(dl.wo_status, DEMAND)]})
    first = _monday(D1)
    asked = {(t, first + 7 * k) for t in teams for k in range(26)}
    weeks = team_weeks(company, dl, cap, asked)
    out: dict[str, list[int]] = defaultdict(list)
    for (t, monday), (demand, avail) in sorted(weeks.items()):
        if demand > avail:
            out[t].append(monday)
    return dict(out)
