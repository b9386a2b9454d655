"""What every page shares: the snapshot it reads, the header's as-of date and freshness, and
rendering a template with the caller, CSRF token and currency filled in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from tieout.engine import Warehouse
from tieout.serve import data
from tieout.serve.security import Caller, caller, csrf_token


@contextmanager
def reading(request: Request) -> Iterator[Warehouse]:
    """The current snapshot, for one request."""
    with request.app.state.reader.read() as wh:
        yield wh


def snapshot(request: Request) -> dict[str, Any]:
    """The run on show: as-of date, run id and when it finished (once per run)."""
    state = request.app.state
    run_id = state.reader.current_id()
    cached: dict[str | None, dict[str, Any]] = state.snapshot_info
    if run_id in cached:
        return dict(cached[run_id])
    info = data.snapshot_info(run_id, state.store)
    if info["finished_at"] is not None:  # a run switches CURRENT a moment before it is marked done
        cached.clear()
        cached[run_id] = info
    return info


def render(request: Request, template: str, **context: Any) -> HTMLResponse:
    state = request.app.state
    context.setdefault("snapshot", snapshot(request))
    who = caller(request, state.project, state.store)  # not the cookie's word: it may be over
    context.update(
        request=request,
        csrf=csrf_token(request),
        currency=state.project.config.reporting_currency,
        user=who.name if who else None,
    )
    response: HTMLResponse = state.templates.TemplateResponse(request, template, context)
    return response


def own_accounts(request: Request, who: Caller) -> set[str] | None:
    """A role limited to its own accounts sees only the customers its user owns (worked out
    once per snapshot and user)."""
    state = request.app.state
    if who.role not in state.project.config.access.own_accounts_only:
        return None
    with reading(request) as wh:
        found: set[str] = state.reader.once(
            f"own:{who.name}", wh, lambda w: data.owned_accounts(w, who.name)
        )
    return found
