"""`tieout plan`: the joint plan in versions, approved by a second person, measured against
actuals, with variances beyond the threshold explained before the review date."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tieout import pipeline
from tieout.cli.auth import UserOption, acting
from tieout.cli.common import FormatOption, ProjectOption, find_project, reported_errors
from tieout.cli.metric_cmds import metrics_snapshot
from tieout.cli.output import Format, amount, console, emit, write_json
from tieout.config import LoadedProject
from tieout.config.plans import DefinedPlan, load_plan_file
from tieout.errors import ConfigError, UsageError
from tieout.periods import Period
from tieout.plan import measure
from tieout.plan.variance import variance_row
from tieout.state import controls
from tieout.state.plans import content, explanations, versions

app = typer.Typer(help="The joint sales and marketing plan: versions, approval, plan vs actual.")

VERSION_COLUMNS = [
    "plan",
    "version",
    "status",
    "title",
    "author",
    "created_at",
    "approved_by",
    "approved_at",
    "source_file",
    "content_hash",
]
SHOW_COLUMNS = [
    "period",
    "metric",
    "dimension",
    "member",
    "unit",
    "target",
    "actual",
    "variance",
    "variance_pct",
    "threshold_pct",
    "needs_explanation",
    "review_date",
    "state",
    "explanation",
    "explained_by",
]


@app.command("import")
def import_plan(
    file: Annotated[
        Path | None, typer.Argument(help="plan YAML (default: every file of plan_files)")
    ] = None,
    project: ProjectOption = None,
    user: UserOption = None,
) -> None:
    """Import a plan file as a new draft version (unchanged content makes no new version)."""
    with reported_errors(), acting(project, user) as (loaded, store, who):
        for defined in _plans(loaded, file):
            plan, name = defined.plan, defined.file
            row, created = controls.import_plan(
                store,
                loaded.config.access,
                who,
                plan.model_dump(),
                digest=plan.digest(),
                source=name,
            )
            if created:
                console.print(
                    f"{row.plan} version {row.version} imported from {name} as a draft by "
                    f"{row.author}; someone else approves it: tieout plan approve "
                    f"{row.plan} --version {row.version} --user NAME",
                    highlight=False,
                )
            else:
                console.print(
                    f"{row.plan}: {name} is the same as version {row.version} "
                    f"({row.status}); no new version",
                    highlight=False,
                )


@app.command("approve")
def approve_plan(
    plan: str,
    version: Annotated[int | None, typer.Option(help="the version (default: the latest)")] = None,
    user: UserOption = None,
    project: ProjectOption = None,
) -> None:
    """Approve a draft version (not by its author); it is immutable from then on."""
    with reported_errors(), acting(project, user) as (loaded, store, who):
        row = controls.approve_plan(store, loaded.config.access, who, plan, version)
    console.print(
        f"{row.plan} version {row.version} approved by {row.approved_by} (imported by "
        f"{row.author}); it is immutable and the next run measures it",
        highlight=False,
    )


@app.command("versions")
def list_versions(
    plan: Annotated[str | None, typer.Argument(help="one plan (default: all)")] = None,
    project: ProjectOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Every version of a plan: who imported it, who approved it and when."""
    with reported_errors():
        store = pipeline.state_store(find_project(project))
        try:
            rows = [{c: getattr(v, c) for c in VERSION_COLUMNS} for v in versions(store, plan)]
        finally:
            store.close()
        if plan and not rows:
            raise UsageError(f"no plan {plan!r} (import one with `tieout plan import`)")
    shown = VERSION_COLUMNS[:8] if fmt is Format.table else VERSION_COLUMNS
    emit(rows, shown, fmt, title="Plan versions")


@app.command("show")
def show(
    plan: str,
    period: Annotated[str | None, typer.Option(help="only this month, e.g. 2026-07")] = None,
    version: Annotated[
        int | None, typer.Option(help="the version (default: the latest approved)")
    ] = None,
    project: ProjectOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Plan against actual per target, as of the current snapshot: variance, variance %,
    and whether it needs an explanation and by when."""
    with reported_errors():
        loaded = find_project(project)
        month = Period.month(period).label if period else None
        store = pipeline.state_store(loaded)
        try:
            found = content(store, plan, version)
            explained = explanations(store, plan)
        finally:
            store.close()
        currency = loaded.config.reporting_currency
        with metrics_snapshot(loaded) as (catalogue, wh, as_of):
            rows, problems = measure(wh, catalogue, found, explained, currency, as_of)
    shown = [variance_row(r, as_of) for r in rows if month is None or r.period == month]
    v = found.version
    if fmt is Format.json:
        write_json(
            {
                "plan": v.plan,
                "version": v.version,
                "status": v.status,
                "approved_by": v.approved_by,
                "approved_at": v.approved_at,
                "cadence": v.cadence,
                "review_day": v.review_day,
                "currency": currency,
                "as_of": as_of,
                "rows": shown,
                "problems": problems,
            }
        )
        return
    if fmt is Format.csv:
        emit(shown, SHOW_COLUMNS, fmt)
        return
    state = f"approved by {v.approved_by}" if v.status == "approved" else "DRAFT, not approved"
    compact = [
        {
            "period": r["period"],
            "metric": r["metric"],
            "member": r["member"],
            "target": amount(r["target"]),
            "actual": None if r["actual"] is None else amount(r["actual"]),
            "var %": None if r["variance_pct"] is None else amount(r["variance_pct"], 1),
            "state": r["state"],
        }
        for r in shown
    ]
    emit(
        compact,
        ["period", "metric", "member", "target", "actual", "var %", "state"],
        fmt,
        title=f"{v.title}: {v.plan} v{v.version} ({state}), as of {as_of}, money in "
        f"{currency}; explain variances beyond {amount(v.threshold_pct)} %",
        numeric=["target", "actual", "var %"],
        wrap=["member", "state"],
    )
    for problem in problems:
        console.print(f"[yellow]not measured:[/] {problem}", highlight=False)


@app.command("explain")
def explain_variance(
    plan: str,
    period: Annotated[str, typer.Option(help="the target's month, e.g. 2026-07")],
    metric: Annotated[str, typer.Option(help="the target's metric")],
    text: Annotated[str, typer.Option(help="why the actual differs from the target")],
    dimension: Annotated[str | None, typer.Option(help="the target's split")] = None,
    member: Annotated[str | None, typer.Option(help="the member of that split")] = None,
    user: UserOption = None,
    project: ProjectOption = None,
) -> None:
    """Explain a variance of the approved plan; the next run clears its exception."""
    with reported_errors():
        if (dimension is None) != (member is None):
            raise UsageError("--dimension and --member go together")
        key = (Period.month(period).label, metric, dimension, member)
        with acting(project, user) as (loaded, store, who):
            row = controls.explain_variance(store, loaded.config.access, who, plan, key, text)
    split = f" {row.dimension}={row.member}" if row.dimension else ""
    console.print(
        f"{plan} {row.period} {row.metric}{split}: explained by {row.by}", highlight=False
    )


def _plans(loaded: LoadedProject, file: Path | None) -> tuple[DefinedPlan, ...]:
    """The plan file named (checked now: it need not be one of plan_files), else every
    file of plan_files (checked when the project loaded)."""
    if file is not None:
        return (load_plan_file(file, loaded.root, loaded.definitions.metrics),)
    if not loaded.definitions.plans:
        patterns = ", ".join(loaded.config.plan_files)
        raise ConfigError(
            f"no plan file matches plan_files ({patterns}): name one, "
            "e.g. tieout plan import plans/joint-plan.yml"
        )
    return loaded.definitions.plans
