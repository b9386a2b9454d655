"""The joint plan: approved targets measured against actuals, variances that need a reason.

Entry point `run(wh, project, store, as_of) -> PlanSummary`, after metrics and before
reconcile: copies the latest approved version of every plan from the state store into
`plan_target` and `plan_commitment`, fills `plan_variance` for every target whose period
has started (see `variance` for how units are treated) and `campaign_commitment`, each
campaign's commitment from the plan or the CRM against actual (see `commitments`). The
rules `unexplained_variance` and `spend_without_commitment` read these tables.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from tieout.config import LoadedProject
from tieout.engine import Warehouse
from tieout.plan import commitments as campaign_commitments
from tieout.plan.variance import Variance, measure, review_date
from tieout.state import StateStore
from tieout.state.plans import approved, explanations

__all__ = [
    "PlanSummary",
    "Variance",
    "measure",
    "review_date",
    "run",
]


@dataclass(frozen=True)
class PlanSummary:
    plans: int
    targets: int
    measured: int
    needing_explanation: int
    problems: tuple[str, ...]  # targets that could not be measured, and why


def run(wh: Warehouse, project: LoadedProject, store: StateStore, as_of: dt.date) -> PlanSummary:
    catalogue = project.definitions.metrics
    currency = project.config.reporting_currency
    targets: list[dict[str, Any]] = []
    commitments: list[dict[str, Any]] = []
    variances: list[Variance] = []
    problems: list[str] = []
    plans = approved(store)
    for found in plans:
        v = found.version
        for t in found.targets:
            targets.append(
                {
                    "plan": v.plan,
                    "version": v.version,
                    "period_start": dt.date.fromisoformat(f"{t.period}-01"),
                    "metric": t.metric,
                    "dimension": t.dimension,
                    "member": t.member,
                    "target": t.value,
                    "approved_by": v.approved_by,
                    "approved_at": v.approved_at,
                }
            )
        for c in found.commitments:
            commitments.append(
                {
                    "plan": v.plan,
                    "version": v.version,
                    "campaign": c.campaign,
                    "metric": c.metric,
                    "value": c.value,
                    "committed_by": c.committed_by,
                }
            )
        rows, trouble = measure(wh, catalogue, found, explanations(store, v.plan), currency, as_of)
        variances += [r for r in rows if r.started]
        problems += trouble
    _insert(wh, "plan_target", targets)
    _insert(wh, "plan_commitment", commitments)
    _insert(wh, "plan_variance", [_row(r) for r in variances])
    problems += campaign_commitments.build(wh, catalogue, currency, as_of)
    return PlanSummary(
        len(plans),
        len(targets),
        len(variances),
        sum(r.needs_explanation for r in variances),
        tuple(problems),
    )


def _row(v: Variance) -> dict[str, Any]:
    return {
        "plan": v.plan,
        "version": v.version,
        "period_start": v.period_start,
        "metric": v.metric,
        "dimension": v.dimension,
        "member": v.member,
        "target": v.target,
        "actual": v.actual,
        "variance": v.variance,
        "variance_pct": v.variance_pct,
        "threshold_pct": v.threshold_pct,
        "review_date": v.review_date,
        "needs_explanation": v.needs_explanation,
        "explanation": v.explanation,
        "unit": v.unit,
    }


def _insert(wh: Warehouse, table: str, rows: list[dict[str, Any]]) -> None:
    """Replace the table's rows with these, in one set-based insert."""
    wh.execute(f"DELETE FROM {table}")
    if not rows:
        return
    name = f"_plan_{table}_in"
    wh.register_arrow(name, pa.Table.from_pylist(rows))
    try:
        wh.execute(f"INSERT INTO {table} BY NAME SELECT * FROM {name}")
    finally:
        wh.unregister(name)
