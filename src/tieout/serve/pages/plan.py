"""The joint sales and marketing plan: its versions and their approval by a second person,
plan against actual for the approved version, the variances that need a written reason,
the funnel by campaign cohort, and sales' commitment for each cohort against actual."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from tieout.engine import Warehouse
from tieout.errors import UsageError
from tieout.operations.views import commitment_rows, funnel_rows
from tieout.periods import Period
from tieout.plan.variance import stored, variance_row
from tieout.serve import data
from tieout.serve.permits import Viewer, permits
from tieout.serve.render import reading, render
from tieout.serve.security import Caller, allowed, check_csrf
from tieout.state.plans import approve, explain, explanations, versions
from tieout.state.store import StateStore

router = APIRouter()
VERSION_COLUMNS = (
    "plan",
    "version",
    "status",
    "title",
    "author",
    "created_at",
    "approved_by",
    "approved_at",
    "source_file",
    "cadence",
    "review_day",
    "threshold_pct",
)


def plans(wh: Warehouse, store: StateStore) -> list[dict[str, Any]]:
    """Every plan: its versions, and the approved version's targets against actual as the
    last run measured them (with explanations written since)."""
    as_of = data.health_as_of(wh)
    found: dict[str, dict[str, Any]] = {}
    for v in versions(store):
        entry = found.setdefault(v.plan, {"plan": v.plan, "versions": [], "approved": None})
        entry["versions"].append({c: getattr(v, c) for c in VERSION_COLUMNS})
        if v.status == "approved":
            entry["approved"] = v.version
    for name, entry in found.items():
        measured = stored(wh, name, explanations(store, name))
        rows = [variance_row(v, as_of) for v in measured]
        entry["measured"] = measured[0].version if measured else None
        entry["threshold_pct"] = measured[0].threshold_pct if measured else None
        entry["variance"] = rows
        entry["to_explain"] = [r for r in rows if r["needs_explanation"] and not r["explanation"]]
        entry["overdue"] = sum(r["state"].startswith("OVERDUE") for r in entry["to_explain"])
    return list(found.values())


def funnel(wh: Warehouse, cohort: str | None) -> dict[str, Any]:
    """The funnel by campaign cohort, and what sales committed to for each cohort (from the
    plan or the CRM) against actual, as `tieout funnel` computes them."""
    rows, columns = funnel_rows(wh, cohort)
    return {
        "cohort": cohort,
        "columns": columns,
        "rows": rows,
        "commitments": commitment_rows(wh),
    }


def approve_version(request: Request, who: Caller, plan: str, version: int) -> dict[str, Any]:
    """Approve a draft; the state store refuses its author (a UsageError the caller shows)."""
    row = approve(request.app.state.store, plan, version, by=who.name)
    return {c: getattr(row, c) for c in VERSION_COLUMNS}


def explain_variance(
    request: Request,
    who: Caller,
    plan: str,
    key: tuple[str, str, str | None, str | None],
    text: str,
) -> dict[str, Any]:
    """Record why a target of the approved plan was missed or beaten (audited)."""
    period, metric, dimension, member = key
    if (dimension is None) != (member is None):
        raise UsageError("dimension and member go together")
    label = Period.month(period).label
    row = explain(
        request.app.state.store, plan, (label, metric, dimension, member), text=text, by=who.name
    )
    return {
        "plan": plan,
        "period": row.period,
        "metric": row.metric,
        "dimension": row.dimension,
        "member": row.member,
        "text": row.text,
        "by": row.by,
        "at": row.at,
    }


@router.get("/plan", response_class=HTMLResponse)
def plan_page(
    request: Request,
    who: Viewer,
    cohort: str | None = None,
    done: str | None = None,
    problem: str | None = None,
) -> HTMLResponse:
    project = request.app.state.project
    with reading(request) as wh:
        found = plans(wh, request.app.state.store)
        cohorts = funnel(wh, cohort or None)
    may = {
        "approve": allowed(project, who, "plan.approve"),
        "explain": allowed(project, who, "plan.edit"),
    }
    return render(
        request, "plan.html", plans=found, funnel=cohorts, may=may, done=done, problem=problem
    )


@router.post("/plan/{plan}/versions/{version}/approve")
def approve_form(
    request: Request,
    who: Annotated[Caller, Depends(permits("plan.approve"))],
    plan: str,
    version: int,
    csrf: Annotated[str | None, Form()] = None,
) -> RedirectResponse:
    check_csrf(request, csrf)
    try:
        row = approve_version(request, who, plan, version)
    except UsageError as exc:
        return _back(problem=str(exc))
    return _back(done=f"{plan} version {version} approved by {row['approved_by']}")


@router.post("/plan/{plan}/explain")
def explain_form(
    request: Request,
    who: Annotated[Caller, Depends(permits("plan.edit"))],
    plan: str,
    period: Annotated[str, Form()],
    metric: Annotated[str, Form()],
    text: Annotated[str, Form()] = "",
    dimension: Annotated[str, Form()] = "",
    member: Annotated[str, Form()] = "",
    csrf: Annotated[str | None, Form()] = None,
) -> RedirectResponse:
    check_csrf(request, csrf)
    key = (period, metric, dimension or None, member or None)
    try:
        explain_variance(request, who, plan, key, text)
    except UsageError as exc:
        return _back(problem=str(exc))
    split = f" {dimension}={member}" if dimension else ""
    return _back(done=f"{plan} {period} {metric}{split} explained")


def _back(**message: str) -> RedirectResponse:
    return RedirectResponse(f"/plan?{urlencode(message)}", status_code=303)
