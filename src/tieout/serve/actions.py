"""What people do to an exception from a page or the API, checked once for both: the role x
action matrix, a sales rep's own accounts, and the approval limit on waivers."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import HTTPException, Request

from tieout import pipeline
from tieout.serve.render import own_accounts
from tieout.serve.security import Caller, allowed, require
from tieout.state.exceptions import act, assign, comment, decide_waiver
from tieout.state.models import ExceptionCase

PERMISSION = {
    "ack": "exceptions.act",
    "resolve": "exceptions.act",
    "assign": "exceptions.act",
    "comment": "exceptions.act",
    "waive": "exceptions.waive",
    "approve": "exceptions.approve",
    "reject": "exceptions.approve",
}


def permission(action: str) -> str:
    if action not in PERMISSION:
        raise HTTPException(400, f"action must be one of {', '.join(PERMISSION)}")
    return PERMISSION[action]


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
    """One action by the caller; a waiver or resolve over the limit by someone who may not
    approve waivers becomes a request for someone else to approve (the state store decides).
    A refusal from the state store (UsageError) answers 400 through the app's handler."""
    who = require(request, permission(action), page=page)
    state = request.app.state
    in_scope(request, who, case_id)
    if action in ("ack", "resolve", "waive"):
        limit = Decimal(str(state.project.config.access.waive_approval_above))
        may_approve = allowed(state.project, who, "exceptions.approve")
        case = act(
            state.store,
            case_id,
            action,
            reason,
            by=who.name,
            approval_above=None if may_approve else limit,
        )
    elif action == "assign":
        case = assign(state.store, case_id, to, by=who.name)
    elif action in ("approve", "reject"):
        case = decide_waiver(
            state.store, case_id, approve=action == "approve", by=who.name, note=reason
        )
    else:
        note = comment(
            state.store,
            case_id,
            reason or "",
            by=who.name,
            attachment=attachment,
            folder=pipeline.attachments(state.project),
        )
        return {"id": case_id, "note": note.id, "sha256": note.file_sha256}
    return {
        "id": case.id,
        "status": case.status,
        "reason": case.reason,
        "owner": case.assignee,
        "waiver_requested_by": case.waiver_requested_by,
    }


def in_scope(request: Request, who: Caller, case_id: str) -> None:
    """A caller limited to their own accounts cannot act on anyone else's exceptions."""
    own = own_accounts(request, who)
    if own is None:
        return
    with request.app.state.store.session() as s:
        case = s.get(ExceptionCase, case_id)
    if case is None or case.account_key not in own:
        raise HTTPException(404, f"no exception {case_id}")
