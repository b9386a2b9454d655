"""Authorisation in one place: every route names what it needs as a FastAPI dependency,
`Depends(permits("exceptions.act"))`, so a test can walk the app's routes and fail on one
that names nothing (tests/test_serve_routes.py). The dependency answers who is asking: a
page sends the anonymous to the login page, the API answers 401; a caller without the
permission gets 403. What a role kept to its own accounts may see is decided in the read
layer (serve/reads.py), except where an answer is the whole company's by nature (the board
pack, the quarantine, the match queue): such a route says `company=True` and is refused
to that role outright."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from tieout.serve.actions import permission
from tieout.serve.security import Caller, authenticated, require

FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


@dataclass(frozen=True)
class Permit:
    """One route's requirement: a fixed action, or (`chosen_by`) the permission of the
    exception action a path parameter or body field names (state/controls.py's table)."""

    action: str | None = None
    chosen_by: str | None = None
    company: bool = False

    async def __call__(self, request: Request) -> Caller:
        page = not request.url.path.startswith("/api/")
        authenticated(request, page=page)  # the anonymous learn nothing about the body
        action = self.action or permission(await _field(request, str(self.chosen_by)))
        who = require(request, action, page=page)
        if self.company and limited(request, who):
            raise HTTPException(
                403, f"role {who.role} sees its own accounts only; this covers every customer"
            )
        return who

    def describe(self) -> str:
        """What the route needs, as the structural test and the docs name it."""
        needed = self.action or f"the action named by {self.chosen_by}"
        return f"{needed} (whole company)" if self.company else needed


def permits(action: str, *, company: bool = False) -> Permit:
    return Permit(action=action, company=company)


def permits_chosen(field: str) -> Permit:
    """The permission of the exception action in the `field` path parameter or body field."""
    return Permit(chosen_by=field)


def limited(request: Request, who: Caller) -> bool:
    """Whether the caller's role sees only the accounts its user owns."""
    return who.role in request.app.state.project.config.access.own_accounts_only


async def _field(request: Request, name: str) -> str:
    """A path parameter, else a form or JSON body field (FastAPI has parsed the body already
    for the route's own parameters; Starlette keeps what it parsed, so nothing is read twice)."""
    value: object = request.path_params.get(name)
    if value is None and request.headers.get("content-type", "").startswith(FORM_TYPES):
        value = (await request.form()).get(name)
    elif value is None:
        try:
            body = await request.json()
        except ValueError:
            body = None
        value = body.get(name) if isinstance(body, dict) else None
    if not isinstance(value, str):
        raise HTTPException(422, f"{name} is required")
    return value


Viewer = Annotated[Caller, Depends(permits("view"))]
