"""`tieout close`: the month-end tie-out, prepared by one person and signed off by another."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from tieout import pipeline
from tieout.cli.auth import UserOption, acting
from tieout.cli.common import ProjectOption, ReportFormatOption, find_project, reported_errors
from tieout.cli.output import ReportFormat, amount, console, write_json, write_xlsx
from tieout.config import LoadedProject
from tieout.errors import UsageError
from tieout.periods import Period
from tieout.reconcile.close import (
    CUSTOMER_COLUMNS,
    JOB_COLUMNS,
    MEASURES,
    Close,
    close_from_snapshot,
    close_report,
    frozen_figures,
)
from tieout.reports.cells import write_csv
from tieout.state.closes import get_close
from tieout.state.controls import prepare_close, sign_off_close
from tieout.state.models import PeriodClose

app = typer.Typer(
    help="Month-end close: quoted, delivered, billed, credited and unbilled per customer; "
    "every difference explained by open exceptions or listed as unexplained.",
    invoke_without_command=True,
)


PeriodOption = Annotated[str, typer.Option("--period", help="the month, e.g. 2026-09")]


@app.callback()
def show(
    ctx: typer.Context,
    period: Annotated[str | None, typer.Option("--period", help="the month, e.g. 2026-09")] = None,
    project: ProjectOption = None,
    fmt: ReportFormatOption = ReportFormat.table,
    out: Annotated[
        Path | None, typer.Option(help="xlsx file to write (default close-YYYY-MM.xlsx)")
    ] = None,
) -> None:
    """Show a month's tie-out: frozen figures and post-close adjustments once signed off."""
    if ctx.invoked_subcommand:
        return
    with reported_errors():
        if period is None:
            raise UsageError("--period is required, e.g. tieout close --period 2026-09")
        loaded = find_project(project)
        close, _, record = _live(loaded, Period.month(period))
    report = close_report(close, record)
    if fmt is ReportFormat.json:
        write_json(report)
    elif fmt is ReportFormat.csv:
        _csv(report)
    elif fmt is ReportFormat.xlsx:
        dest = out or Path(f"close-{close.period.label}.xlsx")
        _xlsx(report, dest)
        console.print(f"wrote {dest}")
    else:
        _table(close, report)


@app.command("prepare")
def prepare(period: PeriodOption, project: ProjectOption = None, user: UserOption = None) -> None:
    """Record today's figures for sign-off (again replaces them, until signed off)."""
    with reported_errors(), acting(project, user) as (loaded, store, who):
        close, run_id, _ = _live(loaded, Period.month(period))
        record = prepare_close(
            store,
            loaded.config.access,
            who,
            close.period.label,
            figures=frozen_figures(close),
            currency=close.currency,
            as_of=close.as_of,
            run_id=run_id,
        )
    console.print(
        f"{record.period} prepared by {record.prepared_by} (as of {record.as_of}); "
        "a different person signs it off: tieout close signoff --period "
        f"{record.period} --user NAME",
        highlight=False,
    )


@app.command("signoff")
def signoff(period: PeriodOption, project: ProjectOption = None, user: UserOption = None) -> None:
    """Sign off the prepared figures (not by their preparer); they are frozen from then on."""
    with reported_errors(), acting(project, user) as (loaded, store, who):
        close, _, _ = _live(loaded, Period.month(period))
        live = frozen_figures(close)
        record = sign_off_close(store, loaded.config.access, who, close.period.label, live=live)
    console.print(
        f"{record.period} signed off by {record.signed_off_by} "
        f"(prepared by {record.prepared_by}); its figures are frozen",
        highlight=False,
    )


def _live(loaded: LoadedProject, period: Period) -> tuple[Close, str | None, PeriodClose | None]:
    store = pipeline.state_store(loaded)
    try:
        with pipeline.snapshots(loaded).open_current() as wh:
            close, run_id = close_from_snapshot(wh, loaded, store, period)
        return close, run_id, get_close(store, period.label)
    finally:
        store.close()


def _csv(report: dict[str, Any]) -> None:
    rows = [*report["customers"], {"customer": "TOTAL", **report["total"]}]
    write_csv(sys.stdout, rows, CUSTOMER_COLUMNS)


def _xlsx(report: dict[str, Any], dest: Path) -> None:
    amounts = {*MEASURES, "signed_off", "now", "adjustment"}
    write_xlsx(
        dest,
        [
            (
                "Customers",
                CUSTOMER_COLUMNS,
                [*report["customers"], {"customer": "TOTAL", **report["total"]}],
            ),
            ("Jobs", JOB_COLUMNS, report["jobs"]),
            (
                "Adjustments",
                ["account_key", "customer", "measure", "signed_off", "now", "adjustment"],
                report["adjustments"],
            ),
        ],
        amounts,
    )


def _table(close: Close, report: dict[str, Any]) -> None:
    state = {
        "draft": "draft, not prepared",
        "prepared": f"prepared by {report['prepared_by']}, awaiting sign-off",
        "signed_off": f"signed off by {report['signed_off_by']} "
        f"(prepared by {report['prepared_by']}), frozen",
    }[report["status"]]
    table = Table(
        title=f"Close {report['period']} in {report['currency']}, as of {report['as_of']}: {state}",
        title_justify="left",
        header_style="bold",
        caption="whole units; exact to the cent with --format json, csv or xlsx"
        + ("; a wider terminal shows quoted and unbilled" if console.width < 100 else ""),
        caption_justify="left",
    )
    table.add_column("customer", min_width=10, max_width=26)
    narrow = console.width < 100  # keep what a finance reader checks first
    amounts = ["quoted", "delivered", "billed", "credited", "unbilled"]
    if narrow:
        amounts = ["delivered", "billed", "credited"]
    for name in ["jobs", *amounts, "unexplained"]:
        table.add_column(name, justify="right", no_wrap=True, min_width=len(name))
    total = {"customer": "TOTAL", **report["total"]}
    for row in [*report["customers"], total]:
        unexplained = Decimal(row["scope_unexplained"]) + Decimal(row["billing_unexplained"])
        table.add_row(
            row["customer"] or row["account_key"] or "(no customer key)",
            str(row["jobs"]),
            *(amount(row[m], 0) for m in amounts),
            amount(unexplained, 0),
            end_section=row is not total and row is report["customers"][-1],
            style="bold" if row is total else None,
        )
    console.print(table)
    t = report["total"]
    gaps = [
        ("scope", "delivered - quoted - priced changes"),
        ("billing", "delivered - (billed - credited)"),
    ]
    for gap, formula in gaps:
        console.print(
            f"{gap} gap ({formula}): {amount(t[gap + '_gap'])} = "
            f"{amount(t[gap + '_explained'])} explained + "
            f"{amount(t[gap + '_unexplained'])} unexplained",
            highlight=False,
        )
    open_jobs = [
        j for j in close.jobs if j.figures.scope_unexplained or j.figures.billing_unexplained
    ]
    if open_jobs:
        title = "Unexplained differences" + (" today" if report["status"] == "signed_off" else "")
        listing = Table(title=title, title_justify="left", header_style="bold")
        listing.add_column(
            "customer", overflow="ellipsis", no_wrap=True, min_width=12, max_width=26
        )
        listing.add_column("work orders", min_width=11)
        for name in ("credited", "scope gap", "billing gap"):
            listing.add_column(name, justify="right", no_wrap=True, min_width=len(name))
        for job in open_jobs:
            f = job.figures
            listing.add_row(
                job.customer or "",
                ", ".join(job.work_orders),
                amount(f.credited),
                amount(f.scope_unexplained),
                amount(f.billing_unexplained),
            )
        console.print(listing)
    if report["adjustments"]:
        adj = Table(title="Post-close adjustments", title_justify="left", header_style="bold")
        for name in ("customer", "measure", "signed off", "now", "adjustment"):
            adj.add_column(name, justify="left" if name in ("customer", "measure") else "right")
        for a in report["adjustments"]:
            adj.add_row(
                a["customer"] or a["account_key"] or "",
                a["measure"],
                amount(a["signed_off"]),
                amount(a["now"]),
                amount(a["adjustment"]),
            )
        console.print(adj)
