"""Who may change workflow state, decided once for every shell (web pages, API, CLI).

A shell authenticates a person (session, token, password) and hands over an `Actor`; these
functions check the role x action matrix of tieout.yml (and a token's scopes), a rep's own
accounts, and the waiver approval limit, then make the change. The two-person rules (a
waiver's or resolve's requester does not approve it, a close's preparer does not sign it, a
plan's author does not approve it) sit in the state functions that write the change, so no
caller can skip them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from tieout.config.access import AccessConfig
from tieout.errors import UsageError
from tieout.state import closes, decisions, exceptions, matching, plans
from tieout.state.models import (
    DecisionRequest,
    ExceptionCase,
    ExceptionNote,
    MatchReview,
    PeriodClose,
    PlanVersion,
    VarianceExplanation,
)
from tieout.state.store import StateStore

# what each exception action needs from the role x action matrix
EXCEPTION_PERMISSION = {
    "ack": "exceptions.act",
    "resolve": "exceptions.act",
    "assign": "exceptions.act",
    "comment": "exceptions.act",
    "waive": "exceptions.waive",
    "approve": "exceptions.approve",
    "reject": "exceptions.approve",
}
CLOSE_PERMISSION = "close.signoff"  # preparing and signing a close both belong to its people


@dataclass(frozen=True)
class Actor:
    """An authenticated person: a name from the users table and their role; a token's
    scopes narrow what the role allows (None: a person logged in, the role decides)."""

    name: str
    role: str
    scopes: tuple[str, ...] | None = None


class NotAllowedError(UsageError):
    """The actor's role (or token) may not do this: exit 2 in the CLI, 403 on the web."""


def allowed(access: AccessConfig, who: Actor, action: str) -> bool:
    if not access.allows(who.role, action):
        return False
    return who.scopes is None or action in who.scopes


def require(access: AccessConfig, who: Actor, action: str) -> None:
    if not allowed(access, who, action):
        via = " with this token (its scopes)" if access.allows(who.role, action) else ""
        raise NotAllowedError(f"{who.name} (role {who.role}) may not {action}{via}")


def exception_permission(action: str) -> str:
    if action not in EXCEPTION_PERMISSION:
        raise UsageError(f"action must be one of {', '.join(EXCEPTION_PERMISSION)}")
    return EXCEPTION_PERMISSION[action]


def approval_limit(access: AccessConfig, who: Actor) -> Decimal | None:
    """The most money at risk this actor may waive or resolve alone; None: no limit (they
    may approve waivers themselves)."""
    if allowed(access, who, "exceptions.approve"):
        return None
    return Decimal(str(access.waive_approval_above))


def act_on_exception(
    store: StateStore,
    access: AccessConfig,
    who: Actor,
    case_id: str,
    action: str,
    reason: str | None,
    *,
    own: Collection[str] | None = None,
) -> ExceptionCase:
    """ack, resolve or waive; over the actor's approval limit a waive or resolve becomes a
    request that someone else with exceptions.approve must decide. `own`: the accounts the
    actor is limited to (None: all)."""
    require(access, who, exception_permission(action))
    _in_scope(store, case_id, own)
    return exceptions.act(
        store, case_id, action, reason, by=who.name, approval_above=approval_limit(access, who)
    )


def decide_exception(
    store: StateStore,
    access: AccessConfig,
    who: Actor,
    case_id: str,
    *,
    approve: bool,
    note: str | None,
    own: Collection[str] | None = None,
) -> ExceptionCase:
    """Approve or reject a waiver or resolve request (never one the actor asked for)."""
    require(access, who, "exceptions.approve")
    _in_scope(store, case_id, own)
    return exceptions.decide_waiver(store, case_id, approve=approve, by=who.name, note=note)


def assign_exception(
    store: StateStore,
    access: AccessConfig,
    who: Actor,
    case_id: str,
    to: str | None,
    *,
    own: Collection[str] | None = None,
) -> ExceptionCase:
    require(access, who, "exceptions.act")
    _in_scope(store, case_id, own)
    return exceptions.assign(store, case_id, to, by=who.name)


def comment_exception(
    store: StateStore,
    access: AccessConfig,
    who: Actor,
    case_id: str,
    text: str,
    *,
    attachment: tuple[str, bytes] | None = None,
    folder: Path | None = None,
    own: Collection[str] | None = None,
) -> ExceptionNote:
    require(access, who, "exceptions.act")
    _in_scope(store, case_id, own)
    return exceptions.comment(
        store, case_id, text, by=who.name, attachment=attachment, folder=folder
    )


def prepare_close(
    store: StateStore,
    access: AccessConfig,
    who: Actor,
    period: str,
    *,
    figures: dict[str, Any],
    currency: str,
    as_of: dt.date,
    run_id: str | None,
) -> PeriodClose:
    require(access, who, CLOSE_PERMISSION)
    return closes.prepare_close(
        store, period, figures=figures, currency=currency, as_of=as_of, run_id=run_id, by=who.name
    )


def sign_off_close(
    store: StateStore, access: AccessConfig, who: Actor, period: str, *, live: dict[str, Any]
) -> PeriodClose:
    """Sign off a prepared close: by someone else than its preparer, figures unchanged."""
    require(access, who, CLOSE_PERMISSION)
    return closes.sign_off(store, period, by=who.name, live=live)


def import_plan(
    store: StateStore,
    access: AccessConfig,
    who: Actor,
    content: dict[str, Any],
    *,
    digest: str,
    source: str,
) -> tuple[PlanVersion, bool]:
    require(access, who, "plan.edit")
    return plans.import_version(store, content, digest=digest, source=source, author=who.name)


def approve_plan(
    store: StateStore, access: AccessConfig, who: Actor, plan: str, version: int | None
) -> PlanVersion:
    """Approve a draft plan version (never one the actor imported)."""
    require(access, who, "plan.approve")
    return plans.approve(store, plan, version, by=who.name)


def explain_variance(
    store: StateStore,
    access: AccessConfig,
    who: Actor,
    plan: str,
    key: plans.TargetKey,
    text: str,
) -> VarianceExplanation:
    require(access, who, "plan.edit")
    return plans.explain(store, plan, key, text=text, by=who.name)


def raise_decision(
    store: StateStore,
    access: AccessConfig,
    who: Actor,
    *,
    account_key: str,
    question: str,
    options: Sequence[str],
    owner: str,
    due_date: dt.date,
    amount: Decimal | None,
) -> DecisionRequest:
    require(access, who, "decisions.raise")
    return decisions.raise_request(
        store,
        account_key=account_key,
        question=question,
        options=options,
        owner=owner,
        due_date=due_date,
        amount=amount,
        by=who.name,
    )


def close_decision(
    store: StateStore,
    access: AccessConfig,
    who: Actor,
    request_id: str,
    *,
    decision: str | None,
    rationale: str,
    leaders: Sequence[str],
) -> DecisionRequest:
    """Decide a request (or withdraw it when `decision` is None), by a leader when leaders
    are named in tieout.yml."""
    require(access, who, "decisions.decide")
    if decision is None:
        return decisions.withdraw(store, request_id, reason=rationale, by=who.name, leaders=leaders)
    return decisions.decide(
        store, request_id, decision=decision, rationale=rationale, by=who.name, leaders=leaders
    )


def decide_match(
    store: StateStore,
    access: AccessConfig,
    who: Actor,
    review_id: str,
    decision: str,
    note: str | None,
) -> MatchReview:
    """Accept or reject a proposed link between records."""
    require(access, who, "match.review")
    return matching.decide(store, review_id, decision, note, by=who.name)


def _in_scope(store: StateStore, case_id: str, own: Collection[str] | None) -> None:
    """Someone limited to their own accounts cannot touch another's exceptions (answered as
    if the case did not exist: its id says nothing about it)."""
    if own is None:
        return
    with store.session() as s:
        case = s.get(ExceptionCase, case_id)
        if case is None or case.account_key not in own:
            raise UsageError(f"no exception {case_id!r} (see `tieout exceptions`)")
