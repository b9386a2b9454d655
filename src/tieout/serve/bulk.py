"""One action on many exceptions, all or nothing: every case is tried inside one transaction
of the state store, each in its own savepoint, and if any is refused (not in the caller's
accounts, no reason for a waiver, nothing waiting for approval, its requester approving it)
the whole transaction rolls back and the answer lists each refused case and why. Nothing
is written, audited or checkpointed for a bulk action that did not happen whole.

The domain rules are state/controls.py's, the same functions one action runs through; they
get a stand-in store whose sessions are savepoints of the one transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

from fastapi import HTTPException, Request
from sqlalchemy.orm import Session

from tieout.errors import UsageError
from tieout.serve.actions import apply, case_answer
from tieout.serve.render import own_accounts
from tieout.serve.security import Caller
from tieout.state import controls
from tieout.state.models import ExceptionNote
from tieout.state.store import StateStore


class BulkRefusedError(HTTPException):
    """400 with every refused case: {"detail": ..., "refused": [{"id", "why"}]}."""

    def __init__(self, action: str, refused: list[dict[str, str]], total: int) -> None:
        self.refused = refused
        super().__init__(
            400,
            {
                "message": f"{action} refused for {len(refused)} of {total} exception(s); "
                "none was changed",
                "refused": refused,
            },
        )


class _OneTransaction:
    """Stands in for the state store: every session is a savepoint of `s`."""

    def __init__(self, s: Session) -> None:
        self._s = s

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._s.begin_nested():
            yield self._s


class _RollbackError(Exception):
    """Raised inside the transaction to end it without committing."""


def act_on_all(
    request: Request,
    who: Caller,
    action: str,
    ids: list[str],
    *,
    reason: str | None = None,
    to: str | None = None,
) -> list[dict[str, Any]]:
    """`action` on every case in `ids` as the caller, or on none (BulkRefusedError)."""
    state = request.app.state
    own = own_accounts(request, who)
    actor = controls.Actor(who.name, who.role, who.scopes)
    unique = list(dict.fromkeys(ids))
    results: list[dict[str, Any]] = []
    refused: list[dict[str, str]] = []
    try:
        with state.store.session() as s:
            store = cast(StateStore, _OneTransaction(s))
            for case_id in unique:
                try:
                    results.append(_one(store, state, actor, case_id, action, reason, to, own))
                except UsageError as exc:
                    refused.append({"id": case_id, "why": str(exc)})
            if refused:
                raise _RollbackError
    except _RollbackError:
        raise BulkRefusedError(action, refused, len(unique)) from None
    return results


def _one(
    store: StateStore,
    state: Any,
    actor: controls.Actor,
    case_id: str,
    action: str,
    reason: str | None,
    to: str | None,
    own: set[str] | None,
) -> dict[str, Any]:
    found = apply(
        store, state.project.config.access, actor, case_id, action, reason=reason, to=to, own=own
    )
    if isinstance(found, ExceptionNote):
        return {"id": case_id, "note": found.id}
    return case_answer(found)
