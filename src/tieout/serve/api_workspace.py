"""/api/v1 for the plan, scorecards, close and data pages: every listing and action they
offer, as JSON; the close and quarantine tables also as CSV or XLSX. A refused action (an
author approving their own plan, a preparer signing off their own close) is a 400 with the
reason."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Request
from fastapi.responses import Response

from tieout.errors import TieoutError
from tieout.reconcile.close import CUSTOMER_COLUMNS, JOB_COLUMNS
from tieout.serve import schemas
from tieout.serve.downloads import download
from tieout.serve.pages import close, data, plan, scorecards
from tieout.serve.paging import Limit, Offset
from tieout.serve.permits import Viewer, permits
from tieout.serve.render import reading
from tieout.serve.security import Caller, api_csrf

router = APIRouter(prefix="/api/v1", dependencies=[Depends(api_csrf)])
COMPANY = Depends(permits("view", company=True))
CLOSE_TABLES = {"customers": CUSTOMER_COLUMNS, "jobs": JOB_COLUMNS}
QUARANTINE_COLUMNS = (
    "source",
    "target_table",
    "source_file",
    "source_row",
    "column_name",
    "reason",
    "raw_text",
)


@router.get("/plans", response_model=schemas.PlanList, dependencies=[Depends(permits("view"))])
def list_plans(request: Request) -> dict[str, Any]:
    """Every plan with its versions (author, status, approver), the approved version, the
    version the snapshot measured, and how many variances wait for an explanation."""
    with reading(request) as wh:
        found = plan.plans(wh, request.app.state.store)
    return {
        "items": [
            {
                "plan": p["plan"],
                "versions": p["versions"],
                "approved": p["approved"],
                "measured": p["measured"],
                "to_explain": len(p["to_explain"]),
                "overdue": p["overdue"],
            }
            for p in found
        ]
    }


@router.get(
    "/plans/{name}/variance",
    response_model=schemas.PlanVariance,
    dependencies=[Depends(permits("view"))],
)
def plan_variance(request: Request, name: str) -> dict[str, Any]:
    """Plan against actual for the approved version, as the last run measured it."""
    with reading(request) as wh:
        found = next(
            (p for p in plan.plans(wh, request.app.state.store) if p["plan"] == name), None
        )
    if found is None:
        raise HTTPException(404, f"no plan {name}")
    return {
        "plan": name,
        "approved": found["approved"],
        "measured": found["measured"],
        "rows": found["variance"],
    }


@router.post("/plans/{name}/versions/{version}/approve", response_model=schemas.PlanVersion)
def approve_plan(
    request: Request,
    who: Annotated[Caller, Depends(permits("plan.approve"))],
    name: str,
    version: int,
) -> dict[str, Any]:
    """Approve a draft version: not by its author (400 with the reason)."""
    return plan.approve_version(request, who, name, version)


@router.post("/plans/{name}/explain", response_model=schemas.Explanation)
def explain_variance(
    request: Request,
    who: Annotated[Caller, Depends(permits("plan.edit"))],
    name: str,
    period: Annotated[str, Body()],
    metric: Annotated[str, Body()],
    text: Annotated[str, Body()],
    dimension: Annotated[str | None, Body()] = None,
    member: Annotated[str | None, Body()] = None,
) -> dict[str, Any]:
    """Explain a variance of the approved plan; the next run clears its exception."""
    return plan.explain_variance(request, who, name, (period, metric, dimension, member), text)


@router.get("/funnel", response_model=schemas.Funnel, dependencies=[Depends(permits("view"))])
def funnel(request: Request, period: str | None = None) -> dict[str, Any]:
    """The funnel by campaign cohort; `period` keeps the leads created in a year or month."""
    with reading(request) as wh:
        return plan.funnel(wh, period)


@router.get(
    "/scorecards", response_model=schemas.Scorecards, dependencies=[Depends(permits("view"))]
)
def scorecard_values(request: Request) -> dict[str, Any]:
    """Each function's metrics for the as-of month against the month before, and warnings."""
    return scorecards.scorecard_view(request)


@router.get("/close", response_model=schemas.Close)
def close_period(request: Request, who: Viewer, period: str | None = None) -> dict[str, Any]:
    """A month's tie-out (default: the as-of month) and whether it is prepared or signed off."""
    return close.close_view(request, who, period)


@router.get("/close.{fmt}")
def close_download(
    request: Request, who: Viewer, fmt: str, period: str | None = None, table: str = "customers"
) -> Response:
    """The tie-out per customer (with a TOTAL line) or per job, as CSV or XLSX."""
    if table not in CLOSE_TABLES:
        raise HTTPException(400, f"table must be one of {', '.join(CLOSE_TABLES)}")
    found = close.close_view(request, who, period)
    rows = found["jobs"]
    if table == "customers":
        rows = [*found["customers"], {"customer": "TOTAL", **found["total"]}]
    return download(rows, CLOSE_TABLES[table], f"close-{found['period']}-{table}", fmt)


@router.post("/close/{period}/signoff", response_model=schemas.SignOff)
def sign_off(
    request: Request, who: Annotated[Caller, Depends(permits("close.signoff"))], period: str
) -> dict[str, Any]:
    """Sign off a prepared month: not by its preparer, and only if its figures still hold
    (400 with the reason)."""
    try:
        return close.sign_off_period(request, who, period)
    except TieoutError as exc:
        raise HTTPException(400, str(exc)) from None


@router.get("/runs", response_model=schemas.Runs, dependencies=[Depends(permits("view"))])
def runs(request: Request) -> dict[str, Any]:
    """The latest runs, and every file the current snapshot loaded with its rows conserved."""
    state = request.app.state
    with reading(request) as wh:
        loads = data.loads(wh)
    return {"runs": data.runs(state.store, state.reader.current_id()), **loads}


@router.get("/quarantine", response_model=schemas.QuarantinePage, dependencies=[COMPANY])
def list_quarantine(
    request: Request,
    source: str | None = None,
    file: str | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Quarantined rows in file order, a page at a time (they name any customer: refused to
    a role kept to its own accounts)."""
    with reading(request) as wh:
        files = data.loads(wh)["files"]
        return data.quarantined(wh, files, limit=limit, offset=offset, source=source, file=file)


@router.get("/quarantine.{fmt}", dependencies=[COMPANY])
def quarantine_download(
    request: Request, fmt: str, source: str | None = None, file: str | None = None
) -> Response:
    """Every quarantined row the filters match, as CSV or XLSX."""
    with reading(request) as wh:
        files = data.loads(wh)["files"]
        found = data.quarantined(wh, files, limit=None, offset=0, source=source, file=file)
    return download(found["items"], QUARANTINE_COLUMNS, "quarantine", fmt)


@router.get("/match-reviews", response_model=schemas.ReviewQueue, dependencies=[COMPANY])
def match_reviews(request: Request) -> dict[str, Any]:
    """Open links the matcher would not make alone, likeliest first (records of any
    customer: refused to a role kept to its own accounts)."""
    with reading(request) as wh:
        return {"items": data.review_queue(wh, request.app.state.store)}


@router.post("/match-reviews/{review_id}/{decision}", response_model=schemas.ReviewDecision)
def decide_review(
    request: Request,
    who: Annotated[Caller, Depends(permits("match.review"))],
    review_id: str,
    decision: str,
    note: Annotated[str | None, Body(embed=True)] = None,
) -> dict[str, Any]:
    """accept or reject a proposed link; the next run applies it."""
    return data.decide_review(request, who, review_id, decision, note)
