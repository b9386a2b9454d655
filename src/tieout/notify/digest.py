"""The daily digest: for each exception owner, the exceptions opened, reopened or escalated
to them since their last digest, money at risk first. What was sent is recorded in the audit
log, so a digest never repeats an item and a missed day is caught up."""

from __future__ import annotations

import os
import smtplib
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from email.message import EmailMessage

from sqlalchemy import select

from tieout.config.notify import NotifyConfig
from tieout.errors import ConfigError
from tieout.state.exceptions import OPEN_STATUSES
from tieout.state.models import AuditEvent, ExceptionCase
from tieout.state.store import StateStore

WHY = {
    "exception.open": "new",
    "exception.reopen": "back",
    "exception.escalate": "escalated",
    "exception.assign": "assigned to you",
}


@dataclass(frozen=True)
class Item:
    case_id: str
    why: str
    rule: str
    severity: str
    amount_at_risk: Decimal | None
    detail: str | None


@dataclass(frozen=True)
class Digest:
    owner: str
    address: str | None
    items: list[Item]
    through: int  # the last audit entry it covers

    def subject(self) -> str:
        return f"tieout: {len(self.items)} exception(s) new or escalated for {self.owner}"

    def body(self, currency: str) -> str:
        lines = [f"Exceptions for {self.owner} since your last digest, money at risk first:", ""]
        for i in self.items:
            money = f"{currency} {i.amount_at_risk:,.2f}" if i.amount_at_risk is not None else "-"
            lines.append(f"- [{i.why}] {i.rule} ({i.severity}) {money}: {i.detail or ''}")
            lines.append(f"  tieout exceptions show {i.case_id}")
        return "\n".join(lines) + "\n"


def collect_digests(store: StateStore, cfg: NotifyConfig) -> list[Digest]:
    """Per owner of an open exception: what happened to their exceptions since their last
    digest (the audit log says both)."""
    with store.session() as s:
        last: dict[str, int] = {}
        for owner, detail in s.execute(
            select(AuditEvent.entity_id, AuditEvent.detail).where(
                AuditEvent.action == "notify.digest"
            )
        ):
            last[owner] = max(last.get(owner, 0), int(str(detail.get("through", 0))))
        events = s.execute(
            select(AuditEvent.id, AuditEvent.action, AuditEvent.entity_id)
            .where(AuditEvent.entity == "exception", AuditEvent.action.in_(list(WHY)))
            .order_by(AuditEvent.id)
        ).all()
        cases = {
            c.id: c
            for c in s.scalars(
                select(ExceptionCase).where(ExceptionCase.status.in_(list(OPEN_STATUSES)))
            )
        }
    items: dict[str, dict[str, Item]] = defaultdict(dict)
    through: dict[str, int] = {}
    for event_id, action, case_id in events:
        case = cases.get(case_id)
        to = case.assignee if case is not None else None
        if case is None or to is None or event_id <= last.get(to, 0):
            continue
        items[to][case_id] = Item(
            case_id, WHY[action], case.rule, case.severity, case.amount_at_risk, case.detail
        )
        through[to] = event_id
    return [
        Digest(
            owner,
            cfg.recipients.get(owner),
            sorted(found.values(), key=lambda i: (-(i.amount_at_risk or 0), i.case_id)),
            through[owner],
        )
        for owner, found in sorted(items.items())
    ]


def send_digests(store: StateStore, cfg: NotifyConfig, currency: str) -> tuple[int, list[str]]:
    """Send each owner with an address their digest; returns (sent, owners without one)."""
    if cfg.smtp is None:
        raise ConfigError("notify.smtp is not set: add host, port and from_address", key="notify")
    smtp = cfg.smtp
    digests = collect_digests(store, cfg)
    missing = [d.owner for d in digests if d.address is None]
    sendable = [d for d in digests if d.address is not None]
    if not sendable:
        return 0, missing
    with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_seconds) as server:
        if smtp.starttls:
            server.starttls()
        if smtp.username_env and smtp.password_env:
            server.login(os.environ[smtp.username_env], os.environ[smtp.password_env])
        for d in sendable:
            message = EmailMessage()
            message["From"], message["To"] = smtp.from_address, str(d.address)
            message["Subject"] = d.subject()
            message.set_content(d.body(currency))
            server.send_message(message)
            store.audit(
                "notify.digest", "owner", d.owner, {"through": d.through, "items": len(d.items)}
            )
    return len(sendable), missing
