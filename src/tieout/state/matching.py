"""State for shared keys: golden memberships, people's decisions, the review queue."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import insert, select, update

from tieout.errors import UsageError
from tieout.state.models import AuditEvent, GoldenMember, MatchDecision, MatchReview
from tieout.state.store import StateStore, actor, now


@dataclass(frozen=True)
class Membership:
    member_id: str
    golden_key: str
    method: str


@dataclass(frozen=True)
class ReviewItem:
    member_id: str
    anchor_id: str
    probability: float
    reason: str


def review_id(entity: str, member_id: str, anchor_id: str) -> str:
    """Stable: the same proposed pair keeps its id across runs and rebuilds."""
    digest = hashlib.md5(f"{entity}|{member_id}|{anchor_id}".encode(), usedforsecurity=False)
    return "R-" + digest.hexdigest()[:10].upper()


def golden_members(store: StateStore, entity: str) -> dict[str, str]:
    with store.session() as s:
        rows = s.execute(
            select(GoldenMember.member_id, GoldenMember.golden_key).where(
                GoldenMember.entity_type == entity
            )
        )
        return {member: key for member, key in rows}


def save_members(store: StateStore, entity: str, members: Iterable[Membership]) -> int:
    """Record this run's memberships; returns how many records changed golden key."""
    stamp = now()
    known = golden_members(store, entity)
    fresh: list[dict[str, object]] = []
    moved: list[Membership] = []
    for m in members:
        if m.member_id not in known:
            fresh.append(
                {
                    "entity_type": entity,
                    "member_id": m.member_id,
                    "golden_key": m.golden_key,
                    "method": m.method,
                    "first_seen": stamp,
                    "last_seen": stamp,
                }
            )
        elif known[m.member_id] != m.golden_key:
            moved.append(m)
    with store.session() as s:
        s.execute(
            update(GoldenMember).where(GoldenMember.entity_type == entity).values(last_seen=stamp)
        )
        if fresh:
            s.execute(insert(GoldenMember), fresh)
        for m in moved:
            s.execute(
                update(GoldenMember)
                .where(GoldenMember.entity_type == entity, GoldenMember.member_id == m.member_id)
                .values(golden_key=m.golden_key, method=m.method)
            )
    return len(moved)


def decisions(store: StateStore, entity: str) -> list[tuple[str, str, str]]:
    """(member, anchor, accept|reject), the latest decision per pair."""
    with store.session() as s:
        rows = s.execute(
            select(MatchDecision.member_id, MatchDecision.anchor_id, MatchDecision.decision)
            .where(MatchDecision.entity_type == entity)
            .order_by(MatchDecision.decided_at)
        )
        latest = {(m, a): d for m, a, d in rows}
    return [(m, a, d) for (m, a), d in latest.items()]


def sync_reviews(store: StateStore, entity: str, items: Iterable[ReviewItem]) -> int:
    """Open a review for each new item; items no longer proposed are marked gone."""
    stamp = now()
    current = {review_id(entity, i.member_id, i.anchor_id): i for i in items}
    with store.session() as s:
        existing = {
            r.id: r for r in s.scalars(select(MatchReview).where(MatchReview.entity_type == entity))
        }
        for rid, item in current.items():
            row = existing.get(rid)
            if row is None:
                s.add(
                    MatchReview(
                        id=rid,
                        entity_type=entity,
                        member_id=item.member_id,
                        anchor_id=item.anchor_id,
                        probability=item.probability,
                        reason=item.reason,
                        status="open",
                        first_seen=stamp,
                        last_seen=stamp,
                    )
                )
            else:
                row.last_seen, row.probability, row.reason = stamp, item.probability, item.reason
                if row.status == "gone":
                    row.status = "open"
        for rid, row in existing.items():
            if rid not in current and row.status == "open":
                row.status = "gone"
    return len(current)


def reviews(
    store: StateStore, entity: str | None = None, status: str | None = "open"
) -> list[MatchReview]:
    with store.session() as s:
        query = select(MatchReview).order_by(MatchReview.probability.desc(), MatchReview.id)
        if entity:
            query = query.where(MatchReview.entity_type == entity)
        if status:
            query = query.where(MatchReview.status == status)
        return list(s.scalars(query))


def decide(
    store: StateStore, rid: str, decision: str, note: str | None = None, *, by: str | None = None
) -> MatchReview:
    """Accept or reject a review item; recorded with who (`by`, else $TIEOUT_USER or the
    login) and when, and audited."""
    if decision not in ("accept", "reject"):
        raise UsageError(f"decision must be accept or reject, not {decision!r}")
    with store.session() as s:
        row = s.get(MatchReview, rid)
        if row is None:
            raise UsageError(f"no review item {rid!r} (see `tieout match review`)")
        who, stamp = by or actor(), now()
        s.add(
            MatchDecision(
                id=f"D-{rid}-{stamp:%Y%m%d%H%M%S%f}",
                entity_type=row.entity_type,
                member_id=row.member_id,
                anchor_id=row.anchor_id,
                decision=decision,
                decided_by=who,
                decided_at=stamp,
                note=note,
            )
        )
        before, row.status = row.status, "accepted" if decision == "accept" else "rejected"
        s.add(
            AuditEvent(
                at=stamp,
                actor=who,
                action=f"match.{decision}",
                entity="match_review",
                entity_id=rid,
                detail={
                    "member": row.member_id,
                    "anchor": row.anchor_id,
                    "note": note,
                    "before": {"status": before},
                    "after": {"status": row.status},
                },
            )
        )
        return row
