"""Commission on realised margin per rep, from the same metric the margin report shows.

A rep's basis for the period is the basis metric (margin by default: revenue net of credit
notes, less cost) summed over their jobs, so scope changes and discounts granted after the
quote are in it, and a credit note claws back in the month it is issued. The basis is cut
into the plan's marginal tiers; a negative basis is clawed back at the first tier's rate.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from tieout.config.metrics import Catalogue
from tieout.config.project import CommissionPlan
from tieout.engine import Warehouse
from tieout.metrics.query import compute
from tieout.periods import Period

CENT = Decimal("0.01")
NO_REP = "(no rep)"
NO_JOB = "(no job)"


@dataclass(frozen=True)
class JobLine:
    rep: str
    job_key: str | None
    job: str
    basis: Decimal


@dataclass(frozen=True)
class RepLine:
    rep: str
    jobs: int
    basis: Decimal
    commission: Decimal

    @property
    def rate_pct(self) -> Decimal | None:
        return (self.commission * 100 / self.basis).quantize(CENT) if self.basis else None


@dataclass(frozen=True)
class CommissionReport:
    period: Period
    basis_metric: str
    basis_version: int
    reps: list[RepLine]
    jobs: list[JobLine]
    basis_total: Decimal  # the basis metric's own total for the period: the reps add up to it


def commission_report(
    wh: Warehouse,
    catalogue: Catalogue,
    plan: CommissionPlan,
    period: Period,
    currency: str,
    as_of: dt.date,
) -> CommissionReport:
    """The plan's basis was checked when the project loaded: a money metric split by rep
    and job."""
    metric = catalogue.get(plan.basis)
    result = compute(
        wh,
        catalogue,
        plan.basis,
        by=["rep", "job"],
        period=period,
        compare=None,
        currency=currency,
        as_of=as_of,
    )
    labels = _job_labels(wh)
    jobs = [
        JobLine(
            rep=r["rep"] or NO_REP,
            job_key=r["job"],
            job=labels.get(r["job"], r["job"]) if r["job"] else NO_JOB,
            basis=r["value"] or Decimal(0),
        )
        for r in result.rows
    ]
    reps: dict[str, list[JobLine]] = {}
    for job in jobs:
        reps.setdefault(job.rep, []).append(job)
    lines = [
        RepLine(rep, len(items), basis, tiered(basis, plan))
        for rep, items in sorted(reps.items())
        for basis in [sum((j.basis for j in items), Decimal(0))]
    ]
    return CommissionReport(
        period, metric.name, metric.version, lines, jobs, result.total or Decimal(0)
    )


def tiered(basis: Decimal, plan: CommissionPlan) -> Decimal:
    """Marginal tiers on a positive basis; a negative one is clawed back at the first rate."""
    if basis <= 0:
        return (basis * plan.tiers[0].rate_pct / 100).quantize(CENT, ROUND_HALF_UP)
    total, floor = Decimal(0), Decimal(0)
    for tier in plan.tiers:
        top = basis if tier.up_to is None else min(basis, tier.up_to)
        if top > floor:
            total += (top - floor) * tier.rate_pct / 100
        if tier.up_to is None or basis <= tier.up_to:
            break
        floor = tier.up_to
    return total.quantize(CENT, ROUND_HALF_UP)


def _job_labels(wh: Warehouse) -> dict[str, str]:
    """A job as people know it: its quote number, else its work order numbers."""
    rows = wh.query(
        """
        SELECT j.job_key,
               coalesce('quote ' || any_value(q.quote_number),
                        'WO ' || string_agg(DISTINCT w.work_order_number, ', '))
        FROM job j
        LEFT JOIN quote q ON q.id = j.quote_id
        LEFT JOIN work_order w ON w.id = j.work_order_id
        GROUP BY j.job_key
        """
    )
    return {str(k): str(v) for k, v in rows if v is not None}
