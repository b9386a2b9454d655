"""Server-rendered pages: each figure links to the rows that make it up."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tieout import pipeline
from tieout.metrics import Period
from tieout.reports.board import board_pack, to_html, to_pdf
from tieout.serve import data
from tieout.serve.api import apply_action, own_accounts
from tieout.serve.security import check_csrf, csrf_token, require, start_session
from tieout.state.users import login

router = APIRouter()
PAGE_ROWS = 200  # worst first; the API pages through the rest


def render(request: Request, template: str, **context: Any) -> HTMLResponse:
    state = request.app.state
    if "snapshot" not in context:
        context["snapshot"] = data.snapshot_info(state.project, state.store)
    context.update(
        request=request,
        csrf=csrf_token(request),
        currency=state.project.config.reporting_currency,
        user=request.session.get("user"),
    )
    response: HTMLResponse = state.templates.TemplateResponse(request, template, context)
    return response


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, problem: str | None = None) -> HTMLResponse:
    return render(request, "login.html", problem=problem)


@router.post("/login")
def login_form(
    request: Request,
    name: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf: Annotated[str | None, Form()] = None,
) -> Response:
    check_csrf(request, csrf)
    state = request.app.state
    result = login(state.store, name, password, state.project.config.access.login_attempts)
    if not result.ok:
        return render(request, "login.html", problem=f"Not logged in: {result.why}")
    start_session(request, name)
    state.store.audit("user.login", "user", name, {})
    return RedirectResponse("/", status_code=303)


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str | None, Form()] = None) -> Response:
    check_csrf(request, csrf)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/", response_class=HTMLResponse)
def overview(request: Request) -> HTMLResponse:
    who = require(request, "view", page=True)
    state = request.app.state
    info = data.snapshot_info(state.project, state.store)
    figures = _headlines(request, info["run_id"], info["as_of"]) if info["as_of"] else {}
    red = (
        data.accounts(state.project, "red", own_accounts(request, who), limit=PAGE_ROWS)
        if info["as_of"]
        else []
    )
    return render(
        request,
        "overview.html",
        figures=figures,
        totals=data.exception_totals(state.store),
        red=red,
        snapshot=info,
    )


def _headlines(request: Request, run_id: str, as_of: Any) -> dict[str, Any]:
    """A snapshot never changes, so its headlines are computed once per run."""
    state = request.app.state
    cached: dict[str, Any] = state.headlines
    if run_id not in cached:
        cached.clear()
        cached[run_id] = data.headlines(state.project, state.catalogue, as_of)
    return dict(cached[run_id])


@router.get("/exceptions", response_class=HTMLResponse)
def exceptions_page(
    request: Request,
    rule: str | None = None,
    status: str | None = None,
    owner: str | None = None,
    page: int = 1,
) -> HTMLResponse:
    who = require(request, "view", page=True)
    size = 50
    items, total = data.exceptions(
        request.app.state.store,
        {"rule": rule, "status": status, "owner": owner},
        size,
        (max(page, 1) - 1) * size,
        own_accounts(request, who),
    )
    return render(
        request,
        "exceptions.html",
        items=items,
        total=total,
        page=page,
        size=size,
        filters={"rule": rule, "status": status, "owner": owner},
    )


@router.post("/exceptions/{case_id}")
def exception_form(
    request: Request,
    case_id: str,
    action: Annotated[str, Form()],
    reason: Annotated[str | None, Form()] = None,
    csrf: Annotated[str | None, Form()] = None,
) -> Response:
    who = require(request, "exceptions.waive" if action == "waive" else "exceptions.act", page=True)
    check_csrf(request, csrf)
    apply_action(request, who, case_id, action, reason or None)
    return RedirectResponse("/exceptions", status_code=303)


@router.get("/accounts", response_class=HTMLResponse)
def accounts_page(request: Request, health: str | None = None) -> HTMLResponse:
    who = require(request, "view", page=True)
    rows = data.accounts(
        request.app.state.project, health, own_accounts(request, who), limit=PAGE_ROWS
    )
    return render(request, "accounts.html", rows=rows, health=health, shown=PAGE_ROWS)


@router.get("/board.pdf")
def board_pdf(request: Request, period: str | None = None) -> Response:
    """The board pack of a month (default: the as-of month), as the CLI writes it."""
    require(request, "view", page=True)
    state = request.app.state
    with pipeline.snapshots(state.project).open_current() as wh:
        as_of = wh.scalar("SELECT max(as_of) FROM run_info")
        month = Period.month(period or f"{as_of:%Y-%m}")
        pack = board_pack(wh, state.project, state.store, state.catalogue, month, as_of)
    return Response(
        to_pdf(to_html(pack)),
        media_type="application/pdf",
        headers={"Content-Disposition": f"attachment; filename=board-{month.label}.pdf"},
    )


@router.get("/accounts/{account_key}", response_class=HTMLResponse)
def account_page(request: Request, account_key: str) -> HTMLResponse:
    who = require(request, "view", page=True)
    own = own_accounts(request, who)
    state = request.app.state
    found = data.account_detail(state.project, state.store, state.catalogue, account_key)
    if found is None or (own is not None and account_key not in own):
        raise HTTPException(404, f"no account {account_key}")
    return render(request, "account.html", a=found)


@router.get("/definitions", response_class=HTMLResponse)
def definitions_page(request: Request) -> HTMLResponse:
    require(request, "view", page=True)
    state = request.app.state
    return render(request, "definitions.html", d=data.definitions(state.project, state.catalogue))
