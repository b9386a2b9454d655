"""Month-end close: did quoted = delivered = billed, job by job, for the jobs finished in a
month? Each job's two gaps go, whole, to `explained` when an active exception on one of its
records explains that kind of gap (the rule's `explains`), when a quarantined invoice row
names the job (billing), or when the gap is within the tolerance (rounding); else to
`unexplained`. So every difference is accounted for, and all sums are exact Decimal
arithmetic on cents.

  scope gap   = delivered - quoted - priced changes   (jobs with a quote)
  billing gap = delivered - (billed - credited)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

import pyarrow as pa

from tieout.config import LoadedProject
from tieout.engine import Warehouse
from tieout.errors import TieoutError
from tieout.periods import Period
from tieout.state import StateStore
from tieout.state.exceptions import OPEN_STATUSES, cases
from tieout.state.models import PeriodClose

ZERO = Decimal("0.00")
MEASURES = (
    "quoted",
    "changes",
    "delivered",
    "billed",
    "credited",
    "unbilled",
    "scope_gap",
    "scope_explained",
    "scope_unexplained",
    "billing_gap",
    "billing_explained",
    "billing_unexplained",
)
CUSTOMER_COLUMNS = ["account_key", "customer", "jobs", *MEASURES]
JOB_COLUMNS = [
    "job_key",
    "account_key",
    "customer",
    "finished_on",
    "quote_number",
    "work_orders",
    "invoice_lines",
    *MEASURES,
    "explained_by",
]


@dataclass
class Figures:
    """One line of the tie-out (a job, a customer or the total), in the reporting currency."""

    quoted: Decimal = ZERO
    changes: Decimal = ZERO
    delivered: Decimal = ZERO
    billed: Decimal = ZERO
    credited: Decimal = ZERO
    unbilled: Decimal = ZERO
    scope_gap: Decimal = ZERO
    scope_explained: Decimal = ZERO
    scope_unexplained: Decimal = ZERO
    billing_gap: Decimal = ZERO
    billing_explained: Decimal = ZERO
    billing_unexplained: Decimal = ZERO

    def add(self, other: Figures) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def as_dict(self) -> dict[str, Decimal]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class JobLine:
    job_key: str
    account_key: str | None
    customer: str | None
    finished_on: dt.date
    quote_number: str | None
    work_orders: list[str]
    invoice_lines: list[str]
    figures: Figures
    explained_by: list[str]  # exception ids, "quarantine <file>:<row>", "tolerance"


@dataclass
class CustomerLine:
    account_key: str | None
    customer: str | None
    jobs: int = 0
    figures: Figures = field(default_factory=Figures)


@dataclass(frozen=True)
class Close:
    period: Period
    currency: str
    as_of: dt.date
    customers: list[CustomerLine]
    total: Figures
    jobs: list[JobLine]


def compute_close(
    wh: Warehouse,
    period: Period,
    currency: str,
    as_of: dt.date,
    active: Iterable[tuple[str, str]],
    tolerance: Decimal,
) -> Close:
    """`active`: (exception id, gap kind it explains) for every open or acknowledged case."""
    pairs = list(active)
    wh.register_arrow(
        "_close_active",
        pa.table(
            {"id": [p[0] for p in pairs], "explains": [p[1] for p in pairs]},
            schema=pa.schema([("id", pa.string()), ("explains", pa.string())]),
        ),
    )
    try:
        rows = wh.query_dicts(
            _sql(),
            {"close_start": period.start, "close_end": period.end, "close_currency": currency},
        )
    finally:
        wh.unregister("_close_active")
    missing = rows[0]["unconverted"] if rows else None
    if missing:
        raise TieoutError(
            f"no {'/'.join(missing)} -> {currency} rate dated on or before {as_of} (the "
            "snapshot's as-of date) in fx_rate: add one and run again to close this period"
        )
    jobs = [_job(r, tolerance) for r in rows]
    customers: dict[str | None, CustomerLine] = {}
    total = Figures()
    for job in jobs:
        line = customers.setdefault(job.account_key, CustomerLine(job.account_key, job.customer))
        line.jobs += 1
        line.figures.add(job.figures)
        total.add(job.figures)
    ordered = sorted(
        customers.values(), key=lambda c: ((c.customer or "").lower(), c.account_key or "")
    )
    return Close(period, currency, as_of, ordered, total, jobs)


def close_from_snapshot(
    wh: Warehouse, project: LoadedProject, store: StateStore, period: Period
) -> tuple[Close, str | None]:
    """The period's tie-out on a snapshot, with today's exception statuses; and its run id."""
    info = wh.query_dicts("SELECT run_id, as_of FROM run_info")
    if not info:
        raise TieoutError("the current snapshot has no run information: run `tieout run`")
    explains = {r.rule.id: r.rule.explains for r in project.definitions.rules}
    active = [
        (case.id, kind)
        for case in cases(store, rule=None, status=None, owner=None)
        if case.status in OPEN_STATUSES
        for kind in explains.get(case.rule, [])
    ]
    cfg = project.config
    close = compute_close(
        wh, period, cfg.reporting_currency, info[0]["as_of"], active, cfg.close.tolerance
    )
    return close, info[0]["run_id"]


def _job(row: dict[str, Any], tolerance: Decimal) -> JobLine:
    quoted: Decimal | None = row["quoted"]
    f = Figures(
        quoted=quoted or ZERO,
        changes=row["changes"],
        delivered=row["delivered"],
        billed=row["billed"],
        credited=row["credited"],
        unbilled=row["unbilled"],
    )
    if quoted is not None:
        f.scope_gap = f.delivered - f.quoted - f.changes
    f.billing_gap = f.delivered - f.billed + f.credited
    unreadable = [f"quarantine {r}" for r in row["unreadable"]]
    reasons: set[str] = set()
    for gap, because in (
        ("scope", list(row["scope_by"])),
        ("billing", [*row["billing_by"], *unreadable]),
    ):
        amount: Decimal = getattr(f, f"{gap}_gap")
        if amount and not because and abs(amount) <= tolerance:
            because = ["tolerance"]
        setattr(f, f"{gap}_explained" if because else f"{gap}_unexplained", amount)
        if amount:
            reasons.update(because)
    return JobLine(
        job_key=row["job_key"],
        account_key=row["account_key"],
        customer=row["customer"],
        finished_on=row["finished_on"],
        quote_number=row["quote_number"],
        work_orders=list(row["work_orders"] or []),
        invoice_lines=list(row["invoice_lines"]),
        figures=f,
        explained_by=sorted(reasons),
    )


@cache
def _sql() -> str:
    return (resources.files("tieout.reconcile") / "sql" / "close.sql").read_text(encoding="utf-8")


def frozen_figures(close: Close) -> dict[str, Any]:
    """The figures a sign-off freezes, as JSON (amounts as strings, exact)."""
    return {
        "customers": [
            {
                "account_key": c.account_key,
                "customer": c.customer,
                "jobs": c.jobs,
                **{k: str(v) for k, v in c.figures.as_dict().items()},
            }
            for c in close.customers
        ],
        "total": {"jobs": len(close.jobs), **{k: str(v) for k, v in close.total.as_dict().items()}},
    }


def close_report(close: Close, record: PeriodClose | None) -> dict[str, Any]:
    """The period as people read it, in the CLI and the web app alike: the frozen figures once
    signed off (with what moved since), else today's."""
    live = frozen_figures(close)
    signed = record is not None and record.status == "signed_off"
    shown = record.figures if signed and record else live
    return {
        "period": close.period.label,
        "currency": close.currency,
        "status": record.status if record else "draft",
        "prepared_by": record.prepared_by if record else None,
        "prepared_at": record.prepared_at if record else None,
        "signed_off_by": record.signed_off_by if record else None,
        "signed_off_at": record.signed_off_at if record else None,
        "as_of": record.as_of if signed and record else close.as_of,
        "customers": shown["customers"],
        "total": shown["total"],
        "jobs": [
            {
                "job_key": j.job_key,
                "account_key": j.account_key,
                "customer": j.customer,
                "finished_on": j.finished_on,
                "quote_number": j.quote_number,
                "work_orders": j.work_orders,
                "invoice_lines": j.invoice_lines,
                **j.figures.as_dict(),
                "explained_by": j.explained_by,
            }
            for j in close.jobs
        ],
        "adjustments": adjustments(record.figures, close) if signed and record else [],
    }


def adjustments(frozen: dict[str, Any], live: Close) -> list[dict[str, Any]]:
    """What changed after sign-off: one row per customer and measure that moved."""
    before = {c["account_key"]: c for c in frozen["customers"]}
    now = {c.account_key: c for c in live.customers}
    rows: list[dict[str, Any]] = []
    for key in sorted(before.keys() | now.keys(), key=lambda k: (k is None, k or "")):
        old = before.get(key)
        new = now.get(key)
        for measure in MEASURES:
            was = Decimal(old[measure]) if old else ZERO
            is_ = getattr(new.figures, measure) if new else ZERO
            if was != is_:
                rows.append(
                    {
                        "account_key": key,
                        "customer": new.customer if new else old["customer"] if old else None,
                        "measure": measure,
                        "signed_off": was,
                        "now": is_,
                        "adjustment": is_ - was,
                    }
                )
    return rows
