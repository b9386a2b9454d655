"""What people do to an exception from a page or the API: the web authenticates the caller
(401/403 before anything is read) and keeps other reps' cases out of sight (404); the rules
themselves (the role x action matrix, own accounts, the approval limit on waivers and
resolves, the two-person rule) are decided in state/controls.py, as for the CLI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request

from tieout import pipeline
from tieout.config.access import AccessConfig
from tieout.errors import UsageError
from tieout.serve.render import own_accounts
from tieout.serve.security import Caller, require
from tieout.state import controls
from tieout.state.models import ExceptionCase, ExceptionNote
from tieout.state.store import StateStore


def permission(action: str) -> str:
    try:
        return controls.exception_permission(action)
    except UsageError as exc:
        raise HTTPException(400, str(exc)) from None


def act_on_case(
    request: Request,
    case_id: str,
    action: str,
    *,
    page: bool,
    reason: str | None = None,
    to: str | None = None,
    attachment: tuple[str, bytes] | None = None,
) -> dict[str, Any]:
    """One action by the caller. A refusal from the domain layer (UsageError) answers 400
    through the app's handler."""
    who = require(request, permission(action), page=page)
    state = request.app.state
    in_scope(request, who, case_id)
    actor = controls.Actor(who.name, who.role, who.scopes)
    access, store = state.project.config.access, state.store
    own = own_accounts(request, who)
    found = apply(
        store,
        access,
        actor,
        case_id,
        action,
        reason=reason,
        to=to,
        own=own,
        attachment=attachment,
        folder=pipeline.attachments(state.project),
    )
    if isinstance(found, ExceptionNote):
        return {"id": case_id, "note": found.id, "sha256": found.file_sha256}
    return case_answer(found)


def apply(
    store: StateStore,
    access: AccessConfig,
    actor: controls.Actor,
    case_id: str,
    action: str,
    *,
    reason: str | None,
    to: str | None,
    own: set[str] | None,
    attachment: tuple[str, bytes] | None = None,
    folder: Path | None = None,
) -> ExceptionCase | ExceptionNote:
    """The domain call for one exception action, shared by one action and a bulk one."""
    if action in ("ack", "resolve", "waive"):
        return controls.act_on_exception(store, access, actor, case_id, action, reason, own=own)
    if action == "assign":
        return controls.assign_exception(store, access, actor, case_id, to, own=own)
    if action in ("approve", "reject"):
        return controls.decide_exception(
            store, access, actor, case_id, approve=action == "approve", note=reason, own=own
        )
    return controls.comment_exception(
        store, access, actor, case_id, reason or "", attachment=attachment, folder=folder, own=own
    )


def case_answer(case: ExceptionCase) -> dict[str, Any]:
    return {
        "id": case.id,
        "status": case.status,
        "reason": case.reason,
        "owner": case.assignee,
        "waiver_requested_by": case.waiver_requested_by,
    }


def in_scope(request: Request, who: Caller, case_id: str) -> None:
    """A caller limited to their own accounts cannot see anyone else's exceptions."""
    own = own_accounts(request, who)
    if own is None:
        return
    with request.app.state.store.session() as s:
        case = s.get(ExceptionCase, case_id)
    if case is None or case.account_key not in own:
        raise HTTPException(404, f"no exception {case_id}")
