"""`tieout audit verify`: is the log whole, unedited, anchored, and does it explain the
workflow tables?

Four checks, each catching what the others cannot:
1. the chain: an edited entry no longer matches its hash; a deleted one leaves the next
   entry pointing at a hash that is not the one before it;
2. the head row: how long the database says the chain is;
3. the signed checkpoints (file) and run anchors (database): deleting the newest entries,
   or rewriting one and recomputing every hash after it, leaves a chain that no longer
   reaches, or no longer passes through, a head signed earlier with a key the database
   does not hold;
4. the replay (state/replay.py): a change made in a table without an entry.

It reads under the chain head's lock, so no append is half done (committed without its
checkpoint) while it looks.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from tieout.state.anchor import Anchor, Checkpoint, Head
from tieout.state.audit import GENESIS, AuditAnchor, AuditHead, entry_hash
from tieout.state.models import AuditEvent
from tieout.state.replay import differences
from tieout.state.store import StateStore


@dataclass(frozen=True)
class Verdict:
    entries: int
    head: str
    anchors: int  # signed heads checked: checkpoint lines and run anchors
    problems: list[str]


@dataclass(frozen=True)
class _Entry:
    id: int
    hash: str


def verify(store: StateStore) -> Verdict:
    with store.session() as s:
        s.execute(select(AuditHead.id).with_for_update(read=True)).all()  # appends wait
        points = store.anchor.checkpoints()
        chain, problems = _walk(s)
        problems += _head(s, chain)
        runs = [
            (
                f"run {a.run_id}'s anchor ({a.at})",
                Checkpoint(Head(a.seq, a.hash), a.at, a.signature, 0),
            )
            for a in s.scalars(select(AuditAnchor).order_by(AuditAnchor.id))
        ]
        replayed = differences(s)
    problems += _file(store.anchor, chain, points)
    problems += _signed(store.anchor, chain, runs)
    problems += replayed  # last: a broken log explains these, so it is named first
    head = chain[-1].hash if chain else GENESIS
    return Verdict(len(chain), head, len(points or []) + len(runs), problems)


def _walk(s: Session) -> tuple[list[_Entry], list[str]]:
    problems: list[str] = []
    chain: list[_Entry] = []
    prev = GENESIS
    query = select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=5000)
    for e in s.scalars(query):
        if e.prev_hash != prev:
            problems.append(
                f"entry {e.id} ({e.action} {e.entity_id}): the entry before it was deleted "
                "or changed"
            )
        if e.hash != entry_hash(e.prev_hash or GENESIS, e):
            problems.append(f"entry {e.id} ({e.action} {e.entity_id}): its content was edited")
        prev = e.hash or ""
        chain.append(_Entry(e.id, prev))
    return chain, problems


def _head(s: Session, chain: list[_Entry]) -> list[str]:
    row = s.get(AuditHead, 1)
    if row is None:
        return ["the chain head row (audit_head) was deleted"]
    last = chain[-1].hash if chain else GENESIS
    if (row.seq, row.hash) != (len(chain), last):
        return [
            f"the chain head says {row.seq:,} entries ending {row.hash[:16]}, the log has "
            f"{len(chain):,} ending {last[:16]}: entries were deleted or rewritten"
        ]
    return []


def _file(anchor: Anchor, chain: list[_Entry], points: list[Checkpoint] | None) -> list[str]:
    where = anchor.checkpoints_file
    if points is None:
        if chain:
            return [
                f"the checkpoint file {where} is missing: nothing outside the database proves "
                "the log complete"
            ]
        return []
    labelled = [(f"checkpoint {where}:{p.line} ({p.at})", p) for p in points]
    problems = _signed(anchor, chain, labelled)
    newest = max((p.head.seq for p in points if anchor.genuine(p)), default=0)
    if newest < len(chain):
        problems.append(
            f"entries {newest + 1:,} to {len(chain):,} (ids {chain[newest].id} to "
            f"{chain[-1].id}) were never checkpointed: they were written outside tieout"
        )
    return problems


def _signed(
    anchor: Anchor, chain: list[_Entry], labelled: list[tuple[str, Checkpoint]]
) -> list[str]:
    """Forged heads, then the first genuine head the chain no longer reaches and the first
    it no longer passes through (every later one follows from those)."""
    problems = [
        f"{label} is not signed with this store's key: forged or damaged"
        for label, p in labelled
        if not anchor.genuine(p)
    ]
    genuine = sorted(
        ((label, p) for label, p in labelled if anchor.genuine(p)), key=lambda lp: lp[1].head.seq
    )
    if genuine and genuine[-1][1].head.seq > len(chain):
        label, p = genuine[-1]
        problems.append(
            f"{label} proves {p.head.seq:,} entries; the log has {len(chain):,}: "
            f"the newest {p.head.seq - len(chain):,} were deleted"
        )
    for label, p in genuine:
        at = p.head.seq
        if 0 < at <= len(chain) and chain[at - 1].hash != p.head.hash:
            problems.append(
                f"{label} says entry {at:,} ended the log with hash {p.head.hash[:16]}; "
                f"entry {at:,} (id {chain[at - 1].id}) now has {chain[at - 1].hash[:16]}: "
                "the log was rewritten up to there"
            )
            break
    return problems
