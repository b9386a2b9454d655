"""`tieout run`, `tieout runs`, `tieout quarantine`: build snapshots and show what they hold."""

from __future__ import annotations

from typing import Annotated

import typer

from tieout import pipeline
from tieout.cli.common import (
    FormatOption,
    ProjectOption,
    find_project,
    parse_date,
    progress_bar,
    reported_errors,
)
from tieout.cli.output import Format, console, emit, err_console
from tieout.ingest import IngestSummary, file_record, quarantine
from tieout.match import MatchSummary
from tieout.notify import post_run_summary


def run(
    project: ProjectOption = None,
    as_of: Annotated[
        str | None, typer.Option(help="as-of date YYYY-MM-DD (default: tieout.yml, else today)")
    ] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Load every source into a new warehouse snapshot and make it current."""
    with reported_errors():
        loaded = find_project(project)
        with progress_bar() as update:
            summary = pipeline.run(loaded, as_of=parse_date(as_of), progress=update)
    show_run(summary, fmt)
    notify = loaded.config.notify
    if notify.webhook_url:
        problem = post_run_summary(
            notify.webhook_url, run_summary(summary), notify.webhook_timeout_seconds
        )
        if problem:
            err_console.print(f"[yellow]warning:[/] {problem}", highlight=False)


def run_summary(summary: pipeline.RunSummary) -> dict[str, object]:
    """What a webhook hears after a run."""
    cases = summary.reconcile.cases
    return {
        "run_id": summary.run_id,
        "as_of": summary.as_of.isoformat(),
        "seconds": summary.seconds,
        "rows": {
            "read": summary.ingest.rows_read,
            "accepted": summary.ingest.rows_accepted,
            "quarantined": summary.ingest.rows_quarantined,
        },
        "exceptions": {
            "by_rule": summary.reconcile.by_rule,
            "new": cases.opened,
            "reopened": cases.reopened,
            "cleared": cases.auto_resolved,
            "open": cases.still_open,
        },
        "accounts": summary.accounts.bands,
        "decisions_raised": summary.accounts.decisions_raised,
    }


def show_run(summary: pipeline.RunSummary, fmt: Format) -> None:
    ingest = summary.ingest
    if fmt is not Format.table:
        rows = [{**file_record(f), "cached": f.cached} for f in ingest.files]
        columns = ["file", "source", "table", "read", "accepted", "quarantined", "cached"]
        if fmt is Format.json:
            columns += ["superseded", "fields_nulled", "report_rows", "encoding", "dates"]
        emit(rows, columns, fmt)
        return
    table_rows = [
        {
            "file": f.file,
            "read": f"{f.rows_read:,}",
            "accepted": f"{f.rows_accepted:,}",
            "quarantined": f"{f.rows_quarantined:,}",
            "cached": "yes" if f.cached else "",
        }
        for f in ingest.files
    ]
    table_rows.append(
        {
            "file": "TOTAL",
            "read": f"{ingest.rows_read:,}",
            "accepted": f"{ingest.rows_accepted:,}",
            "quarantined": f"{ingest.rows_quarantined:,}",
            "cached": "",
        }
    )
    title = f"Run {summary.run_id}, as of {summary.as_of}, {summary.seconds:.1f}s"
    numbers = ["read", "accepted", "quarantined"]
    emit(table_rows, ["file", *numbers, "cached"], fmt, title=title, numeric=numbers, wrap=["file"])
    show_dates(ingest)
    show_match(summary.match)
    found = ", ".join(f"{rule} {n}" for rule, n in summary.reconcile.by_rule.items())
    cases = summary.reconcile.cases
    console.print(
        f"Exceptions: {found}; {cases.opened} new, {cases.reopened} reopened, "
        f"{cases.auto_resolved} cleared, {cases.still_open} open (tieout exceptions)."
    )
    console.print(f"Metrics: {summary.metrics.marts} marts built (tieout metrics list).")
    ops, bands, planned = summary.operations, summary.accounts.bands, summary.plan
    console.print(
        f"Operations: {ops.tickets:,} tickets on SLA clocks (tieout service), "
        f"{ops.over_committed_weeks} over-committed team weeks (tieout capacity), "
        f"{ops.leads:,} leads in the funnel (tieout funnel).",
        highlight=False,
    )
    console.print(
        f"Accounts: {bands['red']} red, {bands['amber']} amber, {bands['green']} green "
        f"(tieout accounts); {summary.accounts.decisions_raised} decision request(s) raised "
        f"(tieout decisions --open). Plans: {planned.plans}, {planned.needing_explanation} "
        "variance(s) needing an explanation (tieout plan show).",
        highlight=False,
    )
    for warning in [
        *ingest.warnings,
        *summary.operations.warnings,
        *summary.metrics.skipped.values(),
        *summary.accounts.warnings,
    ]:
        console.print(f"[yellow]warning:[/] {warning}", highlight=False)
    if ingest.rows_quarantined:
        console.print("Rows in quarantine: see [bold]tieout quarantine[/]")


def show_dates(ingest: IngestSummary) -> None:
    """Which reading the date columns got: one line per layout, the files that use it."""
    by_layout: dict[str, list[str]] = {}
    for f in ingest.files:
        for r in f.dates:
            if r.values:
                by_layout.setdefault(r.shown, []).append(f"{f.file} {r.header}")
    if not by_layout:
        return
    parts = []
    for layout, columns in sorted(by_layout.items(), key=lambda kv: -len(kv[1])):
        shown = "; ".join(columns[:2]) + (f"; +{len(columns) - 2} more" if len(columns) > 2 else "")
        parts.append(f"{layout} in {len(columns)} column(s) ({shown})")
    console.print("Dates read as: " + ". ".join(parts) + " (tieout runs -f json).", highlight=False)


def show_match(matched: MatchSummary) -> None:
    customers, jobs = matched.customers, matched.jobs
    golden = customers.golden
    linked = (
        golden.records - golden.linked_by.get("master", 0) - golden.linked_by.get("unmatched", 0)
    )
    console.print(
        f"Shared keys: {golden.linked_by.get('master', 0):,} CRM customers with {linked:,} "
        f"records of other systems linked, {golden.linked_by.get('unmatched', 0):,} records "
        f"linked to none (prospects, unknown names), {customers.in_review} to review "
        f"(tieout match review); {matched.people.golden_records:,} people; "
        f"{matched.products.golden_records:,} products. Jobs: "
        f"{jobs.work_orders_with_quote:,} of {jobs.work_orders:,} work orders tied to a quote, "
        f"{jobs.invoice_lines_linked:,} of {jobs.invoice_lines:,} invoice lines to a work order, "
        f"{jobs.in_review:,} links to review."
    )


def runs(project: ProjectOption = None, fmt: FormatOption = Format.table) -> None:
    """List runs: when, as-of date, status, rows and timings (json adds table row counts)."""
    with reported_errors():
        loaded = find_project(project)
        store = pipeline.state_store(loaded)
        current = pipeline.snapshots(loaded).current_id()
        rows = [
            {
                "run": r.id + (" *" if r.id == current and fmt is Format.table else ""),
                "current": r.id == current,
                "as_of": r.as_of,
                "status": r.status,
                "seconds": None if r.seconds is None else round(r.seconds, 1),
                "read": r.rows_read,
                "accepted": r.rows_accepted,
                "quarantined": r.rows_quarantined,
                "error": r.error,
                "table_rows": r.table_rows,
                "stage_seconds": r.stage_seconds,
                "files": r.files or [],
            }
            for r in store.runs()
        ]
        store.close()
    columns = ["run", "as_of", "status", "seconds", "read", "accepted", "quarantined"]
    if fmt is not Format.table:
        columns.insert(1, "current")
    if fmt is Format.json:
        columns += ["error", "table_rows", "stage_seconds", "files"]
    elif fmt is Format.csv:
        columns.append("error")
    emit(
        rows,
        columns,
        fmt,
        title="Runs (* = current snapshot)",
        numeric=["seconds", "read", "accepted", "quarantined"],
    )
    if fmt is Format.table:  # in full below the table, which a long message would squeeze
        for r in rows:
            if r["error"]:
                console.print(f"{r['run']}: {r['error']}", highlight=False, markup=False)


def _field_warnings(project: ProjectOption, limit: int | None, fmt: Format) -> None:
    with reported_errors():
        loaded = find_project(project)
        with pipeline.snapshots(loaded).open_current() as wh:
            rows = quarantine.list_warnings(wh, limit=limit)
    if fmt is not Format.table:
        emit(rows, list(quarantine.WARNING_COLUMNS), fmt)
        return
    compact = [
        {
            "where": f"{r['source_file']}:{r['source_row']}",
            "column": r["column_name"],
            "value set empty because": r["reason"],
        }
        for r in rows
    ]
    title = f"Field warnings: {len(rows)} accepted rows with a value set empty"
    emit(compact, ["where", "column", "value set empty because"], fmt, title=title, wrap=["where"])


def _clip(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def quarantine_cmd(
    project: ProjectOption = None,
    source: Annotated[str | None, typer.Option(help="only this source")] = None,
    file: Annotated[
        str | None, typer.Option(help="only this file (as shown by tieout run)")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="at most this many rows")] = None,
    warnings: Annotated[
        bool,
        typer.Option(
            "--warnings", help="instead: accepted rows whose unreadable optional value was emptied"
        ),
    ] = False,
    fmt: FormatOption = Format.table,
) -> None:
    """Rows that were read but not accepted, with file, row, column, reason and raw text."""
    if warnings:
        _field_warnings(project, limit, fmt)
        return
    with reported_errors():
        loaded = find_project(project)
        with pipeline.snapshots(loaded).open_current() as wh:
            rows = quarantine.list_rows(wh, source=source, file=file, limit=limit)
            totals = quarantine.load_log(wh)
    if fmt is not Format.table:
        emit(rows, list(quarantine.COLUMNS), fmt)
        return
    compact = [
        {
            "where": f"{r['source_file']}:{r['source_row']}",
            "column": r["column_name"],
            "reason": r["reason"],
            "raw text": _clip(str(r["raw_text"] or ""), 60),
        }
        for r in rows
    ]
    title = f"Quarantine: {len(rows)} rows (--format json shows the whole raw text)"
    emit(
        compact,
        ["where", "column", "reason", "raw text"],
        fmt,
        title=title,
        wrap=["where", "reason", "raw text"],
    )
    read = sum(int(str(t["rows_read"])) for t in totals)
    accepted = sum(int(str(t["rows_accepted"])) for t in totals)
    held = sum(int(str(t["rows_quarantined"])) for t in totals)
    console.print(f"rows read {read:,} = accepted {accepted:,} + quarantined {held:,}")
