"""State store tables: operational records that survive warehouse rebuilds."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, DateTime, Float, Index, Integer, Numeric, String, Text, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Run(Base):
    """One `tieout run`: what it read, what it built, whether it became current."""

    __tablename__ = "run"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    as_of: Mapped[dt.date] = mapped_column(Date)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    status: Mapped[str] = mapped_column(String(16))  # running, succeeded, failed
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_accepted: Mapped[int] = mapped_column(Integer, default=0)
    rows_quarantined: Mapped[int] = mapped_column(Integer, default=0)
    seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    table_rows: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    stage_seconds: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # per file: rows read, accepted, quarantined, and the reading each date column got
    files: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class AuditEvent(Base):
    """Append-only: who did what to which record, and when."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(200))
    detail: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    hash: Mapped[str | None] = mapped_column(String(64), nullable=True)  # see state/audit.py


class GoldenMember(Base):
    """Which golden record a source record belongs to; survives every rebuild."""

    __tablename__ = "golden_member"

    entity_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(600), primary_key=True)  # system|object|id
    golden_key: Mapped[str] = mapped_column(String(40))
    method: Mapped[str] = mapped_column(String(40))
    first_seen: Mapped[dt.datetime] = mapped_column(DateTime)
    last_seen: Mapped[dt.datetime] = mapped_column(DateTime)


class MatchDecision(Base):
    """A person's accept or reject of a proposed link; every later run obeys it."""

    __tablename__ = "match_decision"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(32))
    member_id: Mapped[str] = mapped_column(String(600))
    anchor_id: Mapped[str] = mapped_column(String(600))
    decision: Mapped[str] = mapped_column(String(16))  # accept, reject
    decided_by: Mapped[str] = mapped_column(String(200))
    decided_at: Mapped[dt.datetime] = mapped_column(DateTime)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)


class MatchReview(Base):
    """A link the matcher would not make alone: evidence too weak or in conflict."""

    __tablename__ = "match_review"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(32))
    member_id: Mapped[str] = mapped_column(String(600))
    anchor_id: Mapped[str] = mapped_column(String(600))
    probability: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))  # open, accepted, rejected, gone
    first_seen: Mapped[dt.datetime] = mapped_column(DateTime)
    last_seen: Mapped[dt.datetime] = mapped_column(DateTime)


class ExceptionCase(Base):
    """An exception's workflow: open -> acknowledged -> resolved, or waived with a reason.

    A run re-raises what its rules still find and auto-resolves what they no longer find;
    a resolved exception that comes back is reopened. People's statuses survive rebuilds.
    """

    __tablename__ = "exception_case"
    __table_args__ = (
        Index("ix_exception_case_risk", text("amount_at_risk DESC"), "id"),
        Index("ix_exception_case_account", "account_key"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    rule: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16))
    owner: Mapped[str | None] = mapped_column(String(200), nullable=True)
    account_key: Mapped[str | None] = mapped_column(String(40), nullable=True)
    amount_at_risk: Mapped[Decimal | None] = mapped_column(Numeric(18, 2), nullable=True)
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    source_refs: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(32))  # resolve_requested: 17 (migration 0015)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    first_seen: Mapped[dt.date] = mapped_column(Date)
    last_seen: Mapped[dt.date] = mapped_column(Date)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)
    assigned_to: Mapped[str | None] = mapped_column(String(200), nullable=True)  # over owner
    waiver_requested_by: Mapped[str | None] = mapped_column(String(200), nullable=True)

    @property
    def assignee(self) -> str | None:
        """Who works it: the person it was assigned to, else the rule's owner."""
        return self.assigned_to or self.owner


class ExceptionNote(Base):
    """A comment on an exception, optionally with a supporting document (stored by its
    SHA-256 under .tieout/attachments, so the note proves which file was attached)."""

    __tablename__ = "exception_note"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(String(40), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    author: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    file_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    file_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    file_size: Mapped[int | None] = mapped_column(Integer, nullable=True)


class PeriodClose(Base):
    """A month's close: prepared by one person, signed off by another, then frozen.

    `figures` holds the tie-out as signed off (Decimal amounts as strings); later runs are
    compared with it and differences shown as post-close adjustments.
    """

    __tablename__ = "period_close"

    period: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM
    status: Mapped[str] = mapped_column(String(16))  # prepared, signed_off
    currency: Mapped[str] = mapped_column(String(3))
    as_of: Mapped[dt.date] = mapped_column(Date)
    run_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    figures: Mapped[dict[str, object]] = mapped_column(JSON)
    prepared_by: Mapped[str] = mapped_column(String(200))
    prepared_at: Mapped[dt.datetime] = mapped_column(DateTime)
    signed_off_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    signed_off_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class MetricVersion(Base):
    """The definition each metric version had when first used: a change must bump it."""

    __tablename__ = "metric_version"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest: Mapped[str] = mapped_column(String(32))
    first_used: Mapped[dt.datetime] = mapped_column(DateTime)


class PlanVersion(Base):
    """One imported version of a plan: a draft until someone other than its author approves
    it; approved versions never change (a changed file becomes the next version)."""

    __tablename__ = "plan_version"

    plan: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    source_file: Mapped[str] = mapped_column(String(400))
    content_hash: Mapped[str] = mapped_column(String(64))
    cadence: Mapped[str] = mapped_column(String(16))  # monthly, quarterly
    review_day: Mapped[int] = mapped_column(Integer)
    threshold_pct: Mapped[Decimal] = mapped_column(Numeric(9, 4))
    author: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(16))  # draft, approved
    approved_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    approved_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class PlanTargetRow(Base):
    """A target of a plan version: a metric's value for a month, optionally for one member
    of a dimension (a campaign, a region, a rep, ...)."""

    __tablename__ = "plan_target_row"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    plan: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    metric: Mapped[str] = mapped_column(String(64))
    dimension: Mapped[str | None] = mapped_column(String(32), nullable=True)
    member: Mapped[str | None] = mapped_column(String(200), nullable=True)
    value: Mapped[Decimal] = mapped_column(Numeric(18, 4))


class PlanCommitmentRow(Base):
    """What sales committed to for a campaign's cohort (e.g. an SQL rate), in a version."""

    __tablename__ = "plan_commitment_row"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    plan: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    campaign: Mapped[str] = mapped_column(String(200))
    metric: Mapped[str] = mapped_column(String(64))
    value: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    committed_by: Mapped[str] = mapped_column(String(200))


class VarianceExplanation(Base):
    """Why a target was missed or beaten; kept per plan (not version) so it survives a new
    version; the latest one for a target is the one shown."""

    __tablename__ = "variance_explanation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    plan: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(7))
    metric: Mapped[str] = mapped_column(String(64))
    dimension: Mapped[str | None] = mapped_column(String(32), nullable=True)
    member: Mapped[str | None] = mapped_column(String(200), nullable=True)
    text: Mapped[str] = mapped_column(Text)
    by: Mapped[str] = mapped_column(String(200))
    at: Mapped[dt.datetime] = mapped_column(DateTime)


class DecisionRequest(Base):
    """A question for leadership about an account: raised by a person or by a threshold,
    decided (with a rationale) or withdrawn.

    `cleared_on` marks a threshold's closed request whose account later fell below the
    threshold, so crossing it again raises a new request rather than the same one again.
    """

    __tablename__ = "decision_request"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_key: Mapped[str] = mapped_column(String(40))
    question: Mapped[str] = mapped_column(Text)
    options: Mapped[list[str]] = mapped_column(JSON, default=list)
    owner: Mapped[str] = mapped_column(String(200))
    due_date: Mapped[dt.date] = mapped_column(Date)
    amount_at_stake: Mapped[Decimal | None] = mapped_column(Numeric(18, 2), nullable=True)
    raised_by: Mapped[str] = mapped_column(String(200))  # threshold:<name> or a user
    raised_at: Mapped[dt.datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(16))  # open, decided, withdrawn
    decision: Mapped[str | None] = mapped_column(Text, nullable=True)
    rationale: Mapped[str | None] = mapped_column(Text, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    cleared_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    # exception ids behind a threshold's request (its account's health reasons)
    exceptions: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)


class WebSession(Base):
    """A browser's login, kept on the server: the signed cookie carries only its token, so
    logging out, a password reset or disabling the user ends it at once, and it expires at
    `expires_at` whatever the cookie says. The token is kept as its SHA-256."""

    __tablename__ = "web_session"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_name: Mapped[str] = mapped_column(String(200), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    revoked_why: Mapped[str | None] = mapped_column(String(32), nullable=True)
