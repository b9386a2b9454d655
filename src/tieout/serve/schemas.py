"""The shapes /api/v1 answers with, as response models: the OpenAPI document describes every
route, and an answer that drifts from its shape fails loudly (extra keys are refused) rather
than reaching scripts. Amounts are decimals, sent as strings so no digit is lost. Rows taken
whole from the warehouse (a source record, a job's documents) stay open dictionaries: their
columns are the canonical model's (tieout.model), which grows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict

Row = dict[str, Any]


class Shape(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Snapshot(Shape):
    as_of: dt.date | None
    run_id: str | None
    finished_at: dt.datetime | None


class ExceptionRow(Shape):
    id: str
    rule: str
    severity: str
    status: str
    owner: str | None
    account_key: str | None
    amount_at_risk: Decimal | None
    detail: str | None
    reason: str | None
    first_seen: dt.date
    last_seen: dt.date
    rule_owner: str | None
    waiver_requested_by: str | None
    source_refs: str | None = None


class ExceptionPage(Shape):
    items: list[ExceptionRow]
    total: int
    limit: int
    offset: int


class ExceptionDetail(Shape):
    case: ExceptionRow
    account_name: str | None
    rule: Row | None
    records: list[Row]
    notes: list[Row]
    audit: list[Row]


class ActionResult(Shape):
    """An action's outcome: the case's workflow fields, or (a comment) the note's id."""

    id: str
    status: str | None = None
    reason: str | None = None
    owner: str | None = None
    waiver_requested_by: str | None = None
    note: int | None = None
    sha256: str | None = None


class BulkResult(Shape):
    results: list[ActionResult]


class AccountPage(Shape):
    items: list[Row]
    limit: int
    offset: int


class AccountDetail(Shape):
    health: Row
    history: list[Row]
    tickets: list[Row]
    milestones: list[Row]
    margin: list[Row]
    exceptions: list[ExceptionRow]
    decisions: list[Row]
    audit: list[Row]


class SplitRow(Shape):
    key: str | None
    label: str
    value: Decimal
    href: str | None


class MetricSplit(Shape):
    metric: str
    title: str
    unit: str
    split: str
    period: str
    total: Decimal | None  # None for a rep kept to their own accounts
    limited: bool
    count: int
    offset: int
    rows: list[SplitRow]


class JobDetail(Shape):
    job_key: str
    customer: Row | None
    quote: Row | None
    quote_lines: list[Row]
    work_orders: list[Row]
    changes: list[Row]
    time: list[Row]
    billing: list[Row]
    steps: list[Row]
    exceptions: list[Row]


class SourceRecord(Shape):
    table: str
    row: Row
    job_key: str | None


class Definitions(Shape):
    metrics: list[Row]
    rules: list[Row]


class PlanSummary(Shape):
    plan: str
    versions: list[Row]
    approved: int | None
    measured: int | None
    to_explain: int
    overdue: int


class PlanList(Shape):
    items: list[PlanSummary]


class PlanVariance(Shape):
    plan: str
    approved: int | None
    measured: int | None
    rows: list[Row]


class PlanVersion(Shape):
    plan: str
    version: int
    status: str
    title: str | None
    author: str
    created_at: dt.datetime
    approved_by: str | None
    approved_at: dt.datetime | None
    source_file: str | None
    cadence: str | None
    review_day: int | None
    threshold_pct: Decimal | None


class Explanation(Shape):
    plan: str
    period: str
    metric: str
    dimension: str | None
    member: str | None
    text: str
    by: str
    at: dt.datetime


class Funnel(Shape):
    cohort: str | None
    columns: list[str]
    rows: list[Row]
    commitments: list[Row]


class Scorecards(Shape):
    as_of: dt.date
    month: str
    compared_with: str
    functions: list[Row]
    warnings: list[Row]


class Close(Shape):
    """A month's tie-out; a rep kept to their own accounts gets their customers and jobs
    (`limited`), the total stays the company's."""

    model_config = ConfigDict(extra="allow")  # close_report grows with the close itself

    period: str
    currency: str
    status: str
    prepared_by: str | None
    signed_off_by: str | None
    customers: list[Row]
    total: Row
    jobs: list[Row]
    adjustments: list[Row]
    unexplained_jobs: list[Row]
    limited: bool


class SignOff(Shape):
    period: str
    status: str
    prepared_by: str | None
    signed_off_by: str | None
    signed_off_at: dt.datetime | None


class Runs(Shape):
    runs: list[Row]
    files: list[Row]
    total: Row
    unbalanced: list[str]


class QuarantinePage(Shape):
    items: list[Row]
    total: int
    limit: int | None
    offset: int


class ReviewQueue(Shape):
    items: list[Row]


class ReviewDecision(Shape):
    id: str
    status: str
    member_id: str
    anchor_id: str
    by: str
