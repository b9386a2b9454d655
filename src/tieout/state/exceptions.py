"""Exception workflow in the state store: sync with a run's findings, and people's actions."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from tieout.errors import UsageError
from tieout.state.audit import chain_rows
from tieout.state.files import private_dir, private_file
from tieout.state.models import AuditEvent, ExceptionCase, ExceptionNote
from tieout.state.store import StateStore, actor, now

OPEN_STATUSES = ("open", "acknowledged", "waiver_requested", "resolve_requested")
FACTS = ("rule", "severity", "owner", "account_key", "amount_at_risk", "detail", "source_refs")
MAX_ATTACHMENT = 25 * 2**20
ACTIONS = {"ack": "acknowledged", "resolve": "resolved", "waive": "waived"}
# an action over the approval limit by someone who may not approve becomes a request: the
# status it waits in, and the status a second person's approval gives it
REQUESTS = {"waive": "waiver_requested", "resolve": "resolve_requested"}
APPROVED = {"waiver_requested": ("waived", "waiver"), "resolve_requested": ("resolved", "resolve")}


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
    store: StateStore,
    case_id: str,
    action: str,
    reason: str | None,
    by: str | None = None,
    *,
    approval_above: Decimal | None = None,
) -> ExceptionCase:
    """ack, resolve or waive (a waiver needs a reason); audited with who (`by`, else the
    shell's user), when, and the case before and after. A waiver or a resolve of more money
    at risk than `approval_above` (the caller's limit: None for someone who may approve
    waivers) needs a reason and becomes a request that someone else must approve
    (`decide_waiver`): closing a large exception by calling it fixed takes the same two
    people as accepting it."""
    if action not in ACTIONS:
        raise UsageError(f"action must be one of {', '.join(ACTIONS)}")
    if action == "waive" and not reason:
        raise UsageError("waiving an exception needs a reason")
    who = by or actor()
    with store.session() as s:
        case = _case(s, case_id)
        before = _workflow(case)
        status = ACTIONS[action]
        at_risk = case.amount_at_risk or Decimal(0)
        if action in REQUESTS and approval_above is not None and at_risk > approval_above:
            if not reason:
                raise UsageError(
                    f"{case_id} has {at_risk:,.2f} at risk, over the approval limit of "
                    f"{approval_above:,.2f}: say why (a reason) and someone who may approve "
                    "waivers approves it"
                )
            status, case.waiver_requested_by = REQUESTS[action], who
        case.status, case.reason, case.updated_at = status, reason, now()
        _audit(s, who, f"exception.{action}", case_id, before, _workflow(case))
        return case


def decide_waiver(
    store: StateStore, case_id: str, *, approve: bool, by: str, note: str | None = None
) -> ExceptionCase:
    """Approve (-> waived, or resolved) or reject (-> acknowledged) a waiver or resolve
    request; segregation of duties: the person who asked cannot decide it."""
    with store.session() as s:
        case = _case(s, case_id)
        if case.status not in APPROVED:
            raise UsageError(
                f"{case_id} has no waiver or resolve waiting for approval (it is {case.status})"
            )
        granted, kind = APPROVED[case.status]
        if by == case.waiver_requested_by:
            raise UsageError(f"{by} asked for this {kind}, so someone else must decide it")
        before = _workflow(case)
        if approve:
            case.status = granted
        else:
            case.status, case.reason = "acknowledged", note or f"{kind} rejected"
        case.updated_at = now()
        action = f"exception.{kind}_{'approved' if approve else 'rejected'}"
        _audit(s, by, action, case_id, before, _workflow(case), note=note)
        return case


def assign(store: StateStore, case_id: str, to: str | None, by: str | None = None) -> ExceptionCase:
    """Give the case to a person (None: back to the rule's owner); runs keep the assignee."""
    with store.session() as s:
        case = _case(s, case_id)
        before = _workflow(case)
        case.assigned_to, case.updated_at = (to or None), now()
        _audit(s, by or actor(), "exception.assign", case_id, before, _workflow(case))
        return case


def comment(
    store: StateStore,
    case_id: str,
    text: str,
    by: str | None = None,
    *,
    attachment: tuple[str, bytes] | None = None,
    folder: Path | None = None,
) -> ExceptionNote:
    """A note on the case; an attached document is kept under `folder` by its SHA-256 and the
    audit entry records that hash, so the file shown later is provably the one attached."""
    if not text.strip() and attachment is None:
        raise UsageError("a comment needs text or a file")
    file_name = digest = size = None
    if attachment is not None:
        if folder is None:
            raise UsageError("no folder to keep attachments in")
        file_name, content = Path(attachment[0]).name or "attachment", attachment[1]
        if len(content) > MAX_ATTACHMENT:
            raise UsageError(f"{file_name} is over {MAX_ATTACHMENT // 2**20} MiB")
        digest, size = hashlib.sha256(content).hexdigest(), len(content)
        private_file(private_dir(folder) / digest, content)
    who = by or actor()
    with store.session() as s:
        _case(s, case_id)
        note = ExceptionNote(
            case_id=case_id,
            at=now(),
            author=who,
            text=text.strip(),
            file_name=file_name,
            file_sha256=digest,
            file_size=size,
        )
        s.add(note)
        detail = {"text": note.text, "file": file_name, "sha256": digest}
        s.add(
            AuditEvent(
                at=note.at,
                actor=who,
                action="exception.comment",
                entity="exception",
                entity_id=case_id,
                detail={k: v for k, v in detail.items() if v},
            )
        )
        return note


def notes(store: StateStore, case_id: str) -> list[ExceptionNote]:
    with store.session() as s:
        return list(
            s.scalars(
                select(ExceptionNote)
                .where(ExceptionNote.case_id == case_id)
                .order_by(ExceptionNote.id)
            )
        )


def open_by_account(store: StateStore) -> dict[str, list[tuple[str, str, str]]]:
    """Each account's open cases (open, acknowledged, or waiting for a waiver's approval) as
    (id, rule, severity after escalation): what account health weighs."""
    found: dict[str, list[tuple[str, str, str]]] = {}
    with store.session() as s:
        rows = s.execute(
            select(
                ExceptionCase.account_key,
                ExceptionCase.id,
                ExceptionCase.rule,
                ExceptionCase.severity,
            )
            .where(ExceptionCase.status.in_(OPEN_STATUSES), ExceptionCase.account_key.isnot(None))
            .order_by(ExceptionCase.id)
        )
        for key, case_id, rule, severity in rows:
            found.setdefault(str(key), []).append((case_id, rule, severity))
    return found


def _case(s: Session, case_id: str) -> ExceptionCase:
    case = s.get(ExceptionCase, case_id)
    if case is None:
        raise UsageError(f"no exception {case_id!r} (see `tieout exceptions`)")
    return case


def _workflow(case: ExceptionCase) -> dict[str, Any]:
    """The fields people change, as the audit log's before and after."""
    return {"status": case.status, "reason": case.reason, "assigned_to": case.assigned_to}


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
            query = query.where(
                func.coalesce(ExceptionCase.assigned_to, ExceptionCase.owner) == owner
            )
        return list(s.scalars(query))


def _audit(
    s: Session,
    who: str,
    action: str,
    case_id: str,
    before: dict[str, Any],
    after: dict[str, Any],
    **extra: Any,
) -> None:
    changed = {k for k in after if before.get(k) != after[k]}
    detail = {
        "before": {k: before.get(k) for k in sorted(changed)},
        "after": {k: after[k] for k in sorted(changed)},
        **{k: v for k, v in extra.items() if v},
    }
    s.add(
        AuditEvent(
            at=now(), actor=who, action=action, entity="exception", entity_id=case_id, detail=detail
        )
    )
