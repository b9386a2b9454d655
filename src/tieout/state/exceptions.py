"""Exception workflow in the state store: sync with a run's findings, and people's actions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update

from tieout.errors import UsageError
from tieout.state.audit import chain_rows
from tieout.state.models import AuditEvent, ExceptionCase
from tieout.state.store import StateStore, actor, now

OPEN_STATUSES = ("open", "acknowledged")
FACTS = ("rule", "severity", "owner", "account_key", "amount_at_risk", "detail", "source_refs")
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

    `escalate(row, first_seen)` gives the severity and owner after escalation rules. Set-based
    (one read, bulk writes of what changed): a daily run sees tens of thousands of cases.
    """
    stamp, who = now(), "tieout"
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    audits: list[dict[str, Any]] = []

    def audit(action: str, case_id: str, detail: dict[str, Any]) -> None:
        audits.append(
            {
                "at": stamp,
                "actor": who,
                "action": action,
                "entity": "exception",
                "entity_id": case_id,
                "detail": detail,
            }
        )

    with store.session() as s:
        columns = [
            getattr(ExceptionCase, c) for c in ("id", "status", "first_seen", "last_seen", *FACTS)
        ]
        cases = {row.id: row for row in s.execute(select(*columns))}
        seen: set[str] = set()
        reopened = 0
        for row in found:
            seen.add(row["id"])
            case = cases.get(row["id"])
            severity, owner = escalate(row, case.first_seen if case else as_of)
            facts = {**{k: row[k] for k in FACTS}, "severity": severity, "owner": owner}
            if case is None:
                inserts.append(
                    {
                        "id": row["id"],
                        "status": "open",
                        "first_seen": as_of,
                        "last_seen": as_of,
                        "updated_at": stamp,
                        **facts,
                    }
                )
                audit("exception.open", row["id"], {"rule": row["rule"]})
                continue
            if (case.severity, case.owner) != (severity, owner):
                audit("exception.escalate", case.id, {"severity": severity, "owner": owner})
            changes = {k: v for k, v in facts.items() if getattr(case, k) != v}
            if case.last_seen != as_of:
                changes["last_seen"] = as_of
            if case.status == "resolved":
                changes.update(status="open", reason="came back", updated_at=stamp)
                audit("exception.reopen", case.id, {})
                reopened += 1
            if changes:
                updates.append({"id": case.id, **changes})
        cleared = [c.id for c in cases.values() if c.id not in seen and c.status in OPEN_STATUSES]
        for case_id in cleared:
            updates.append(
                {
                    "id": case_id,
                    "status": "resolved",
                    "reason": "condition cleared",
                    "updated_at": stamp,
                }
            )
            audit("exception.auto_resolve", case_id, {})
        if inserts:
            s.execute(insert(ExceptionCase), inserts)
        if updates:  # bulk UPDATE by primary key
            s.execute(update(ExceptionCase), updates)
        if audits:
            s.execute(insert(AuditEvent), chain_rows(s, audits))
        still = sum(1 for c in cases.values() if c.id in seen and c.status in OPEN_STATUSES)
    return SyncResult(len(inserts), reopened, len(cleared), still + len(inserts) + reopened)


def act(
    store: StateStore, case_id: str, action: str, reason: str | None, by: str | None = None
) -> ExceptionCase:
    """ack, resolve or waive (a waiver needs a reason); audited with who (`by`, else the
    shell's user) and when."""
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
            by or actor(),
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


def _audit(s: Any, who: str, action: str, case_id: str, detail: dict[str, Any]) -> None:
    s.add(
        AuditEvent(
            at=now(), actor=who, action=action, entity="exception", entity_id=case_id, detail=detail
        )
    )
