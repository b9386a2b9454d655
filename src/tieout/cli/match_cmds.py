"""`tieout match ...` and `tieout export crosswalk`: shared keys, their review and accuracy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from tieout import pipeline
from tieout.cli.auth import UserOption, acting
from tieout.cli.common import (
    FormatOption,
    ProjectOption,
    find_project,
    progress_bar,
    reported_errors,
)
from tieout.cli.output import Format, ReportFormat, console, emit, write_xlsx
from tieout.cli.run_cmds import show_run
from tieout.errors import UsageError
from tieout.match import report
from tieout.match.score import score
from tieout.state.controls import decide_match
from tieout.state.matching import reviews

app = typer.Typer(help="Shared keys: customer golden records and job links.", no_args_is_help=True)
export_app = typer.Typer(help="Export shared keys.", no_args_is_help=True)


@app.command("review")
def review(project: ProjectOption = None, fmt: FormatOption = Format.table) -> None:
    """Links the matcher would not make alone: accept or reject them by ID."""
    with reported_errors():
        loaded = find_project(project)
        store = pipeline.state_store(loaded)
        items = reviews(store)
        store.close()
        ids = [i.member_id for i in items] + [i.anchor_id for i in items]
        with pipeline.snapshots(loaded).open_current() as wh:
            names = report.record_names(wh, ids)
    rows = [
        {
            "id": i.id,
            "kind": report.REVIEW_KINDS.get(i.entity_type, i.entity_type),
            "record": i.member_id,
            "record name": names.get(i.member_id, ""),
            "proposed": i.anchor_id,
            "proposed name": names.get(i.anchor_id, ""),
            "probability": round(i.probability, 3),
            "reason": i.reason,
        }
        for i in items
    ]
    columns = [
        "id",
        "kind",
        "record",
        "record name",
        "proposed",
        "proposed name",
        "probability",
        "reason",
    ]
    if fmt is Format.table:
        columns = ["id", "kind", "record name", "proposed name", "probability", "reason"]
    emit(
        rows,
        columns,
        fmt,
        title=f"Match review: {len(rows)} open",
        numeric=["probability"],
        wrap=["record name", "proposed name", "reason"],
    )


def _decide(
    review_id: str, decision: str, note: str | None, project: Path | None, user: str | None
) -> None:
    with reported_errors(), acting(project, user) as (loaded, store, who):
        row = decide_match(store, loaded.config.access, who, review_id, decision, note)
    console.print(
        f"{decision}ed {review_id}: {row.member_id} -> {row.anchor_id} by {who.name}; "
        "applied from the next `tieout run`",
        highlight=False,
    )


@app.command("accept")
def accept(
    review_id: Annotated[str, typer.Argument(help="review item id (tieout match review)")],
    note: Annotated[str | None, typer.Option(help="why")] = None,
    project: ProjectOption = None,
    user: UserOption = None,
) -> None:
    """Accept a proposed link; every later run keeps it, also after a rebuild."""
    _decide(review_id, "accept", note, project, user)


@app.command("reject")
def reject(
    review_id: Annotated[str, typer.Argument(help="review item id (tieout match review)")],
    note: Annotated[str | None, typer.Option(help="why")] = None,
    project: ProjectOption = None,
    user: UserOption = None,
) -> None:
    """Reject a proposed link; no later run makes it."""
    _decide(review_id, "reject", note, project, user)


@app.command("train")
def train(project: ProjectOption = None, fmt: FormatOption = Format.table) -> None:
    """Retrain the Splink models on the current data, then run."""
    with reported_errors():
        loaded = find_project(project)
        with progress_bar() as update:
            summary = pipeline.run(loaded, progress=update, retrain=True)
    show_run(summary, fmt)


@app.command("report")
def match_report(
    project: ProjectOption = None,
    truth: Annotated[Path | None, typer.Option(help="ground truth (the demo's truth.json)")] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Counts by method and confidence band; with --truth, pairwise precision/recall/F1."""
    with reported_errors():
        loaded = find_project(project)
        if truth is not None and not truth.exists():
            raise UsageError(f"--truth {truth}: no such file")
        with pipeline.snapshots(loaded).open_current() as wh:
            counts = report.method_counts(wh)
            accuracy = score(wh, json.loads(truth.read_text(encoding="utf-8"))) if truth else []
    if fmt is not Format.table:
        rows = counts + [
            {
                "entity": a.entity,
                "precision": round(a.precision, 4),
                "recall": round(a.recall, 4),
                "f1": round(a.f1, 4),
                "true_pairs": a.true_pairs,
                "predicted_pairs": a.predicted_pairs,
            }
            for a in accuracy
        ]
        columns = [
            "entity",
            "method",
            "confidence_band",
            "records",
            "precision",
            "recall",
            "f1",
            "true_pairs",
            "predicted_pairs",
        ]
        emit(rows, columns, fmt)
        return
    emit(
        counts,
        ["entity", "method", "confidence_band", "records"],
        fmt,
        title="Shared keys by method",
        numeric=["records"],
        wrap=["method"],
    )
    if accuracy:
        emit(
            [
                {
                    "entity": a.entity,
                    "precision": f"{a.precision:.4f}",
                    "recall": f"{a.recall:.4f}",
                    "F1": f"{a.f1:.4f}",
                    "true pairs": a.true_pairs,
                }
                for a in accuracy
            ],
            ["entity", "precision", "recall", "F1", "true pairs"],
            fmt,
            title=f"Accuracy against {truth}",
            numeric=["precision", "recall", "F1", "true pairs"],
            wrap=["entity"],
        )


@export_app.command("crosswalk")
def export_crosswalk(
    project: ProjectOption = None,
    entity: Annotated[str | None, typer.Option(help="only this entity type")] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="csv, json or table")] = Format.csv,
) -> None:
    """Every source record with its golden key, method and confidence."""
    with reported_errors():
        loaded = find_project(project)
        with pipeline.snapshots(loaded).open_current() as wh:
            rows = report.crosswalk(wh, entity)
    columns = [
        "entity_type",
        "golden_key",
        "source_system",
        "source_object",
        "native_id",
        "name",
        "method",
        "confidence",
    ]
    emit(rows, columns, fmt, title="Crosswalk", wrap=["name", "native_id"])


@export_app.command("jobs")
def export_jobs(
    project: ProjectOption = None,
    fmt: Annotated[
        ReportFormat, typer.Option("--format", "-f", help="csv, json, xlsx or table")
    ] = ReportFormat.csv,
    out: Annotated[Path | None, typer.Option(help="xlsx file to write (default jobs.xlsx)")] = None,
) -> None:
    """Every job link (quote, work order, invoice or credit line) with its method,
    probability and evidence: which comparisons agreed and the weight of each."""
    with reported_errors():
        loaded = find_project(project)
        with pipeline.snapshots(loaded).open_current() as wh:
            rows = report.job_links(wh)
    columns = list(report.JOB_COLUMNS)
    if fmt is ReportFormat.xlsx:
        dest = out or Path("jobs.xlsx")
        write_xlsx(dest, [("Jobs", columns, rows)], {"amount"})
        console.print(f"wrote {dest}: {len(rows):,} links")
        return
    if fmt is ReportFormat.json:
        for r in rows:
            r["evidence"] = json.loads(r["evidence"] or "{}")
    if fmt is ReportFormat.table:  # what fits a terminal; the rest in csv, json or xlsx
        columns = [
            "work_order_number",
            "invoice_number",
            "line_number",
            "amount",
            "method",
            "probability_pct",
        ]
    emit(rows, columns, Format(fmt.value), title="Job links", numeric=["amount", "probability_pct"])
