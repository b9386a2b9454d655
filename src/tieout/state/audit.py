"""A tamper-evident audit log: each entry's hash covers its content and the hash of the entry
before it, so editing or deleting any entry breaks the chain from there on.

Appends are serialised on the chain head, one row that every appending transaction locks
before it reads it (SQLite: the store begins every transaction IMMEDIATE, so one writer at
a time; PostgreSQL: SELECT ... FOR UPDATE on the row). Two writers can therefore never
chain to the same previous entry. Each store installs the chaining on its own sessions
(`Chain`), nothing global. Before a transaction that appended commits, the new head is
signed and checkpointed outside the database (state/anchor.py), which is what lets
`tieout audit verify` (state/verify.py) see truncation and re-chaining.
"""

from __future__ import annotations

import hashlib
import json
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from sqlalchemy import Integer, String, event, inspect, select
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from tieout.errors import TieoutError
from tieout.state.anchor import Anchor, Head
from tieout.state.models import AuditEvent, Base

if TYPE_CHECKING:
    from tieout.state.store import StateStore

GENESIS = "0" * 64
_CHAIN, _HEAD, _PENDING = "audit_chain", "audit_head", "audit_pending"


class AuditHead(Base):
    """The chain's end, one row (id 1): how many entries and the last one's hash."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class AuditAnchor(Base):
    """A run's record of the chain head, signed like a checkpoint: a second copy of the
    anchor kept in the database itself, next to the run it belongs to."""

    __tablename__ = "audit_anchor"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(String(40), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[str] = mapped_column(String(40))
    signature: Mapped[str] = mapped_column(String(64))


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


class Chain:
    """Chains every audit entry one store's sessions write, and checkpoints each new head."""

    def __init__(self, sessions: sessionmaker[Session], anchor: Anchor) -> None:
        self.anchor = anchor
        sessions.configure(info={_CHAIN: self})
        event.listen(sessions, "before_flush", self._before_flush)
        event.listen(sessions, "before_commit", self._before_commit)
        event.listen(sessions, "after_rollback", self._forget)

    def chain_rows(self, s: Session, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Rows for a bulk INSERT, chained here: a bulk insert does not pass the flush hook."""
        head = self._locked(s)
        prev = head.hash
        for row in rows:
            row["prev_hash"] = prev
            row["hash"] = prev = entry_hash(prev, SimpleNamespace(**row))
        self._advance(s, head, len(rows), prev)
        return rows

    def record_run(self, s: Session, run_id: str) -> None:
        """Sign the head as this transaction leaves it into the run's record."""
        s.flush()
        point = self.anchor.signed(s.info.get(_PENDING) or self.head(s))
        s.add(
            AuditAnchor(
                run_id=run_id,
                seq=point.head.seq,
                hash=point.head.hash,
                at=point.at,
                signature=point.signature,
            )
        )

    def head(self, s: Session) -> Head:
        """The head as the database has it (no lock: for reading)."""
        row = s.get(AuditHead, 1)
        if row is None:
            raise TieoutError("the audit chain head is missing: run `tieout audit verify`")
        return Head(row.seq, row.hash)

    def _before_flush(self, s: Session, *_: object) -> None:
        new = [o for o in s.new if isinstance(o, AuditEvent)]
        if not new:
            return
        new.sort(key=lambda o: inspect(o).insert_order or 0)
        head = self._locked(s)
        prev = head.hash
        for entry in new:
            entry.prev_hash = prev
            entry.hash = prev = entry_hash(prev, entry)
        self._advance(s, head, len(new), prev)

    def _locked(self, s: Session) -> AuditHead:
        """The head row, locked for the rest of the transaction (read once per transaction:
        later appends in it continue from the copy in memory)."""
        head: AuditHead | None = s.info.get(_HEAD)
        if head is None:
            with s.no_autoflush:
                head = s.scalars(
                    select(AuditHead)
                    .where(AuditHead.id == 1)
                    .with_for_update()
                    .execution_options(populate_existing=True)
                ).one_or_none()
            if head is None:
                raise TieoutError("the audit chain head is missing: run `tieout audit verify`")
            s.info[_HEAD] = head
        return head

    def _advance(self, s: Session, head: AuditHead, added: int, last: str) -> None:
        head.seq, head.hash = head.seq + added, last
        s.info[_PENDING] = Head(head.seq, last)

    def _before_commit(self, s: Session) -> None:
        """Checkpoint while the head is still locked, so a reader holding the lock never
        sees a committed head without its checkpoint."""
        s.flush()
        pending = s.info.pop(_PENDING, None)
        s.info.pop(_HEAD, None)
        if pending is None:
            return
        try:
            self.anchor.checkpoint(pending)
        except OSError as exc:  # nothing commits that the anchor cannot vouch for
            raise TieoutError(f"the audit checkpoint could not be written ({exc})") from None

    def _forget(self, s: Session, *_: object) -> None:
        s.info.pop(_PENDING, None)
        s.info.pop(_HEAD, None)


def chain_rows(s: Session, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Chain rows for a bulk INSERT through the chain of the store that made `s`."""
    chain: Chain = s.info[_CHAIN]
    return chain.chain_rows(s, rows)


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
