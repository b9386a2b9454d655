"""/api/v1: the listings and actions the pages use, as JSON (and CSV downloads)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Query, Request
from fastapi.responses import PlainTextResponse

from tieout.errors import UsageError
from tieout.serve import data
from tieout.serve.downloads import to_csv
from tieout.serve.security import Caller, require
from tieout.state.exceptions import act
from tieout.state.models import ExceptionCase

router = APIRouter(prefix="/api/v1")


def own_accounts(request: Request, who: Caller) -> set[str] | None:
    """A role limited to its own accounts sees only the customers its user owns."""
    project = request.app.state.project
    if who.role in project.config.access.own_accounts_only:
        return data.owned_accounts(project, who.name)
    return None


@router.get("/snapshot")
def snapshot(request: Request) -> dict[str, Any]:
    require(request, "view", page=False)
    return data.snapshot_info(request.app.state.project, request.app.state.store)


@router.get("/exceptions")
def list_exceptions(
    request: Request,
    rule: str | None = None,
    status: str | None = None,
    owner: str | None = None,
    severity: str | None = None,
    account_key: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    who = require(request, "view", page=False)
    filters = {
        "rule": rule,
        "status": status,
        "owner": owner,
        "severity": severity,
        "account_key": account_key,
    }
    items, total = data.exceptions(
        request.app.state.store, filters, limit, offset, own_accounts(request, who)
    )
    return {"items": items, "total": total, "limit": limit, "offset": offset}


@router.get("/exceptions.csv", response_class=PlainTextResponse)
def exceptions_csv(request: Request) -> PlainTextResponse:
    who = require(request, "view", page=False)
    items, _ = data.exceptions(request.app.state.store, {}, 100_000, 0, own_accounts(request, who))
    return PlainTextResponse(
        to_csv(items, data.EXCEPTION_COLUMNS),
        media_type="text/csv",
        headers={"Content-Disposition": "attachment; filename=exceptions.csv"},
    )


@router.post("/exceptions/{case_id}/{action}")
def act_on_exception(
    request: Request,
    case_id: str,
    action: str,
    reason: Annotated[str | None, Body(embed=True)] = None,
) -> dict[str, Any]:
    """ack, resolve or waive; a waiver over the threshold needs a finance approver."""
    who = require(
        request, "exceptions.waive" if action == "waive" else "exceptions.act", page=False
    )
    return apply_action(request, who, case_id, action, reason)


def apply_action(
    request: Request, who: Caller, case_id: str, action: str, reason: str | None
) -> dict[str, Any]:
    state = request.app.state
    if action == "waive":
        with state.store.session() as s:
            case = s.get(ExceptionCase, case_id)
        limit = Decimal(str(state.project.config.access.waive_approval_above))
        if (
            case is not None
            and (case.amount_at_risk or 0) > limit
            and who.role
            not in (
                "finance",
                "admin",
            )
        ):
            raise HTTPException(
                403, f"waiving more than {limit:,.2f} at risk needs a finance approver"
            )
    try:
        case = act(state.store, case_id, action, reason, by=who.name)
    except UsageError as exc:
        raise HTTPException(400, str(exc)) from None
    return {"id": case.id, "status": case.status, "reason": case.reason}


@router.get("/accounts")
def list_accounts(
    request: Request,
    health: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    who = require(request, "view", page=False)
    items = data.accounts(
        request.app.state.project, health, own_accounts(request, who), limit, offset
    )
    return {"items": items, "limit": limit, "offset": offset}


@router.get("/definitions")
def definitions(request: Request) -> dict[str, Any]:
    """Every metric and rule the numbers come from, with its version, owner and wording."""
    require(request, "view", page=False)
    return data.definitions(request.app.state.project, request.app.state.catalogue)
