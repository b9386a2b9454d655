"""Exception workflow in the state store: sync with a run's findings, and people's actions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from tieout.errors import UsageError
from tieout.state.models import AuditEvent, ExceptionCase
from tieout.state.store import StateStore, actor, now

OPEN_STATUSES = ("open", "acknowledged")
ACTIONS = {"ack": "acknowledged", "resolve": "resolved", "waive": "waived"}


@dataclass(frozen=True)
class SyncResult:
    opened: int
    reopened: int
    auto_resolved: int
    still_open: int


def sync_cases(
    store: StateStore,
    found: list[dict[str, Any]],
    as_of: dt.date,
    escalate: Callable[[dict[str, Any], dt.date], tuple[str, str | None]],
) -> SyncResult:
    """Bring the cases in line with what the rules found in this run.

    `escalate(row, first_seen)` gives the severity and owner after escalation rules.
    """
    stamp, who = now(), "tieout"
    opened = reopened = resolved = 0
    with store.session() as s:
        cases = {c.id: c for c in s.scalars(select(ExceptionCase))}
        seen: set[str] = set()
        for row in found:
            seen.add(row["id"])
            case = cases.get(row["id"])
            severity, owner = escalate(row, case.first_seen if case else as_of)
            facts = {**_facts(row), "severity": severity, "owner": owner}
            if case is None:
                s.add(
                    ExceptionCase(
                        id=row["id"],
                        status="open",
                        first_seen=as_of,
                        last_seen=as_of,
                        updated_at=stamp,
                        **facts,
                    )
                )
                _audit(s, who, "exception.open", row["id"], {"rule": row["rule"]})
                opened += 1
                continue
            if (case.severity, case.owner) != (severity, owner):
                _audit(
                    s, who, "exception.escalate", case.id, {"severity": severity, "owner": owner}
                )
            for key, value in facts.items():
                setattr(case, key, value)
            case.last_seen = as_of
            if case.status == "resolved":
                case.status, case.reason, case.updated_at = "open", "came back", stamp
                _audit(s, who, "exception.reopen", case.id, {})
                reopened += 1
        for case in cases.values():
            if case.id not in seen and case.status in OPEN_STATUSES:
                case.status, case.reason, case.updated_at = "resolved", "condition cleared", stamp
                _audit(s, who, "exception.auto_resolve", case.id, {})
                resolved += 1
        still = sum(1 for c in cases.values() if c.id in seen and c.status in OPEN_STATUSES)
    return SyncResult(opened, reopened, resolved, still + opened + reopened)


def act(store: StateStore, case_id: str, action: str, reason: str | None) -> ExceptionCase:
    """ack, resolve or waive (a waiver needs a reason); audited with who and when."""
    if action not in ACTIONS:
        raise UsageError(f"action must be one of {', '.join(ACTIONS)}")
    if action == "waive" and not reason:
        raise UsageError("waiving an exception needs --reason")
    with store.session() as s:
        case = s.get(ExceptionCase, case_id)
        if case is None:
            raise UsageError(f"no exception {case_id!r} (see `tieout exceptions`)")
        before = case.status
        case.status, case.reason, case.updated_at = ACTIONS[action], reason, now()
        _audit(
            s,
            actor(),
            f"exception.{action}",
            case_id,
            {"from": before, "to": case.status, "reason": reason},
        )
        return case


def cases(
    store: StateStore, *, rule: str | None, status: str | None, owner: str | None
) -> list[ExceptionCase]:
    with store.session() as s:
        query = select(ExceptionCase).order_by(
            ExceptionCase.amount_at_risk.desc().nulls_last(), ExceptionCase.id
        )
        if rule:
            query = query.where(ExceptionCase.rule == rule)
        if status:
            query = query.where(ExceptionCase.status == status)
        if owner:
            query = query.where(ExceptionCase.owner == owner)
        return list(s.scalars(query))


def _facts(row: dict[str, Any]) -> dict[str, Any]:
    keys = ("rule", "severity", "owner", "account_key", "amount_at_risk", "detail", "source_refs")
    return {k: row[k] for k in keys}


def _audit(s: Any, who: str, action: str, case_id: str, detail: dict[str, Any]) -> None:
    s.add(
        AuditEvent(
            at=now(), actor=who, action=action, entity="exception", entity_id=case_id, detail=detail
        )
    )
