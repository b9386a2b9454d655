"""The month-end close, as `tieout close` shows it: quoted, delivered, billed, credited and
unbilled per customer, the differences nobody has explained, each job linked to its page,
and the sign-off by someone other than the preparer."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from tieout.errors import TieoutError
from tieout.periods import Period
from tieout.reconcile.close import (
    MEASURES,
    Close,
    close_from_snapshot,
    close_report,
    frozen_figures,
)
from tieout.serve import data
from tieout.serve.permits import Viewer, permits
from tieout.serve.render import own_accounts, reading, render
from tieout.serve.security import Caller, allowed, check_csrf
from tieout.state.closes import get_close, sign_off

router = APIRouter()


def close_view(request: Request, who: Caller, period: str | None) -> dict[str, Any]:
    """A month's tie-out (default: the as-of month): frozen figures once signed off, else
    today's. A caller limited to their own accounts sees only those customers and jobs; the
    total stays the whole company's."""
    try:
        close = _live(request, period)
    except TieoutError as exc:
        raise HTTPException(400, str(exc)) from None
    found = close_report(close, get_close(request.app.state.store, close.period.label))
    found["customers"] = [_amounts(c) for c in found["customers"]]
    found["total"] = _amounts(found["total"])
    found["jobs"] = [_amounts(j) for j in found["jobs"]]
    found["unexplained_jobs"] = [j for j in found["jobs"] if j["unexplained"]]
    own = own_accounts(request, who)
    found["limited"] = own is not None
    if own is not None:
        for part in ("customers", "jobs", "unexplained_jobs", "adjustments"):
            found[part] = [r for r in found[part] if r["account_key"] in own]
    return found


def sign_off_period(request: Request, who: Caller, period: str) -> dict[str, Any]:
    """Sign off the prepared figures if they still hold; the state store refuses their
    preparer (a TieoutError the caller shows)."""
    close = _live(request, period)
    row = sign_off(
        request.app.state.store, close.period.label, by=who.name, live=frozen_figures(close)
    )
    return {
        "period": row.period,
        "status": row.status,
        "prepared_by": row.prepared_by,
        "signed_off_by": row.signed_off_by,
        "signed_off_at": row.signed_off_at,
    }


def _live(request: Request, period: str | None) -> Close:
    """The month's tie-out on the current snapshot, with today's exception statuses."""
    state = request.app.state
    with reading(request) as wh:
        month = Period.month(period or f"{data.health_as_of(wh):%Y-%m}")
        close, _ = close_from_snapshot(wh, state.project, state.store, month)
    return close


def _amounts(row: dict[str, Any]) -> dict[str, Any]:
    """Amounts as exact numbers (a signed-off close keeps them as text), with the line's
    unexplained difference: scope plus billing."""
    found = {**row, **{m: Decimal(str(row[m])) for m in MEASURES}}
    found["unexplained"] = found["scope_unexplained"] + found["billing_unexplained"]
    return found


@router.get("/close", response_class=HTMLResponse)
def close_page(
    request: Request,
    who: Viewer,
    period: str | None = None,
    done: str | None = None,
    problem: str | None = None,
) -> HTMLResponse:
    found = close_view(request, who, period)
    may_sign = allowed(request.app.state.project, who, "close.signoff")
    return render(request, "close.html", c=found, may_sign=may_sign, done=done, problem=problem)


@router.post("/close/{period}/signoff")
def sign_off_form(
    request: Request,
    who: Annotated[Caller, Depends(permits("close.signoff"))],
    period: str,
    csrf: Annotated[str | None, Form()] = None,
) -> RedirectResponse:
    check_csrf(request, csrf)
    try:
        row = sign_off_period(request, who, period)
        message = {"done": f"{row['period']} signed off by {row['signed_off_by']}"}
    except TieoutError as exc:
        message = {"problem": str(exc)}
    return RedirectResponse(f"/close?{urlencode({'period': period, **message})}", 303)
