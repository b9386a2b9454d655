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
    where, params = ["TRUE"], []
    if breached:
        where.append("s.resolution_breached")
    if open_only:
        where.append("s.is_open")
    if account:
        where.append("s.account_key = ?")
        params.append(account)
    rows = wh.query_dicts(
        f"""
        SELECT t.ticket_number AS ticket, t.source_system AS system,
               coalesce(a.name, t.customer_name) AS customer, s.*, t.status,
               s.resolution_breached AS breached
        FROM ticket_sla s JOIN ticket t ON t.id = s.ticket_id
        LEFT JOIN (SELECT account_key, name FROM account_health) a ON a.account_key = s.account_key
        WHERE {" AND ".join(where)}
        ORDER BY s.is_open DESC, s.minutes_to_breach NULLS LAST, s.opened_at DESC
        LIMIT {int(limit)}
        """,
        params,
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
    within = "TRUE"
    params: list[Any] = []
    if period:
        within = "strftime(f.created_at, '%Y-%m') LIKE ?"
        params.append(period + "%")
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
        params,
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
    ]
    return rows, columns
