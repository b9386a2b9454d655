"""Read-side queries over the operating tables, shared by the CLI (and later the web app)."""

from __future__ import annotations

from typing import Any

from tieout.engine import Warehouse

TICKET_COLUMNS = [
    "ticket",
    "system",
    "customer",
    "account_key",
    "tier",
    "category",
    "topic",
    "priority",
    "status",
    "is_open",
    "opened_at",
    "first_response_at",
    "resolved_at",
    "age_days",
    "reopens",
    "response_minutes",
    "response_target_minutes",
    "response_breached",
    "resolution_minutes",
    "resolution_target_minutes",
    "paused_minutes",
    "breached",
    "minutes_to_breach",
    "resolution_due_at",
    "clock_source",
]
FUNNEL_STAGES = ("leads", "mqls", "sals", "sqls", "opportunities", "won")


def ticket_rows(
    wh: Warehouse,
    *,
    breached: bool,
    open_only: bool,
    account: str | None,
    limit: int,
    buckets: list[int],
) -> tuple[list[dict[str, Any]], list[str], dict[str, int]]:
    where = ["TRUE"]
    if breached:
        where.append("s.resolution_breached")
    if open_only:
        where.append("s.is_open")
    if account:
        where.append("s.account_key = :account")
    rows = wh.query_dicts(
        f"""
        SELECT t.ticket_number AS ticket, t.source_system AS system,
               coalesce(a.name, t.customer_name) AS customer, s.*, t.status,
               s.resolution_breached AS breached
        FROM ticket_sla s JOIN ticket t ON t.id = s.ticket_id
        LEFT JOIN (SELECT account_key, name FROM account_health) a ON a.account_key = s.account_key
        WHERE {" AND ".join(where)}
        ORDER BY s.is_open DESC, s.minutes_to_breach NULLS LAST, s.opened_at DESC
        LIMIT :limit
        """,
        {"account": account, "limit": limit},
    )
    return rows, TICKET_COLUMNS, age_buckets(wh, buckets)


def age_buckets(wh: Warehouse, bounds: list[int]) -> dict[str, int]:
    """Open cases by age: up to each bound in days, then over the last."""
    edges = sorted(bounds)
    labels = [f"<= {b} d" for b in edges] + [f"> {edges[-1]} d"] if edges else ["all"]
    counts = dict.fromkeys(labels, 0)
    for (age,) in wh.query("SELECT age_days FROM ticket_sla WHERE is_open"):
        label = next((f"<= {b} d" for b in edges if age <= b), labels[-1])
        counts[label] += 1
    return counts


def capacity_rows(wh: Warehouse, *, over_only: bool) -> list[dict[str, Any]]:
    where = "WHERE over_committed" if over_only else ""
    return wh.query_dicts(f"SELECT * FROM team_week {where} ORDER BY team, week_start")


def funnel_rows(wh: Warehouse, period: str | None) -> tuple[list[dict[str, Any]], list[str]]:
    """Each campaign cohort's way down the funnel; a cohort is the leads created in the period
    whose first touch was the campaign. Cost per stage divides the campaign's spend."""
    within = "strftime(f.created_at, '%Y-%m') LIKE :month" if period else "TRUE"
    rows = wh.query_dicts(
        f"""
        SELECT coalesce(f.campaign, '(no campaign)') AS campaign, count(*) AS leads,
               count(f.mql_at) AS mqls, count(f.sal_at) AS sals, count(f.sql_at) AS sqls,
               count(f.opportunity_at) AS opportunities, count(f.won_at) AS won,
               sum(f.pipeline_value) AS pipeline, sum(f.won_value) AS won_value,
               any_value(c.spend) AS spend
        FROM lead_funnel f LEFT JOIN campaign c ON c.id = f.campaign_id
        WHERE {within}
        GROUP BY ALL ORDER BY leads DESC, campaign
        """,
        {"month": f"{period}%"},
    )
    for r in rows:
        spend = r["spend"]
        for stage in ("mqls", "sals", "sqls", "won"):
            r[f"cost_per_{stage}"] = round(spend / r[stage], 2) if spend and r[stage] else None
        r["mql_to_sql_pct"] = round(100 * r["sqls"] / r["mqls"], 1) if r["mqls"] else None
        r["pipeline_per_spend"] = (
            round(r["pipeline"] / spend, 2) if spend and r["pipeline"] else None
        )
        r["won_per_spend"] = round(r["won_value"] / spend, 2) if spend and r["won_value"] else None
    committed: dict[str, list[dict[str, Any]]] = {}
    for c in commitment_rows(wh):
        committed.setdefault(c["campaign"].strip().casefold(), []).append(
            {k: c[k] for k in ("source", "plan", "metric", "unit", "committed", "actual")}
        )
    for r in rows:
        r["commitments"] = committed.get(r["campaign"].strip().casefold(), [])
    columns = [
        "campaign",
        *FUNNEL_STAGES,
        "mql_to_sql_pct",
        "spend",
        "cost_per_mqls",
        "cost_per_sals",
        "cost_per_sqls",
        "cost_per_won",
        "pipeline",
        "won_value",
        "pipeline_per_spend",
        "won_per_spend",
        "commitments",
    ]
    return rows, columns


def commitment_rows(wh: Warehouse) -> list[dict[str, Any]]:
    """What sales committed to for each campaign's cohort (the plan's entry, else the CRM's
    expected response or revenue) against the cohort's actual to the as-of date."""
    return wh.query_dicts(
        """
        SELECT m.campaign, m.source, m.plan, m.version, m.metric, m.unit, m.committed,
               m.actual, m.actual - m.committed AS gap, m.committed_by, c.spend, c.currency
        FROM campaign_commitment m LEFT JOIN campaign c ON c.id = m.campaign_id
        ORDER BY m.campaign, m.metric, m.source
        """
    )


def onboarding_rows(wh: Warehouse, as_of: Any) -> list[dict[str, Any]]:
    """Each customer's onboarding: milestones on plan, late, blocked and done."""
    return wh.query_dicts(
        """
        WITH m AS (
            SELECT k.golden_key AS account_key, m.*,
                   CASE WHEN m.completed_at IS NOT NULL OR m.status = 'completed' THEN 'done'
                        WHEN m.status = 'canceled' THEN 'canceled'
                        WHEN m.status = 'blocked' THEN 'blocked'
                        WHEN m.due_date < :as_of THEN 'late'
                        ELSE 'on plan' END AS state
            FROM onboarding_milestone m
            LEFT JOIN customer_key k ON k.source_system = m.source_system
                 AND k.native_id = coalesce(m.account_native_id, m.customer_name)
        )
        SELECT m.account_key, coalesce(any_value(h.name), any_value(m.customer_name)) AS customer,
               count(*) FILTER (WHERE state = 'on plan') AS on_plan,
               count(*) FILTER (WHERE state = 'late') AS late,
               count(*) FILTER (WHERE state = 'blocked') AS blocked,
               count(*) FILTER (WHERE state = 'done') AS done,
               min(m.due_date) FILTER (WHERE state IN ('on plan', 'late', 'blocked')) AS next_due,
               string_agg(m.name || ': ' || m.blocker, '; ')
                   FILTER (WHERE m.state = 'blocked') AS blockers,
               CASE WHEN count(*) FILTER (WHERE state = 'blocked') > 0 THEN 'blocked'
                    WHEN count(*) FILTER (WHERE state = 'late') > 0 THEN 'late'
                    WHEN count(*) FILTER (WHERE state = 'on plan') > 0 THEN 'on plan'
                    ELSE 'done' END AS overall
        FROM m LEFT JOIN account_health h ON h.account_key = m.account_key
        GROUP BY m.account_key
        ORDER BY CASE overall WHEN 'blocked' THEN 0 WHEN 'late' THEN 1 WHEN 'on plan' THEN 2
                 ELSE 3 END, next_due, customer
        """,
        {"as_of": as_of},
    )


def utilisation_rows(wh: Warehouse, start: Any, end: Any, target_pct: Any) -> list[dict[str, Any]]:
    """Per person over the weeks starting in [start, end]: tracked and billable hours over
    available hours, and billable utilisation against the target."""
    return wh.query_dicts(
        """
        WITH totals AS (
            SELECT person_name AS person, team, sum(available_hours) AS available_hours,
                   sum(tracked_hours) AS tracked_hours, sum(billable_hours) AS billable_hours
            FROM person_week WHERE week_start BETWEEN :start AND :end
            GROUP BY ALL HAVING sum(tracked_hours) > 0 OR sum(available_hours) > 0
        )
        SELECT *,
               round(100 * tracked_hours / nullif(available_hours, 0), 1) AS utilisation_pct,
               round(100 * billable_hours / nullif(available_hours, 0), 1) AS billable_pct,
               CAST(:target_pct AS DECIMAL(9, 1)) AS target_pct,
               round(100 * billable_hours / nullif(available_hours, 0), 1)
                   - CAST(:target_pct AS DECIMAL(9, 1)) AS gap_pct
        FROM totals
        ORDER BY team, gap_pct NULLS LAST, person
        """,
        {"start": start, "end": end, "target_pct": target_pct},
    )
