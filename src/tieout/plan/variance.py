"""Plan against actual: each target of a version measured with the governed metric layer.

One rule for every unit, so a threshold means the same thing everywhere:
- variance = actual - target, in the metric's unit: reporting currency for money, a count
  for counts, hours for hours, percentage points for a percent metric (a 25 % SQL rate
  against 30 % is -5 points);
- variance % = variance / target * 100, relative to the target for every unit (the same
  -5 points is -16.67 %), compared with the plan's threshold: beyond it (strictly) the
  variance needs a written explanation by the review date;
- a money, count or hours metric with no facts for the member is 0; a percent metric with
  none has no actual (a rate of nothing), so no variance and nothing to explain;
- a target of 0 has no variance %; any actual other than 0 then needs an explanation.
Periods still running are measured to the as-of date.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tieout.engine import Warehouse
from tieout.errors import TieoutError
from tieout.metrics import Catalogue, Period, compute
from tieout.state.models import PlanTargetRow, VarianceExplanation
from tieout.state.plans import PlanContent, TargetKey

CENT = Decimal("0.01")
PCT_LIMIT = Decimal("99999.99")  # what plan_variance.variance_pct holds; beyond shows capped


@dataclass(frozen=True)
class Variance:
    plan: str
    version: int
    period: str
    period_start: dt.date
    metric: str
    dimension: str | None
    member: str | None
    unit: str
    target: Decimal
    actual: Decimal | None
    variance: Decimal | None
    variance_pct: Decimal | None
    threshold_pct: Decimal
    review_date: dt.date
    started: bool
    needs_explanation: bool
    explanation: str | None
    explained_by: str | None


def review_date(period_start: dt.date, cadence: str, review_day: int) -> dt.date:
    """Day `review_day` of the month after the period (quarterly: after its quarter)."""
    month = period_start.month
    if cadence == "quarterly":
        month = (month - 1) // 3 * 3 + 3
    year, month = (period_start.year + 1, 1) if month == 12 else (period_start.year, month + 1)
    return dt.date(year, month, review_day)


def measure(
    wh: Warehouse,
    catalogue: Catalogue,
    found: PlanContent,
    explained: dict[TargetKey, VarianceExplanation],
    currency: str,
    as_of: dt.date,
) -> tuple[list[Variance], list[str]]:
    """Every target of the version against its actual; the second list says which targets
    could not be measured and why (a metric or split the catalogue no longer has)."""
    groups: dict[tuple[str, str | None, str], list[PlanTargetRow]] = defaultdict(list)
    for t in found.targets:
        groups[t.metric, t.dimension, t.period].append(t)
    actuals: dict[int, Decimal | None] = {}
    problems: list[str] = []
    for (metric, dimension, label), targets in groups.items():
        month = Period.month(label)
        if month.start > as_of:
            continue
        try:
            result = compute(
                wh,
                catalogue,
                metric,
                by=[dimension] if dimension else [],
                period=Period(month.start, min(month.end, as_of), label),
                compare=None,
                currency=currency,
                as_of=as_of,
            )
        except TieoutError as exc:
            problems.append(f"plan {found.version.plan} {label} {metric}: {exc}")
            continue
        by_member: dict[str, Decimal | None] = {}
        if dimension:
            keys = [dimension, "account_key"] if dimension == "customer" else [dimension]
            for row in result.rows:
                for k in keys:
                    if row.get(k) is not None:
                        by_member[str(row[k]).strip().casefold()] = row["value"]
        for t in targets:
            value = by_member.get(str(t.member).strip().casefold()) if dimension else result.total
            zero = Decimal("0.00") if result.metric.unit != "percent" else None
            actuals[t.id] = value if value is not None else zero
    units: dict[str, str] = {name: m.unit for name, m in catalogue.metrics.items()}
    return [_variance(found, t, units, actuals, explained, as_of) for t in found.targets], problems


def _variance(
    found: PlanContent,
    t: PlanTargetRow,
    units: dict[str, str],
    actuals: dict[int, Decimal | None],
    explained: dict[TargetKey, VarianceExplanation],
    as_of: dt.date,
) -> Variance:
    v = found.version
    start = Period.month(t.period).start
    target = Decimal(t.value).quantize(CENT)  # plan files give at most two decimals
    actual = actuals.get(t.id)
    variance = pct = None
    needs = False
    if actual is not None:
        variance = actual - target
        if target:
            exact = variance / target * 100
            pct = max(-PCT_LIMIT, min(PCT_LIMIT, exact.quantize(CENT)))
            needs = abs(exact) > v.threshold_pct
        else:
            needs = variance != 0
    note = explained.get((t.period, t.metric, t.dimension, t.member))
    return Variance(
        plan=v.plan,
        version=v.version,
        period=t.period,
        period_start=start,
        metric=t.metric,
        dimension=t.dimension,
        member=t.member,
        unit=units.get(t.metric, "unknown"),
        target=target,
        actual=actual,
        variance=variance,
        variance_pct=pct,
        threshold_pct=Decimal(v.threshold_pct),
        review_date=review_date(start, v.cadence, v.review_day),
        started=start <= as_of,
        needs_explanation=needs,
        explanation=note.text if note else None,
        explained_by=note.by if note else None,
    )


def stored(
    wh: Warehouse, plan: str, explained: dict[TargetKey, VarianceExplanation]
) -> list[Variance]:
    """The plan's variances as the last run measured them (`plan_variance`: the approved
    version's targets whose period has started), with today's explanations, so one written
    since the run counts at once."""
    rows = wh.query_dicts(
        "SELECT * FROM plan_variance WHERE plan = :plan "
        "ORDER BY period_start, metric, dimension NULLS FIRST, member NULLS FIRST",
        {"plan": plan},
    )
    found = []
    for r in rows:
        period = f"{r['period_start']:%Y-%m}"
        note = explained.get((period, r["metric"], r["dimension"], r["member"]))
        found.append(
            Variance(
                plan=r["plan"],
                version=r["version"],
                period=period,
                period_start=r["period_start"],
                metric=r["metric"],
                dimension=r["dimension"],
                member=r["member"],
                unit=r["unit"],
                target=Decimal(r["target"]).quantize(CENT),
                actual=_cents(r["actual"]),
                variance=_cents(r["variance"]),
                variance_pct=_cents(r["variance_pct"]),
                threshold_pct=r["threshold_pct"],
                review_date=r["review_date"],
                started=True,
                needs_explanation=r["needs_explanation"],
                explanation=note.text if note else r["explanation"],
                explained_by=note.by if note else None,
            )
        )
    return found


def _cents(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(CENT)


def variance_row(v: Variance, as_of: dt.date) -> dict[str, Any]:
    """One target as people read it, with its state: explained, within threshold, or by
    when it must be explained."""
    if not v.started:
        state = "not started"
    elif v.explanation:
        state = "explained"
    elif not v.needs_explanation:
        state = "within threshold" if v.actual is not None else "no actual"
    elif v.review_date < as_of:
        state = f"OVERDUE since {v.review_date}"
    else:
        state = f"explain by {v.review_date}"
    return {
        "period": v.period,
        "metric": v.metric,
        "dimension": v.dimension,
        "member": v.member,
        "unit": v.unit,
        "target": v.target,
        "actual": v.actual,
        "variance": v.variance,
        "variance_pct": v.variance_pct,
        "threshold_pct": v.threshold_pct,
        "needs_explanation": v.needs_explanation,
        "review_date": v.review_date,
        "state": state,
        "explanation": v.explanation,
        "explained_by": v.explained_by,
    }
