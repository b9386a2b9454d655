"""Operating views: account health, SLA clocks, capacity, the funnel and function scorecards.

Each reads the current snapshot (the stages computed everything in the run) and prints a
table, or JSON / CSV for scripts."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Annotated

import typer

from tieout import pipeline
from tieout.accounts.health import WORST_FIRST
from tieout.cli.common import FormatOption, ProjectOption, find_project, reported_errors
from tieout.cli.output import Format, console, emit
from tieout.metrics.scorecards import lint_scorecards
from tieout.operations.views import (
    capacity_rows,
    commitment_rows,
    funnel_rows,
    onboarding_rows,
    ticket_rows,
    utilisation_rows,
)
from tieout.periods import Period

HEALTH_COLUMNS = [
    "account_key",
    "name",
    "tier",
    "stage",
    "score",
    "band",
    "trend",
    "previous_score",
    "renewal_date",
    "contract_value",
    "open_pipeline",
    "reasons",
]


def accounts(
    health: Annotated[
        str | None, typer.Option("--health", help="only this band: red, amber or green")
    ] = None,
    tier: Annotated[str | None, typer.Option(help="only this tier, e.g. strategic")] = None,
    project: ProjectOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Account health: one score per customer, the reasons that moved it, and its trend."""
    with reported_errors():
        loaded = find_project(project)
        where = ["TRUE"]
        if health:
            where.append("band = :band")
        if tier:
            where.append("tier = :tier")
        with pipeline.snapshots(loaded).open_current() as wh:
            rows = wh.query_dicts(
                f"SELECT * FROM account_health WHERE {' AND '.join(where)} ORDER BY {WORST_FIRST}",
                {"band": (health or "").lower(), "tier": (tier or "").lower()},
            )
    for r in rows:
        r["reasons"] = json.loads(r["reasons"] or "[]")
    if fmt is Format.table:
        arrows = {"up": " ↑", "down": " ↓", "same": " ="}
        short = [
            {
                "account": r["name"],
                "band": r["band"],
                "score": f"{r['score']:.0f}{arrows.get(r['trend'] or '', '')}",
                "renews": r["renewal_date"],
                "reasons": "\n".join(  # a reason a line
                    x["text"] + (f" {x['points']}" if x["points"] else "") for x in r["reasons"]
                ),
            }
            for r in rows
        ]
        emit(
            short,
            ["account", "band", "score", "renews", "reasons"],
            fmt,
            title=f"Account health: {len(rows)} account(s), worst first; score out of 100, "
            "trend against the previous run (-f json: stage, every exception id)",
            numeric=["score"],
            wrap=["account", "reasons"],
        )
        if any(x.get("cap") for r in rows for x in r["reasons"]):
            console.print(
                "An open high exception keeps an account amber at best, a critical one red; "
                "see one with `tieout exceptions --id EX-…` (web: /exceptions/EX-…)."
            )
        return
    emit(rows, HEALTH_COLUMNS, fmt)


def service(
    breached: Annotated[bool, typer.Option("--breached", help="only SLA breaches")] = False,
    open_only: Annotated[bool, typer.Option("--open", help="only open tickets")] = False,
    account: Annotated[str | None, typer.Option(help="only this customer key")] = None,
    limit: Annotated[int, typer.Option(help="at most this many tickets")] = 200,
    project: ProjectOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """SLA clocks per ticket: business minutes to respond and resolve against target."""
    with reported_errors():
        loaded = find_project(project)
        with pipeline.snapshots(loaded).open_current() as wh:
            rows, columns, buckets = ticket_rows(
                wh,
                breached=breached,
                open_only=open_only,
                account=account,
                limit=limit,
                buckets=loaded.config.service.age_buckets_days,
            )
    if fmt is Format.table:
        short = [
            {
                "ticket": r["ticket"],
                "customer": r["customer"],
                "P": r["priority"],
                "status": r["status"],
                "used": r["resolution_minutes"],
                "target": r["resolution_target_minutes"],
                "left": r["minutes_to_breach"],
            }
            for r in rows
        ]
        title = f"Tickets: {len(rows)} shown, business minutes (-f json: every clock)"
        emit(
            short,
            list(short[0]) if short else ["ticket"],
            fmt,
            title=title,
            numeric=["P", "used", "target", "left"],
            wrap=["customer", "ticket"],
        )
        console.print("Open cases by age: " + ", ".join(f"{k} {v}" for k, v in buckets.items()))
        return
    emit(rows, columns, fmt)


def capacity(
    over: Annotated[bool, typer.Option("--over", help="only over-committed weeks")] = False,
    project: ProjectOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Demand against available hours by team and week, for the planning horizon."""
    with reported_errors():
        loaded = find_project(project)
        with pipeline.snapshots(loaded).open_current() as wh:
            rows = capacity_rows(wh, over_only=over)
    if fmt is not Format.table:
        emit(rows, list(rows[0]) if rows else ["team"], fmt)
        return
    short = [
        {
            "team": r["team"],
            "week": r["week_start"],
            "available h": r["available_hours"],
            "demand h": r["demand_hours"],
            "over": "OVER" if r["over_committed"] else "",
        }
        for r in rows
    ]
    emit(
        short,
        ["team", "week", "available h", "demand h", "over"],
        fmt,
        title="Capacity by team and week (demand: open work orders and ticket load)",
        numeric=["available h", "demand h"],
        wrap=["team"],
    )


def funnel(
    period: Annotated[str | None, typer.Option(help="cohort year or month, e.g. 2026")] = None,
    project: ProjectOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """The funnel by campaign cohort: lead, MQL, SAL, SQL, opportunity, won, with cost per
    stage and pipeline and won value per unit of spend."""
    with reported_errors():
        loaded = find_project(project)
        with pipeline.snapshots(loaded).open_current() as wh:
            rows, columns = funnel_rows(wh, period)
            committed = commitment_rows(wh)
    if fmt is not Format.table:  # amounts as exact strings, as everywhere in JSON and CSV
        for r in rows:
            text = json.dumps(r["commitments"], default=str)
            r["commitments"] = text if fmt is Format.csv else json.loads(text)
        emit(rows, columns, fmt)
        return
    columns = ["campaign", "leads", "mqls", "sals", "sqls", "won", "mql_to_sql_pct"]
    emit(
        rows,
        columns,
        fmt,
        title="Funnel by campaign cohort (-f csv adds cost per stage, value per spend and "
        "commitments)",
        numeric=columns[1:],
        wrap=["campaign"],
    )
    emit(
        [
            {
                "campaign": c["campaign"],
                "from": f"plan {c['plan']}" if c["source"] == "plan" else "CRM",
                "metric": c["metric"],
                "committed": _figure(c["committed"], c["unit"]),
                "actual": _figure(c["actual"], c["unit"]),
            }
            for c in committed
        ],
        ["campaign", "from", "metric", "committed", "actual"],
        fmt,
        title="Committed against actual per campaign cohort (whole cohort to the as-of date; "
        "money in the reporting currency)",
        numeric=["committed", "actual"],
        wrap=["campaign", "from", "metric"],
    )


def _figure(value: Decimal | None, unit: str | None) -> str:
    """A committed or actual figure as people read it: a rate with %, money with thousands."""
    if value is None:
        return "–"
    return f"{value:,.2f} %" if unit == "percent" else f"{value:,.2f}"


def scorecard(
    function: Annotated[
        str | None, typer.Argument(help="sales, marketing, service, ps, ops, finance")
    ] = None,
    project: ProjectOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """What each function is measured on, and a warning where another function's metrics
    dominate a scorecard."""
    with reported_errors():
        loaded = find_project(project)
        catalogue, cards = loaded.definitions.metrics, loaded.definitions.scorecards
    rows = [
        {
            "function": f,
            "metric": m,
            "owner": catalogue.get(m).owner,
            "title": catalogue.get(m).title,
        }
        for f, metrics in cards.items()
        if function in (None, f)
        for m in metrics
    ]
    emit(rows, ["function", "metric", "owner", "title"], fmt, title="Scorecards")
    for warning in lint_scorecards(cards, catalogue):
        if function in (None, warning.function):
            console.print(f"[yellow]warning:[/] {warning.text}")


def onboarding(
    project: ProjectOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Onboarding by account: milestones on plan, late, blocked (with the blocker) and done."""
    with reported_errors():
        loaded = find_project(project)
        with pipeline.snapshots(loaded).open_current() as wh:
            as_of = wh.scalar("SELECT max(as_of) FROM run_info")
            rows = onboarding_rows(wh, as_of)
    columns = ["customer", "overall", "on_plan", "late", "blocked", "done", "next_due", "blockers"]
    emit(
        rows,
        columns if fmt is Format.table else ["account_key", *columns],
        fmt,
        title=f"Onboarding: {len(rows)} account(s)",
        numeric=["on_plan", "late", "blocked", "done"],
        wrap=["customer", "blockers"],
    )


def utilisation(
    period: Annotated[str, typer.Option(help="weeks starting in this month or year")],
    project: ProjectOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Hours tracked and billable per person over hours available (less time off), vs target."""
    with reported_errors():
        loaded = find_project(project)
        span = Period.parse(period)
        with pipeline.snapshots(loaded).open_current() as wh:
            rows = utilisation_rows(
                wh, span.start, span.end, loaded.config.capacity.billable_target_pct
            )
    if fmt is not Format.table:
        emit(rows, list(rows[0]) if rows else ["person"], fmt)
        return
    short = [
        {
            "person": r["person"],
            "team": r["team"],
            "available": r["available_hours"],
            "tracked": r["tracked_hours"],
            "util %": r["utilisation_pct"],
            "billable %": r["billable_pct"],
            "vs target": r["gap_pct"],
        }
        for r in rows
    ]
    target = loaded.config.capacity.billable_target_pct
    title = f"Utilisation, weeks starting in {span.label} (billable target {target} %)"
    emit(
        short,
        list(short[0]) if short else ["person"],
        fmt,
        title=title,
        numeric=["available", "tracked", "util %", "billable %", "vs target"],
        wrap=["person", "team"],
    )
