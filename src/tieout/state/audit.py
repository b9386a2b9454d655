"""A tamper-evident audit log: each entry's hash covers its content and the hash of the entry
before it, so editing or deleting any entry breaks the chain from there on, and
`tieout audit verify` says where."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from tieout.state.models import AuditEvent
from tieout.state.store import StateStore

GENESIS = "0" * 64


def entry_hash(prev: str, e: AuditEvent | Any) -> str:
    """sha256 over the previous hash and the entry's content in a canonical JSON form."""
    content = {
        "at": e.at.isoformat(timespec="microseconds"),
        "actor": e.actor,
        "action": e.action,
        "entity": e.entity,
        "entity_id": e.entity_id,
        "detail": e.detail or {},
    }
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((prev + text).encode("utf-8")).hexdigest()


@event.listens_for(Session, "before_flush")
def _chain(s: Session, *_: object) -> None:
    """Every new entry is chained to the last one written, in the order they are inserted."""
    new = [o for o in s.new if isinstance(o, AuditEvent)]
    if not new:
        return
    new.sort(key=lambda o: inspect(o).insert_order or 0)
    with s.no_autoflush:
        prev = s.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
    prev = prev or GENESIS
    for entry in new:
        entry.prev_hash = prev
        entry.hash = prev = entry_hash(prev, entry)


def chain_rows(s: Session, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows for a bulk INSERT, chained here: a bulk insert does not pass the flush hook."""
    with s.no_autoflush:
        prev = s.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
    prev = prev or GENESIS
    for row in rows:
        row["prev_hash"] = prev
        row["hash"] = prev = entry_hash(prev, SimpleNamespace(**row))
    return rows


@dataclass(frozen=True)
class Verdict:
    entries: int
    head: str
    problems: list[str]


def verify(store: StateStore) -> Verdict:
    """Walk the chain from the first entry: an edited entry no longer matches its hash; a
    deleted one leaves the next entry pointing at a hash that is not the one before it."""
    problems: list[str] = []
    prev = GENESIS
    count = 0
    with store.session() as s:
        for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id)):
            count += 1
            if e.prev_hash != prev:
                problems.append(
                    f"entry {e.id} ({e.action} {e.entity_id}): the entry before it was deleted "
                    "or changed"
                )
            if e.hash != entry_hash(e.prev_hash or GENESIS, e):
                problems.append(f"entry {e.id} ({e.action} {e.entity_id}): its content was edited")
            prev = e.hash or ""
    return Verdict(count, prev, problems)


def history(store: StateStore, entity: str, entity_ids: list[str]) -> list[AuditEvent]:
    """What happened to these records, oldest first (an account page passes the account and
    the ids of its exceptions and decisions)."""
    with store.session() as s:
        return list(
            s.scalars(
                select(AuditEvent)
                .where(AuditEvent.entity == entity, AuditEvent.entity_id.in_(entity_ids))
                .order_by(AuditEvent.id)
            )
        )
