"""The workflow tables replayed from the audit log: what each case, close, plan version,
match decision, user and token must look like if every change went through tieout.

A chain proves the log was not edited; it cannot see a change made straight in the tables
(a case set to waived, a close to signed off, a token inserted) that never wrote an entry.
Replaying the log and comparing catches those: each difference is a change the log does
not explain.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tieout.state.models import AuditEvent, ExceptionCase, MatchDecision, PeriodClose, PlanVersion
from tieout.state.users import ApiToken, User, credential

SHOWN_PER_TABLE = 20  # the rest are counted


def differences(s: Session) -> list[str]:
    """Every way the workflow tables differ from the log, a few per table."""
    found: list[str] = []
    for check in (_cases, _closes, _plans, _match_decisions, _users, _tokens):
        problems = list(check(s))
        found += problems[:SHOWN_PER_TABLE]
        if len(problems) > SHOWN_PER_TABLE:
            found.append(f"... and {len(problems) - SHOWN_PER_TABLE:,} more like these")
    return found


def _entries(s: Session, entity: str) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    query = (
        select(AuditEvent.action, AuditEvent.actor, AuditEvent.entity_id, AuditEvent.detail)
        .where(AuditEvent.entity == entity)
        .order_by(AuditEvent.id)
        .execution_options(yield_per=5000)
    )
    for action, actor, entity_id, detail in s.execute(query):
        yield action, actor, entity_id, detail or {}


def _compare(
    what: str, expected: dict[str, dict[str, Any]], actual: dict[str, dict[str, Any]]
) -> Iterator[str]:
    for key, row in actual.items():
        want = expected.get(key)
        if want is None:
            yield f"{what} {key} has no entry in the audit log: it was written outside tieout"
            continue
        for field, value in want.items():
            if row.get(field) != value:
                yield (
                    f"{what} {key}: {field} is {row.get(field)!r} but the audit log says "
                    f"{value!r}: changed outside tieout"
                )
    for key in expected.keys() - actual.keys():
        yield f"{what} {key} is in the audit log but no longer in its table: deleted"


def _cases(s: Session) -> Iterator[str]:
    expected: dict[str, dict[str, Any]] = {}
    for action, _, case_id, detail in _entries(s, "exception"):
        if action == "exception.open":
            expected[case_id] = {"status": "open", "reason": None, "assigned_to": None}
        elif case_id not in expected:
            continue  # opened before the log recorded openings: nothing to replay from
        elif action == "exception.reopen":
            expected[case_id].update(status="open", reason="came back")
        elif action == "exception.auto_resolve":
            expected[case_id].update(status="resolved", reason="condition cleared")
        else:
            expected[case_id].update(detail.get("after", {}))
    fields = (ExceptionCase.id, ExceptionCase.status, ExceptionCase.reason)
    actual = {
        row.id: {"status": row.status, "reason": row.reason, "assigned_to": row.assigned_to}
        for row in s.execute(select(*fields, ExceptionCase.assigned_to))
    }
    yield from _compare("exception", expected, actual)


def _closes(s: Session) -> Iterator[str]:
    expected: dict[str, dict[str, Any]] = {}
    for action, actor, period, _ in _entries(s, "period_close"):
        if action == "close.prepare":
            expected[period] = {"status": "prepared", "prepared_by": actor, "signed_off_by": None}
        elif action == "close.signoff" and period in expected:
            expected[period].update(status="signed_off", signed_off_by=actor)
    actual = {
        c.period: {
            "status": c.status,
            "prepared_by": c.prepared_by,
            "signed_off_by": c.signed_off_by,
        }
        for c in s.scalars(select(PeriodClose))
    }
    yield from _compare("close", expected, actual)


def _plans(s: Session) -> Iterator[str]:
    expected: dict[str, dict[str, Any]] = {}
    for action, actor, key, detail in _entries(s, "plan"):
        if action == "plan.import":
            expected[key] = {
                "status": "draft",
                "author": actor,
                "approved_by": None,
                "content_hash": detail.get("hash"),
            }
        elif action == "plan.approve" and key in expected:
            expected[key].update(status="approved", approved_by=actor)
    actual = {
        f"{v.plan}@{v.version}": {
            "status": v.status,
            "author": v.author,
            "approved_by": v.approved_by,
            "content_hash": v.content_hash,
        }
        for v in s.scalars(select(PlanVersion))
    }
    yield from _compare("plan version", expected, actual)


def _match_decisions(s: Session) -> Iterator[str]:
    """Decisions carry no id in the log, so compare what was decided, by whom, how often."""
    logged: Counter[tuple[str, str, str, str]] = Counter()
    for action, actor, _, detail in _entries(s, "match_review"):
        if action in ("match.accept", "match.reject"):
            decision = action.removeprefix("match.")
            logged[(str(detail.get("member")), str(detail.get("anchor")), decision, actor)] += 1
    rows: Counter[tuple[str, str, str, str]] = Counter(
        (d.member_id, d.anchor_id, d.decision, d.decided_by)
        for d in s.scalars(select(MatchDecision))
    )
    for (member, anchor, decision, by), count in (rows - logged).items():
        yield (
            f"match decision {decision} {member} -> {anchor} by {by} ({count}x) has no entry "
            "in the audit log: it was written outside tieout"
        )
    for (member, anchor, decision, by), count in (logged - rows).items():
        yield f"match decision {decision} {member} -> {anchor} by {by} ({count}x) was deleted"


def _users(s: Session) -> Iterator[str]:
    expected: dict[str, dict[str, Any]] = {}
    for action, _, name, detail in _entries(s, "user"):
        if action == "user.add":
            expected[name] = {"role": detail.get("role"), "active": True}
        elif name not in expected:
            continue
        elif action in ("user.enable", "user.disable"):
            expected[name]["active"] = action == "user.enable"
        if "credential" in detail and name in expected:
            expected[name]["credential"] = detail["credential"]
    actual = {
        u.name: {"role": u.role, "active": u.active, "credential": credential(u.password_hash)}
        for u in s.scalars(select(User))
    }
    yield from _compare("user", expected, actual)


def _tokens(s: Session) -> Iterator[str]:
    expected: dict[str, dict[str, Any]] = {}
    for action, _, token_id, detail in _entries(s, "token"):
        if action == "token.issue":
            expected[token_id] = {
                "user": detail.get("user"),
                "scopes": detail.get("scopes"),
                "revoked": False,
            }
        elif action == "token.revoke" and token_id in expected:
            expected[token_id]["revoked"] = True
    actual = {
        t.id: {"user": t.user_name, "scopes": list(t.scopes), "revoked": t.revoked_at is not None}
        for t in s.scalars(select(ApiToken))
    }
    yield from _compare("token", expected, actual)
