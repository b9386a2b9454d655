"""Logging in and out: a fresh session at login, CSRF on both forms, audited."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tieout.serve.render import render
from tieout.serve.security import check_csrf, start_session
from tieout.state.users import login

router = APIRouter()


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
