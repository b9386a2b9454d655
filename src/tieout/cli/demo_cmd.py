"""`tieout demo`: generate a realistic services company's exports, then run tieout on them."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Annotated

import typer

from tieout import pipeline
from tieout.cli.common import progress_bar, reported_errors
from tieout.cli.output import Format, console
from tieout.cli.run_cmds import show_run
from tieout.config import LoadedProject, load_project
from tieout.demo.scaffold import write_demo_project
from tieout.errors import UsageError
from tieout.state.plans import approve, import_version

AUTHOR = "demo marketing lead"
APPROVER = "demo sales director"


def demo(
    scale: Annotated[
        float, typer.Option(help="1 = ~300 customers, 3,000 jobs, 100k time entries")
    ] = 1.0,
    seed: Annotated[int, typer.Option(help="same seed, same company, byte for byte")] = 7,
    out: Annotated[Path, typer.Option(help="project folder to create")] = Path("demo"),
    force: Annotated[bool, typer.Option(help="replace an existing demo folder")] = False,
) -> None:
    """Generate the demo company into OUT (a normal tieout project) and run the pipeline."""
    from tieout.demo.generate import generate  # numpy-heavy: loaded only for the demo

    with reported_errors():
        if scale <= 0:
            raise UsageError("--scale must be positive")
        if out.exists() and any(out.iterdir()):
            if not force and not (out / "truth.json").exists():
                raise UsageError(f"{out} exists and is not a tieout demo (use --force)")
            shutil.rmtree(out)
        started = time.perf_counter()
        with console.status(f"generating demo company (scale {scale:g}, seed {seed})"):
            counts = generate(out, scale=scale, seed=seed)
        generated = time.perf_counter() - started
        write_demo_project(out)
        project = load_project(out)
        _approve_plans(project)
        with progress_bar() as update:
            summary = pipeline.run(project, progress=update)
    truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    console.print(
        f"generated {len(counts)} export files, {sum(counts.values()):,} rows in {generated:.1f}s; "
        f"{len(truth.get('customers', []))} customers, {len(truth.get('anomalies', []))} planted "
        f"anomalies, {len(truth.get('malformed', []))} malformed rows (truth.json)"
    )
    show_run(summary, Format.table)
    console.print(
        f"Project ready in [bold]{out}[/]. Try, from inside it (cd {out}):\n"
        "  tieout exceptions                      owned differences, money at risk first\n"
        "  tieout close --period 2026-09          month-end tie-out per customer\n"
        "  tieout metrics show margin --period 2026-09 --by customer\n"
        "  tieout report commentary --period 2026-09\n"
        "  tieout report forecast --months 6\n"
        "  tieout accounts --health red           account health and the reasons behind it\n"
        "  tieout service --breached              SLA clocks in business hours\n"
        "  tieout plan show joint-2026            plan against actual, variances to explain\n"
        "  tieout funnel --period 2026            lead to won by campaign cohort\n"
        "  tieout decisions --open                the leadership agenda\n"
        "  tieout report board --period 2026-10   the board pack (PDF)\n"
        "  tieout users add me --role admin; tieout serve   the web app\n"
        "  tieout quarantine                      every row not accepted, and why",
        highlight=False,
    )


def _approve_plans(project: LoadedProject) -> None:
    """The demo's joint plan, drafted by marketing and approved by sales, as in real life."""
    store = pipeline.state_store(project)
    try:
        for defined in project.definitions.plans:
            plan = defined.plan
            row, _ = import_version(
                store, plan.model_dump(), digest=plan.digest(), source=defined.file, author=AUTHOR
            )
            if row.status != "approved":
                approve(store, row.plan, row.version, by=APPROVER)
    finally:
        store.close()
