"""Logging in and out: one answer for every failed login, a fresh server-side session at
login, ended at logout; CSRF on both forms; all of it audited (state/sessions.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tieout.serve.render import render
from tieout.serve.security import check_csrf, start_session, stop_session
from tieout.state.sessions import REFUSED, sign_in

router = APIRouter()


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, problem: str | None = None) -> HTMLResponse:
    return render(request, "login.html", problem=problem)


@router.post("/login")
def login_form(
    request: Request,
    name: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1000)],
    csrf: Annotated[str | None, Form()] = None,
) -> Response:
    check_csrf(request, csrf)
    state = request.app.state
    result = sign_in(state.store, name, password, state.project.config.access.login_attempts)
    if result.token is None:
        return render(request, "login.html", problem=f"Not logged in: {REFUSED}")
    start_session(request, result.token)
    return RedirectResponse("/", status_code=303)


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str | None, Form()] = None) -> Response:
    check_csrf(request, csrf)
    stop_session(request, request.app.state.store)
    return RedirectResponse("/login", status_code=303)
