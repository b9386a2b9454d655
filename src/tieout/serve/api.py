"""/api/v1: every listing and action the pages use, as JSON; tables also as CSV or XLSX."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import Response

from tieout.serve import catalogue, data, reads, schemas
from tieout.serve.actions import act_on_case
from tieout.serve.bulk import act_on_all
from tieout.serve.downloads import download
from tieout.serve.paging import MAX_LIMIT, Limit, Offset
from tieout.serve.permits import Viewer, permits, permits_chosen
from tieout.serve.reads import ExceptionFilters
from tieout.serve.render import snapshot
from tieout.serve.security import Caller, api_csrf

router = APIRouter(prefix="/api/v1", dependencies=[Depends(api_csrf)])
Format = Annotated[str | None, Query(description="csv or xlsx: download the table")]


@router.get("/snapshot", response_model=schemas.Snapshot, dependencies=[Depends(permits("view"))])
def snapshot_info(request: Request) -> dict[str, Any]:
    return snapshot(request)


@router.get("/exceptions", response_model=schemas.ExceptionPage)
def list_exceptions(
    request: Request,
    who: Viewer,
    filters: Annotated[ExceptionFilters, Depends()],
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    items, total = reads.exceptions_for(request, who, filters, limit, offset)
    return {"items": items, "total": total, "limit": limit, "offset": offset}


@router.get("/exceptions.{fmt}")
def exceptions_download(
    request: Request, who: Viewer, fmt: str, filters: Annotated[ExceptionFilters, Depends()]
) -> Response:
    """Every exception the filters match (not one page), as CSV or XLSX."""
    items, _ = reads.exceptions_for(request, who, filters, 1_000_000, 0)
    return download(items, data.EXCEPTION_COLUMNS, "exceptions", fmt)


@router.get("/exceptions/{case_id}", response_model=schemas.ExceptionDetail)
def exception(request: Request, who: Viewer, case_id: str) -> dict[str, Any]:
    """One exception: its rule, source records, notes and audit history."""
    return reads.exception_for(request, who, case_id)


@router.post(
    "/exceptions/bulk", response_model=schemas.BulkResult, response_model_exclude_unset=True
)
def bulk(
    request: Request,
    who: Annotated[Caller, Depends(permits_chosen("action"))],
    action: Annotated[str, Body()],
    ids: Annotated[list[str], Body(max_length=MAX_LIMIT)],
    reason: Annotated[str | None, Body()] = None,
    to: Annotated[str | None, Body()] = None,
) -> dict[str, Any]:
    """One action on many exceptions, all or none: if any is refused, none changes and the
    400 lists each refused id and why (`refused`)."""
    return {"results": act_on_all(request, who, action, ids, reason=reason, to=to)}


@router.post(
    "/exceptions/{case_id}/{action}",
    response_model=schemas.ActionResult,
    response_model_exclude_unset=True,
    dependencies=[Depends(permits_chosen("action"))],
)
def act_on_exception(
    request: Request,
    case_id: str,
    action: str,
    reason: Annotated[str | None, Body(embed=True)] = None,
    to: Annotated[str | None, Body(embed=True)] = None,
) -> dict[str, Any]:
    """ack, resolve, waive, assign (`to`), comment, approve or reject (a waiver request). A
    waiver over access.waive_approval_above by someone who may not approve waivers waits for
    a second person's approve."""
    return act_on_case(request, case_id, action, page=False, reason=reason, to=to)


@router.get("/accounts", response_model=schemas.AccountPage)
def list_accounts(
    request: Request,
    who: Viewer,
    health: str | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
    format: Format = None,
) -> dict[str, Any] | Response:
    """Accounts by health, worst first; `format=csv|xlsx` downloads every one that matches."""
    if format:
        rows = reads.accounts_for(request, who, health)
        for r in rows:
            r["reasons"] = "; ".join(f"{x['text']} ({x['points']})" for x in r["reasons"])
        return download(rows, list(rows[0]) if rows else ["account_key"], "accounts", format)
    items = reads.accounts_for(request, who, health, limit, offset)
    return {"items": [_linked(a) for a in items], "limit": limit, "offset": offset}


@router.get("/accounts/{account_key}", response_model=schemas.AccountDetail)
def account(request: Request, who: Viewer, account_key: str) -> dict[str, Any]:
    found = reads.account_for(request, who, account_key)
    _linked(found["health"])
    return found


def _linked(health: dict[str, Any]) -> dict[str, Any]:
    """Each health reason an open exception gives links the exceptions it names."""
    for r in health["reasons"]:
        if r.get("exceptions"):
            r["links"] = [f"/api/v1/exceptions/{i}" for i in r["exceptions"]]
    return health


@router.get("/metrics/{name}", response_model=schemas.MetricSplit)
def metric(
    request: Request,
    who: Viewer,
    name: str,
    by: str = "job",
    period: str | None = None,
    limit: Limit = 200,
    offset: Offset = 0,
    format: Format = None,
) -> dict[str, Any] | Response:
    """A governed metric for a month split by job or customer, lowest first (`count` is
    how many rows in all; `format=csv|xlsx` downloads every one)."""
    if format:
        found = reads.metric_split(request, who, name, by, period, limit=None)
        return download(found["rows"], ["key", "label", "value"], f"{name}-by-{by}", format)
    return reads.metric_split(request, who, name, by, period, limit=limit, offset=offset)


@router.get("/jobs/{job_key}", response_model=schemas.JobDetail)
def job(request: Request, who: Viewer, job_key: str) -> dict[str, Any]:
    return reads.job_for(request, who, job_key)


@router.get("/records/{record_id}", response_model=schemas.SourceRecord)
def record(request: Request, who: Viewer, record_id: str) -> dict[str, Any]:
    return reads.record_for(request, who, record_id)


@router.get(
    "/definitions", response_model=schemas.Definitions, dependencies=[Depends(permits("view"))]
)
def definitions(request: Request) -> dict[str, Any]:
    """Every metric and rule the numbers come from, with its version, owner and wording."""
    return catalogue.definitions(request.app.state.rules, request.app.state.catalogue)
