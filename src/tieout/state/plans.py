"""Plan versions in the state store: imported as drafts, approved by someone other than the
author, immutable from then on; and the written explanations of variances."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import event, func, inspect, select
from sqlalchemy.orm import Session

from tieout.errors import UsageError
from tieout.state.models import (
    AuditEvent,
    PlanCommitmentRow,
    PlanTargetRow,
    PlanVersion,
    VarianceExplanation,
)
from tieout.state.store import StateStore, now


@dataclass(frozen=True)
class PlanContent:
    """A version with its targets and commitments, read out of the store."""

    version: PlanVersion
    targets: list[PlanTargetRow]
    commitments: list[PlanCommitmentRow]


TargetKey = tuple[str, str, str | None, str | None]  # period, metric, dimension, member


def import_version(
    store: StateStore, content: dict[str, Any], *, digest: str, source: str, author: str
) -> tuple[PlanVersion, bool]:
    """A new draft version of the plan, unless its content equals the latest version's
    (then that version and False)."""
    plan = str(content["plan"])
    with store.session() as s:
        latest = s.scalars(
            select(PlanVersion).where(PlanVersion.plan == plan).order_by(PlanVersion.version.desc())
        ).first()
        if latest is not None and latest.content_hash == digest:
            return latest, False
        version = PlanVersion(
            plan=plan,
            version=latest.version + 1 if latest else 1,
            title=content["title"],
            source_file=source,
            content_hash=digest,
            cadence=content["cadence"],
            review_day=content["review_day"],
            threshold_pct=Decimal(str(content["variance_threshold_pct"])),
            author=author,
            created_at=now(),
            status="draft",
        )
        s.add(version)
        for t in content["targets"]:
            s.add(PlanTargetRow(plan=plan, version=version.version, **t))
        for c in content["commitments"]:
            s.add(PlanCommitmentRow(plan=plan, version=version.version, **c))
        _audit(s, author, "plan.import", version, {"file": source, "hash": digest})
        return version, True


def approve(store: StateStore, plan: str, version: int | None, *, by: str) -> PlanVersion:
    """Approve a draft (the latest unless `version`): not by its author, never twice, never
    one older than the version already approved."""
    with store.session() as s:
        row = _version(s, plan, version)
        if row.status == "approved":
            raise UsageError(
                f"{plan} version {row.version} was approved by {row.approved_by} on "
                f"{row.approved_at:%Y-%m-%d}: an approved version cannot change or be "
                "approved again; import a changed file to make a new version"
            )
        if by == row.author:
            raise UsageError(
                f"{plan} version {row.version} was imported by {by}: a different person "
                "must approve it"
            )
        newer = s.scalar(
            select(func.max(PlanVersion.version)).where(
                PlanVersion.plan == plan, PlanVersion.status == "approved"
            )
        )
        if newer is not None and newer > row.version:
            raise UsageError(f"{plan} version {newer} is approved already; {row.version} is older")
        before = row.status
        row.status, row.approved_by, row.approved_at = "approved", by, now()
        _audit(
            s,
            by,
            "plan.approve",
            row,
            {
                "author": row.author,
                "hash": row.content_hash,
                "before": {"status": before},
                "after": {"status": row.status, "approved_by": by},
            },
        )
        return row


def versions(store: StateStore, plan: str | None = None) -> list[PlanVersion]:
    with store.session() as s:
        query = select(PlanVersion).order_by(PlanVersion.plan, PlanVersion.version)
        if plan:
            query = query.where(PlanVersion.plan == plan)
        return list(s.scalars(query))


def content(store: StateStore, plan: str, version: int | None = None) -> PlanContent:
    """A version (by default the latest approved one, else the latest) with its rows."""
    with store.session() as s:
        if version is None:
            version = s.scalar(
                select(func.max(PlanVersion.version)).where(
                    PlanVersion.plan == plan, PlanVersion.status == "approved"
                )
            )
        return _content(s, _version(s, plan, version))


def approved(store: StateStore) -> list[PlanContent]:
    """The latest approved version of every plan: what a run measures."""
    with store.session() as s:
        latest = (
            select(PlanVersion.plan, func.max(PlanVersion.version).label("version"))
            .where(PlanVersion.status == "approved")
            .group_by(PlanVersion.plan)
            .subquery()
        )
        rows = s.scalars(
            select(PlanVersion)
            .join(
                latest,
                (PlanVersion.plan == latest.c.plan) & (PlanVersion.version == latest.c.version),
            )
            .order_by(PlanVersion.plan)
        )
        return [_content(s, row) for row in rows]


def explain(
    store: StateStore, plan: str, key: TargetKey, *, text: str, by: str
) -> VarianceExplanation:
    """Record why a target of the approved plan was missed or beaten."""
    if not text.strip():
        raise UsageError("--text must say why")
    period, metric, dimension, member = key
    found = content(store, plan)
    if found.version.status != "approved":
        raise UsageError(f"{plan} has no approved version: approve one first")
    if not any(_key(t) == key for t in found.targets):
        raise UsageError(
            f"{plan} version {found.version.version} has no target {period} {metric}"
            + (f" {dimension}={member}" if dimension else "")
            + " (see `tieout plan show`)"
        )
    with store.session() as s:
        row = VarianceExplanation(
            plan=plan,
            period=period,
            metric=metric,
            dimension=dimension,
            member=member,
            text=text.strip(),
            by=by,
            at=now(),
        )
        s.add(row)
        s.add(
            AuditEvent(
                at=row.at,
                actor=by,
                action="plan.explain",
                entity="plan",
                entity_id=plan,
                detail={"target": "|".join(k or "" for k in key), "text": row.text},
            )
        )
        return row


def explanations(store: StateStore, plan: str) -> dict[TargetKey, VarianceExplanation]:
    """The latest explanation of each target of the plan."""
    with store.session() as s:
        rows = s.scalars(
            select(VarianceExplanation)
            .where(VarianceExplanation.plan == plan)
            .order_by(VarianceExplanation.at, VarianceExplanation.id)
        )
        return {(r.period, r.metric, r.dimension, r.member): r for r in rows}


def _key(t: PlanTargetRow) -> TargetKey:
    return (t.period, t.metric, t.dimension, t.member)


def _version(s: Session, plan: str, version: int | None) -> PlanVersion:
    query = select(PlanVersion).where(PlanVersion.plan == plan)
    if version is not None:
        query = query.where(PlanVersion.version == version)
    row = s.scalars(query.order_by(PlanVersion.version.desc())).first()
    if row is None:
        which = f" version {version}" if version is not None else ""
        raise UsageError(f"no plan {plan!r}{which} (see `tieout plan versions`)")
    return row


def _content(s: Session, row: PlanVersion) -> PlanContent:
    def rows_of(model: type[PlanTargetRow] | type[PlanCommitmentRow]) -> list[Any]:
        where = (model.plan == row.plan) & (model.version == row.version)
        return list(s.scalars(select(model).where(where).order_by(model.id)))

    return PlanContent(row, rows_of(PlanTargetRow), rows_of(PlanCommitmentRow))


def _audit(
    s: Session, who: str, action: str, version: PlanVersion, detail: dict[str, object]
) -> None:
    s.add(
        AuditEvent(
            at=now(),
            actor=who,
            action=action,
            entity="plan",
            entity_id=f"{version.plan}@{version.version}",
            detail=detail,
        )
    )


@event.listens_for(Session, "before_flush")
def _approved_is_immutable(s: Session, *_: object) -> None:
    """No session may change or delete an approved version or its rows, whatever the code
    path: approval freezes the plan people signed up to."""
    with s.no_autoflush:
        for obj in [*s.dirty, *s.deleted]:
            deleted = obj in s.deleted
            if not deleted and not s.is_modified(obj):
                continue
            if isinstance(obj, PlanVersion):
                history = inspect(obj).attrs.status.history
                frozen = "approved" in [*history.deleted, *history.unchanged]
            elif isinstance(obj, PlanTargetRow | PlanCommitmentRow):
                owner = s.get(PlanVersion, (obj.plan, obj.version))
                frozen = owner is not None and owner.status == "approved"
            else:
                continue
            if frozen:
                raise UsageError(f"{obj.plan} version {obj.version} is approved: it is immutable")
