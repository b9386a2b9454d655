"""Delivery: work orders, their lines, scope changes and the time logged against them
(time entries cut in `timesheets`).

A job's accepted quote lines are split over one to three phased work orders. Delivered
hours stay within planned hours (an unpriced change is absorbed in the plan's slack), except
on the finished jobs where scope drift was planted, which run a quarter or more over: no job
sits near the drift threshold by chance. Time entries are then cut from those hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import pyarrow as pa

from tieout.demo.catalogue import LIST_PRICE, PRODUCT_INDEX
from tieout.demo.company import D1, Company
from tieout.demo.fmt import BoolArray, IntArray, i64, join, pick, where
from tieout.demo.sales import PRODUCT_TASK, Sales, planned_quarter_hours
from tieout.demo.staffing import in_currency, staff
from tieout.demo.timesheets import INTERNAL, NOTES, SUPPORT_TASK, job_time, support_time
from tieout.demo.vec import expand, line_amount, ranks, round_div, uniform_int

WO_STATUSES: Final = (
    "New", "In Progress", "On Hold", "Completed", "Closed", "Canceled", "Scheduled"
)  # fmt: skip
NEW, IN_PROGRESS, ON_HOLD, COMPLETED, CLOSED, CANCELED, SCHEDULED = range(7)
PRIORITIES: Final = ("Low", "Medium", "High", "Critical")
# delivered hours over planned: ordinary work, planted scope drift, jobs sold too cheap
EFFORT: Final = (0.86, 1.0)
DRIFT_EFFORT: Final = (1.25, 1.45)
CHEAP_EFFORT: Final = (0.95, 1.02)
CHANGE_TEXT: Final = (
    # priced
    "Additional reporting requirements agreed with client",
    "Extra integration endpoint, change request approved",
    "Two further page templates, quoted and signed off",
    # unpriced (scope grew, nobody priced it)
    "Client asked for an extra UAT cycle",
    "Additional training session requested by client",
    "Scope extended: more data sources to migrate",
    # descoped
    "Archive migration removed from scope",
    "Mobile layout deferred to a later phase",
)


@dataclass
class Delivery:
    wo_job: IntArray
    wo_cust: IntArray
    wo_cur: IntArray
    wo_phase: IntArray
    wo_created: IntArray  # epoch seconds
    wo_start: IntArray  # day
    wo_end: IntArray  # day (planned, or actual once completed)
    wo_status: IntArray
    wo_completed: IntArray  # epoch seconds, -1 when not completed
    wo_planned_q: IntArray  # quarter hours: quoted plus priced changes (Duration)
    wo_value: IntArray  # minor units: sum of the work order's lines (TotalPrice)
    wo_rate: IntArray  # blended bill rate per hour, whole units
    wo_number: IntArray
    wo_title: pa.Array
    wo_code_form: IntArray  # Harvest project code: 0 WO-00001234, 1 00001234, 2 blank
    wo_quote_link: BoolArray  # Quote__c filled in
    wo_priority: IntArray
    wo_owner: IntArray
    wo_unbilled: BoolArray  # planted: completed, never invoiced
    job_drift: BoolArray  # planted: hours run well over plan
    job_excess_q: IntArray  # quarter hours delivered beyond plan where drift was planted
    job_tight: BoolArray  # staffed by the cheapest person available: no planted price cuts
    wl_wo: IntArray
    wl_ord: IntArray
    wl_ql: IntArray  # quote line, -1 for a priced change
    wl_prod: IntArray
    wl_q4: IntArray
    wl_unit: IntArray
    wl_list: IntArray
    wl_disc: IntArray
    wl_total: IntArray
    wl_change: IntArray  # change index for change lines, -1 otherwise
    ch_wo: IntArray
    ch_at: IntArray  # epoch seconds
    ch_q: IntArray  # quarter hours, negative when descoped
    ch_value: IntArray  # minor units
    ch_priced: BoolArray
    ch_text: IntArray
    ch_unpriced: BoolArray  # planted: scope grew and nobody priced it
    t_wo: IntArray  # -1 for contract support time
    t_cust: IntArray
    t_cur: IntArray
    t_day: IntArray
    t_person: IntArray
    t_q: IntArray
    t_task: IntArray
    t_billable: BoolArray
    t_bill_rate: IntArray  # whole units per hour
    t_cost_rate: IntArray  # whole units per hour, in the entry's currency
    t_notes: IntArray  # index into NOTES, -1 blank
    t_support: IntArray  # index into SUPPORT_PROJECTS for support time

    @property
    def wo_done(self) -> BoolArray:
        done: BoolArray = (self.wo_status == COMPLETED) | (self.wo_status == CLOSED)
        return done


def _seconds(rng: np.random.Generator, day: IntArray, first_hour: int, last_hour: int) -> IntArray:
    """A time of day within working hours, as epoch seconds."""
    n = len(day)
    return i64(day) * 86400 + rng.integers(first_hour * 3600, last_hour * 3600, n)


def build_delivery(rng: np.random.Generator, company: Company, sales: Sales) -> Delivery:
    n_jobs = sales.n_jobs
    job_cust = sales.opp_cust[:n_jobs]
    job_cur = sales.opp_cur[:n_jobs]
    n_lines = sales.opp_line_count[:n_jobs]
    margin_job = sales.job_margin
    n_wo = np.minimum(n_lines, rng.choice([1, 2, 3], size=n_jobs, p=[0.82, 0.14, 0.04]))
    n_wo = np.where(margin_job, 1, n_wo)  # a job sold too cheap is one work order, long done
    wo_job, wo_phase = expand(n_wo)
    wo_base = np.cumsum(n_wo) - n_wo
    n = len(wo_job)
    cust, cur = job_cust[wo_job], job_cur[wo_job]
    cheap = margin_job[wo_job]

    # quote lines of job j are quote lines [start, start + count) of quote j
    jl_job, jl_ord = expand(n_lines)
    jl_ql = sales.opp_line_start[jl_job] + jl_ord  # == opportunity line == quote line index
    jl_wo = wo_base[jl_job] + jl_ord % n_wo[jl_job]
    jl_q = planned_quarter_hours(sales.ol_prod[jl_ql], sales.ol_q4[jl_ql])
    quoted_q = np.bincount(jl_wo, weights=jl_q, minlength=n).astype(np.int64)

    # effort against plan: ordinary work within it, planted drift well over, cheap jobs on it
    drift_job = (rng.random(n_jobs) < 0.04) & ~margin_job  # kept where the job is finished
    usual = rng.uniform(*EFFORT, n)
    over = np.where(drift_job[wo_job], rng.uniform(*DRIFT_EFFORT, n), usual)
    factor = np.where(cheap, rng.uniform(*CHEAP_EFFORT, n), over)

    # schedule: phases run one after another
    size = np.where(quoted_q < 160, 1, np.where(quoted_q < 600, 2, 3))
    size = np.minimum(3, size + (rng.random(n) < 0.2))
    work_days = np.ceil(quoted_q / 4 * factor / (size * 1.6))  # people are on several jobs
    span = np.clip(np.round(work_days * 7 / 5) + rng.integers(0, 21, n), 3, 240).astype(np.int64)
    span = np.where(cheap, np.minimum(span, 150), span)  # over well before the as-of date
    step = span + rng.integers(0, 11, n)
    before = np.cumsum(step) - step
    offset = before - before[wo_base[wo_job]]
    start = sales.job_accept[wo_job] + rng.integers(3, 22, n)[wo_base[wo_job]] + offset
    end = start + span
    created_day = np.minimum(
        np.minimum(sales.job_accept[wo_job] + rng.integers(1, 5, n), start), D1
    )

    status = np.where(start > D1, NEW, np.where(end > D1, IN_PROGRESS, COMPLETED))
    status = np.where((status == IN_PROGRESS) & (rng.random(n) < 0.07), ON_HOLD, status)
    closed = (status == COMPLETED) & (end < D1 - 45) & (rng.random(n) < 0.85)
    status = np.where(closed, CLOSED, status)
    protected = cheap | (wo_job < 20)
    canceled = (rng.random(n) < 0.015) & ~protected & (status != NEW)
    status = np.where(canceled, CANCELED, status)
    done = (status == COMPLETED) | (status == CLOSED)
    completed = np.where(done, _seconds(rng, end, 9, 18), -1)

    # scope changes: priced (billed as change lines), unpriced (planted), descoped
    keep = (cheap, protected)
    changes = _changes(rng, wo_job, wo_phase, (start, end), status, quoted_q, cur, keep)
    ch_wo, ch_at, ch_q, ch_value, ch_priced, ch_text, ch_unpriced = changes
    priced_q = np.bincount(ch_wo, weights=np.where(ch_priced, ch_q, 0), minlength=n)
    all_q = np.bincount(ch_wo, weights=ch_q, minlength=n)
    planned_q = quoted_q + priced_q.astype(np.int64)

    # work order lines: the quote lines, then one line per priced change
    cr = PRODUCT_INDEX["CR-HR"]
    ch_lines = np.flatnonzero(ch_priced)
    wl_wo = np.r_[jl_wo, ch_wo[ch_lines]]
    order = np.argsort(wl_wo, kind="stable")
    wl_wo = wl_wo[order]
    wl_ql = np.r_[jl_ql, np.full(len(ch_lines), -1)][order]
    wl_change = np.r_[np.full(len(jl_ql), -1), ch_lines][order]
    is_q = wl_ql >= 0
    qsafe = np.where(is_q, wl_ql, 0)
    csafe = np.where(is_q, 0, wl_change)
    wl_prod = np.where(is_q, sales.ol_prod[qsafe], cr)
    wl_q4 = np.where(is_q, sales.ol_q4[qsafe], ch_q[csafe])
    change_price = LIST_PRICE[cr, cur[wl_wo]]
    wl_unit = np.where(is_q, sales.ol_unit[qsafe], change_price)
    wl_list = np.where(is_q, sales.ol_list[qsafe], change_price)
    wl_disc = np.where(is_q, sales.ol_disc[qsafe], 0)
    wl_total = line_amount(wl_q4, wl_unit, wl_disc)
    value = np.bincount(wl_wo, weights=wl_total, minlength=n).astype(np.int64)
    rate = round_div(value * 4, np.maximum(planned_q, 1) * 100)
    per_wo = np.bincount(wl_wo, minlength=n)
    wl_ord = np.arange(len(wl_wo)) - (np.cumsum(per_wo) - per_wo)[wl_wo]
    team, tight = staff(rng, company, value * 4 / np.maximum(planned_q, 1) / 100, cur, cheap)

    # drift is planted only on finished jobs whose people fit their rate; elsewhere effort
    # stays within plan (an unpriced change is worked in the plan's slack, not over it)
    unfinished = np.bincount(wo_job, weights=~(done | canceled), minlength=n_jobs) > 0
    drift_job &= ~unfinished & (np.bincount(wo_job, weights=tight, minlength=n_jobs) == 0)
    drift_job &= np.bincount(wo_job, weights=done, minlength=n_jobs) > 0
    factor = np.where(cheap | drift_job[wo_job], factor, usual)
    basis = np.where(drift_job[wo_job], planned_q, np.clip(quoted_q + all_q, 0, planned_q))

    # unbilled work (planted): a job of one work order, completed a while ago, never invoiced
    unbilled = np.zeros(n, dtype=np.bool_)
    eligible = np.flatnonzero(done & (end < D1 - 20) & ~protected & (n_wo[wo_job] == 1))
    k = min(len(eligible), round(0.025 * n_jobs))
    unbilled[rng.choice(eligible, size=k, replace=False)] = True

    # delivered hours so far, then time entries cut from them
    elapsed = np.clip((D1 - start) / np.maximum(end - start, 1), 0, 1)
    elapsed = np.where(done, 1.0, np.where(status == IN_PROGRESS, elapsed, 0.0))
    elapsed = np.where(status == ON_HOLD, elapsed * 0.8, elapsed)
    delivered_q = i64(np.round(basis * factor * elapsed))
    first_task = PRODUCT_TASK[sales.ol_prod[sales.opp_line_start[wo_job]]]
    entries = job_time(rng, delivered_q, start, np.minimum(end, D1), team, size, first_task)
    excess = np.bincount(wo_job, weights=delivered_q - planned_q, minlength=n_jobs)
    te_wo, te_day, te_person, te_q, te_task = entries
    support = support_time(rng, company, sales, max(1, round(0.1 * len(te_wo))))
    sp_cust, sp_day, sp_person, sp_q, sp_kind = support

    t_wo = np.r_[te_wo, np.full(len(sp_cust), -1)]
    t_cust = np.r_[cust[te_wo], sp_cust]
    t_cur = company.cust_currency[t_cust]
    t_task = np.r_[te_task, np.full(len(sp_cust), SUPPORT_TASK)]
    job_billable = (te_task != INTERNAL) & (rng.random(len(te_wo)) > 0.015)
    billable = np.r_[job_billable, np.zeros(len(sp_cust), np.bool_)]
    t_person = np.r_[te_person, sp_person]
    t_cost = in_currency(company.person_cost[t_person], t_cur)
    t_bill = np.where(billable, np.r_[rate[te_wo], np.zeros(len(sp_cust), np.int64)], 0)
    m = len(t_wo)
    notes = np.where(rng.random(m) < 0.35, -1, rng.integers(0, len(NOTES), m))

    number = 1001 + ranks(created_day * n + np.arange(n))
    return Delivery(
        wo_job=wo_job,
        wo_cust=cust,
        wo_cur=cur,
        wo_phase=wo_phase,
        wo_created=_seconds(rng, created_day, 8, 18),
        wo_start=i64(start),
        wo_end=i64(end),
        wo_status=i64(status),
        wo_completed=i64(completed),
        wo_planned_q=i64(planned_q),
        wo_value=value,
        wo_rate=rate,
        wo_number=number,
        wo_title=_wo_titles(sales, wo_job, wo_phase, n_wo),
        wo_code_form=i64(rng.choice(3, size=n, p=[0.5, 0.3, 0.2])),
        wo_quote_link=rng.random(n) < 0.7,
        wo_priority=i64(rng.choice(4, size=n, p=[0.2, 0.55, 0.2, 0.05])),
        wo_owner=team[:, 0],
        wo_unbilled=unbilled,
        job_drift=drift_job,
        job_excess_q=i64(np.where(drift_job, excess, 0)),
        job_tight=np.bincount(wo_job, weights=tight, minlength=n_jobs) > 0,
        wl_wo=i64(wl_wo),
        wl_ord=i64(wl_ord),
        wl_ql=i64(wl_ql),
        wl_prod=i64(wl_prod),
        wl_q4=i64(wl_q4),
        wl_unit=i64(wl_unit),
        wl_list=i64(wl_list),
        wl_disc=i64(wl_disc),
        wl_total=wl_total,
        wl_change=i64(wl_change),
        ch_wo=ch_wo,
        ch_at=ch_at,
        ch_q=ch_q,
        ch_value=ch_value,
        ch_priced=ch_priced,
        ch_text=ch_text,
        ch_unpriced=ch_unpriced,
        t_wo=i64(t_wo),
        t_cust=i64(t_cust),
        t_cur=i64(t_cur),
        t_day=np.r_[te_day, sp_day],
        t_person=i64(t_person),
        t_q=np.r_[te_q, sp_q],
        t_task=i64(t_task),
        t_billable=billable,
        t_bill_rate=i64(t_bill),
        t_cost_rate=t_cost,
        t_notes=i64(notes),
        t_support=np.r_[np.full(len(te_wo), -1), sp_kind],
    )


def _wo_titles(sales: Sales, wo_job: IntArray, phase: IntArray, n_wo: IntArray) -> pa.Array:
    """The job's project name, with ' - Phase 2' etc. when a job has several work orders."""
    base = sales.opp_title.take(pa.array(wo_job))
    phased = join(base, " - Phase ", pick([str(i) for i in range(1, 4)], phase))
    return where(n_wo[wo_job] > 1, phased, base)


def _changes(
    rng: np.random.Generator,
    wo_job: IntArray,
    phase: IntArray,
    dates: tuple[IntArray, IntArray],
    status: IntArray,
    quoted_q: IntArray,
    cur: IntArray,
    keep: tuple[BoolArray, BoolArray],
) -> tuple[IntArray, IntArray, IntArray, IntArray, BoolArray, IntArray, BoolArray]:
    """Scope amendments. Priced ones are billed; unpriced growth is the planted leak. Work
    sold too cheap stays as sold (`keep[0]`); protected work gets no planted change."""
    start, end = dates
    cheap, protected = keep
    n = len(wo_job)
    live = (status != NEW) & (status != CANCELED) & (start <= D1 - 5) & ~cheap
    hours = quoted_q / 4
    priced = np.flatnonzero(live & (rng.random(n) < 0.06))
    descoped = np.flatnonzero(live & (rng.random(n) < 0.01))
    n_jobs = int(wo_job.max()) + 1 if n else 0
    first_live = np.flatnonzero(live & (phase == 0) & ~protected)
    k = min(len(first_live), round(0.03 * n_jobs))
    unpriced = np.sort(rng.choice(first_live, size=k, replace=False))
    wo = np.r_[priced, unpriced, descoped]
    kind = np.r_[np.zeros(len(priced)), np.ones(len(unpriced)), np.full(len(descoped), 2)].astype(
        np.int64
    )
    m = len(wo)
    share = np.where(kind == 0, rng.uniform(0.05, 0.2, m), rng.uniform(0.12, 0.35, m))
    share = np.where(kind == 2, -rng.uniform(0.05, 0.15, m), share)
    whole = np.round(hours[wo] * share)
    q = i64(4 * np.where(share > 0, np.maximum(1, whole), np.minimum(-1, whole)))
    price = LIST_PRICE[PRODUCT_INDEX["CR-HR"], cur[wo]]
    value = np.where(kind == 0, q * price * 25, 0)
    last = np.minimum(end[wo], D1)
    day = uniform_int(rng, start[wo], np.maximum(start[wo], last - 1))
    order = np.lexsort((wo, day))
    text = kind * 3 + rng.integers(0, 3, m)
    text = np.where(kind == 2, 6 + rng.integers(0, 2, m), text)
    return (
        i64(wo[order]),
        _seconds(rng, day[order], 9, 18),
        q[order],
        i64(value[order]),
        (kind == 0)[order],
        i64(text[order]),
        (kind == 1)[order],
    )
