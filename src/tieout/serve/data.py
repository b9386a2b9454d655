"""What the pages and the API show, read from the current snapshot (the caller passes it in)
and the state store."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from tieout.accounts.health import WORST_FIRST
from tieout.config import LoadedProject
from tieout.config.rules import ResolvedRule
from tieout.engine import Warehouse
from tieout.errors import TieoutError
from tieout.metrics import Catalogue, Period, compute
from tieout.serve.drill import records_for_refs
from tieout.state.audit import history
from tieout.state.exceptions import OPEN_STATUSES, notes
from tieout.state.health import AccountHealthScore
from tieout.state.models import AuditEvent, DecisionRequest, ExceptionCase, Run
from tieout.state.store import StateStore

EXCEPTION_FILTERS = ("rule", "status", "owner", "severity", "account_key")
EXCEPTION_COLUMNS = (
    "id",
    "rule",
    "severity",
    "status",
    "owner",
    "account_key",
    "amount_at_risk",
    "detail",
    "reason",
    "first_seen",
    "last_seen",
)
WORKED_BY = func.coalesce(ExceptionCase.assigned_to, ExceptionCase.owner)
HEADLINES = ("revenue", "margin", "margin_pct", "delivered_value", "quoted_value")


def snapshot_info(run_id: str | None, store: StateStore) -> dict[str, Any]:
    """The as-of date of the snapshot on show and when its run finished."""
    run = None
    if run_id is not None:
        with store.session() as s:
            run = s.get(Run, run_id)
    if run is None:
        return {"as_of": None, "run_id": None, "finished_at": None}
    return {"as_of": run.as_of, "run_id": run.id, "finished_at": run.finished_at}


def headlines(
    wh: Warehouse, project: LoadedProject, catalogue: Catalogue, as_of: dt.date
) -> dict[str, Decimal | None]:
    """The as-of month's governed headline figures."""
    month = Period.month(f"{as_of:%Y-%m}")
    found: dict[str, Decimal | None] = {}
    for name in HEADLINES:
        try:
            found[name] = compute(
                wh,
                catalogue,
                name,
                by=[],
                period=month,
                compare=None,
                currency=project.config.reporting_currency,
                as_of=as_of,
            ).total
        except TieoutError:
            found[name] = None
    return found


def _case_row(case: ExceptionCase) -> dict[str, Any]:
    return {
        **{c: getattr(case, c) for c in EXCEPTION_COLUMNS},
        "owner": case.assignee,
        "rule_owner": case.owner,
        "waiver_requested_by": case.waiver_requested_by,
        "source_refs": case.source_refs,
    }


def plan_attainment(wh: Warehouse, catalogue: Catalogue, as_of: dt.date) -> dict[str, int]:
    """How many of the approved plans' targets for the as-of month are on track: at or
    better than target, or worse by no more than the plan's threshold."""
    rows = wh.query_dicts(
        "SELECT metric, target, actual, threshold_pct FROM plan_variance "
        "WHERE period_start = :month AND target IS NOT NULL",
        {"month": as_of.replace(day=1)},
    )
    on_track = 0
    for r in rows:
        metric = catalogue.metrics.get(r["metric"])
        if r["actual"] is None or metric is None:
            continue
        slack = abs(r["target"]) * Decimal(r["threshold_pct"] or 0) / 100
        down = metric.good == "down"
        on_track += (
            (r["actual"] <= r["target"] + slack) if down else (r["actual"] >= r["target"] - slack)
        )
    return {"targets": len(rows), "on_track": on_track}


def exception_totals(
    store: StateStore, memo: dict[str, Any], accounts: set[str] | None = None
) -> dict[str, Any]:
    """Open exceptions and their money at risk. Every change to an exception is audited, so
    the totals are recounted only when the audit log has grown since `memo` was filled.
    `accounts` counts those accounts' only (a rep's own; counted each time, not kept)."""
    if accounts is not None:
        query = select(func.count(), func.sum(ExceptionCase.amount_at_risk)).where(
            ExceptionCase.status.in_(OPEN_STATUSES),
            ExceptionCase.account_key.in_(sorted(accounts)),
        )
        with store.session() as s:
            count, money = s.execute(query).one()
        return {"open": int(count), "amount_at_risk": money or Decimal(0)}
    with store.session() as s:
        head = s.scalar(select(func.max(AuditEvent.id)))
        if memo.get("head") != head or "totals" not in memo:
            count, money = s.execute(
                select(func.count(), func.sum(ExceptionCase.amount_at_risk)).where(
                    ExceptionCase.status.in_(OPEN_STATUSES)
                )
            ).one()
            memo.update(
                head=head, totals={"open": int(count), "amount_at_risk": money or Decimal(0)}
            )
    return dict(memo["totals"])


def exceptions(
    store: StateStore,
    filters: dict[str, str | None],
    limit: int,
    offset: int,
    accounts: set[str] | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """A page of exception cases, money at risk first, and how many match in all.
    `accounts` limits them to those accounts (a sales rep sees their own)."""
    query = select(ExceptionCase)
    for key in EXCEPTION_FILTERS:
        if not (value := filters.get(key)):
            continue
        if key == "status" and value == "active":  # what the open-exceptions figure counts
            query = query.where(ExceptionCase.status.in_(OPEN_STATUSES))
            continue
        column = WORKED_BY if key == "owner" else getattr(ExceptionCase, key)
        query = query.where(column == value)
    if accounts is not None:
        query = query.where(ExceptionCase.account_key.in_(sorted(accounts)))
    with store.session() as s:
        total = int(s.scalar(select(func.count()).select_from(query.subquery())) or 0)
        rows = s.scalars(
            query.order_by(ExceptionCase.amount_at_risk.desc().nulls_last(), ExceptionCase.id)
            .limit(limit)
            .offset(offset)
        )
        items = [_case_row(r) for r in rows]
    return items, total


def accounts(
    wh: Warehouse,
    band: str | None,
    own: set[str] | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Accounts by health, worst first; `own` keeps a rep's own accounts."""
    where: list[str] = ["TRUE"]
    if band:
        where.append("band = :band")
    if own is not None:
        where.append("list_contains(:own, account_key)")
    page = " LIMIT :limit OFFSET :offset" if limit is not None else ""
    rows = wh.query_dicts(
        f"SELECT * FROM account_health WHERE {' AND '.join(where)} "
        f"ORDER BY {WORST_FIRST}, account_key{page}",
        {"band": band, "own": sorted(own or ()), "limit": limit, "offset": offset},
    )
    for r in rows:
        r["reasons"] = json.loads(r["reasons"] or "[]")
    return rows


def owned_accounts(wh: Warehouse, user: str) -> set[str]:
    """The customers whose CRM account owner is this user (by name)."""
    rows = wh.query(
        "SELECT golden_key FROM customer_master WHERE lower(owner) = lower(:user)", {"user": user}
    )
    return {r[0] for r in rows}


def margin_by_month(
    wh: Warehouse, project: LoadedProject, catalogue: Catalogue
) -> dict[str, list[dict[str, Any]]]:
    """Every customer's governed margin by month over the last 12 months, by account: one
    query for all of them, which the caller keeps for the snapshot."""
    as_of = health_as_of(wh)
    start = (as_of.replace(day=1) - dt.timedelta(days=334)).replace(day=1)
    margin = compute(
        wh,
        catalogue,
        "margin",
        by=["customer", "month"],
        period=Period(start, as_of, "last 12 months"),
        compare=None,
        currency=project.config.reporting_currency,
        as_of=as_of,
    )
    found: dict[str, list[dict[str, Any]]] = {}
    for r in margin.rows:
        found.setdefault(str(r.get("account_key")), []).append(r)
    return found


def account_detail(
    wh: Warehouse,
    store: StateStore,
    margins: dict[str, list[dict[str, Any]]],
    account_key: str,
) -> dict[str, Any] | None:
    """Everything one customer page shows: health and its history, renewal and pipeline,
    tickets and SLA, onboarding, margin by month (from `margins`, see margin_by_month), open
    exceptions, decisions and what people did about them."""
    found = wh.query_dicts(
        "SELECT * FROM account_health WHERE account_key = :account", {"account": account_key}
    )
    if not found:
        return None
    health = found[0]
    health["reasons"] = json.loads(health["reasons"] or "[]")
    as_of = health_as_of(wh)
    tickets = wh.query_dicts(
        """
        SELECT t.ticket_number AS ticket, t.source_system AS system, t.subject, t.status,
               s.priority, s.opened_at, s.resolution_minutes, s.resolution_target_minutes,
               s.resolution_breached AS breached, s.minutes_to_breach
        FROM ticket_sla s JOIN ticket t ON t.id = s.ticket_id
        WHERE s.account_key = :account AND (s.is_open OR s.opened_at >= :as_of - INTERVAL 90 DAY)
        ORDER BY s.is_open DESC, s.opened_at DESC LIMIT 50
        """,
        {"account": account_key, "as_of": as_of},
    )
    milestones = wh.query_dicts(
        """
        SELECT m.name, m.due_date, m.status, m.completed_at, m.blocker
        FROM onboarding_milestone m
        JOIN customer_key x ON x.source_system = m.source_system
             AND x.native_id = coalesce(m.account_native_id, m.customer_name)
        WHERE x.golden_key = :account ORDER BY m.due_date
        """,
        {"account": account_key},
    )
    with store.session() as s:
        history = [
            {"as_of": h.as_of, "score": h.score, "band": h.band, "capped_by": _caps(h.reasons)}
            for h in s.scalars(
                select(AccountHealthScore)
                .where(AccountHealthScore.account_key == account_key)
                .order_by(AccountHealthScore.as_of)
            )
        ]
        decisions = [
            {
                "id": d.id,
                "question": d.question,
                "status": d.status,
                "due_date": d.due_date,
                "decision": d.decision,
                "exceptions": d.exceptions or [],
            }
            for d in s.scalars(
                select(DecisionRequest).where(DecisionRequest.account_key == account_key)
            )
        ]
    cases, _ = exceptions(store, {"account_key": account_key}, 500, 0)
    trail = [
        *audit_trail(store, "exception", [c["id"] for c in cases]),
        *audit_trail(store, "decision", [str(d["id"]) for d in decisions]),
    ]
    return {
        "health": health,
        "history": history,
        "tickets": tickets,
        "milestones": milestones,
        "margin": margins.get(account_key, []),
        "exceptions": [e for e in cases if e["status"] in OPEN_STATUSES],
        "decisions": decisions,
        "audit": sorted(
            (e for e in trail if e["actor"] != "tieout"), key=lambda e: e["id"], reverse=True
        )[:100],
    }


def _caps(reasons: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """The reasons that held a run's band down (a cap of an open exception), so the history
    shows when an account went amber and why."""
    return [
        {"rule": r["rule"], "cap": r["cap"], "exceptions": r["exceptions"]}
        for r in reasons or []
        if r.get("cap")
    ]


def exception_detail(
    wh: Warehouse,
    objects: dict[tuple[str, str], str],
    rules: list[ResolvedRule],
    store: StateStore,
    case_id: str,
) -> dict[str, Any] | None:
    """One exception with its rule's definition, the source records it names (each with the
    job it belongs to), its notes and attachments, and its audit history."""
    with store.session() as s:
        case = s.get(ExceptionCase, case_id)
        if case is None:
            return None
        item = _case_row(case)
    rule = next((r for r in rules if r.rule.id == item["rule"]), None)
    name = wh.query(
        "SELECT name FROM account_health WHERE account_key = :account",
        {"account": item["account_key"]},
    )
    refs = json.loads(item.pop("source_refs") or "[]")
    return {
        "case": item,
        "account_name": name[0][0] if name else None,
        "rule": None
        if rule is None
        else {
            "id": rule.rule.id,
            "title": rule.rule.title,
            "description": rule.rule.description,
            "owner": rule.rule.owner,
            "params": rule.params,
            "defined_in": rule.source,
        },
        "records": records_for_refs(wh, objects, refs),
        "notes": [
            {
                "id": n.id,
                "at": n.at,
                "author": n.author,
                "text": n.text,
                "file_name": n.file_name,
                "file_sha256": n.file_sha256,
                "file_size": n.file_size,
            }
            for n in notes(store, case_id)
        ],
        "audit": audit_trail(store, "exception", [case_id]),
    }


def audit_trail(store: StateStore, entity: str, ids: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "id": e.id,
            "at": e.at,
            "actor": e.actor,
            "action": e.action,
            "entity": e.entity,
            "entity_id": e.entity_id,
            "before": (e.detail or {}).get("before"),
            "after": (e.detail or {}).get("after"),
            "detail": {k: v for k, v in (e.detail or {}).items() if k not in ("before", "after")},
        }
        for e in history(store, entity, ids)
    ]


def health_as_of(wh: Any) -> dt.date:
    value = wh.scalar("SELECT max(as_of) FROM run_info")
    return value if isinstance(value, dt.date) else dt.date.today()
