"""`tieout check`: tieout.yml and every definition it uses, loaded and cross-checked the way
a run does before its first stage, with nothing run, so CI or an editor's save hook can
catch a typo in seconds."""

from __future__ import annotations

import typer
from rich.table import Table

from tieout.cli.common import FormatOption, ProjectOption, find_project, print_problems
from tieout.cli.output import Format, console, emit, err_console
from tieout.config import LoadedProject
from tieout.config.metrics import builtin_metrics
from tieout.config.rules import builtin_rules
from tieout.errors import ConfigError

COLUMNS = ["file", "line", "key", "message"]


def check(project: ProjectOption = None, fmt: FormatOption = Format.table) -> None:
    """Validate tieout.yml and every definition without running: exit 2 listing each problem."""
    try:
        loaded = find_project(project)
    except ConfigError as exc:
        if fmt is Format.table:
            print_problems(exc)
            count = len(exc.problems)
            err_console.print(f"{count} problem{'s' * (count != 1)}; nothing was run.")
        else:
            emit([_row(p) for p in exc.problems], COLUMNS, fmt)
        raise typer.Exit(exc.exit_code) from None
    if fmt is not Format.table:
        emit([], COLUMNS, fmt)
        return
    console.print("Every definition is valid; nothing was run.")
    console.print(_summary(loaded), highlight=False)


def _summary(loaded: LoadedProject) -> Table:
    """How much was checked, and which of it is the project's own."""
    found = loaded.definitions
    own_rules = [r.source for r in found.rules if r.rule.id not in builtin_rules()]
    shipped = {m.name for m, _ in builtin_metrics()}
    own_metrics = [f for name, f in found.metrics.sources.items() if name not in shipped]
    presets = sorted({s.preset_id for s in found.sources if s.preset_id})
    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True)
    grid.add_column(justify="right", no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_row("  project", "", str(loaded.file))
    grid.add_row("  sources", str(len(found.sources)), ", ".join(presets))
    grid.add_row("  rules", str(len(found.rules)), _own(own_rules))
    grid.add_row("  metrics", str(len(found.metrics.metrics)), _own(own_metrics))
    grid.add_row("  plans", str(len(found.plans)), ", ".join(p.file for p in found.plans))
    grid.add_row("  scorecards", str(len(found.scorecards)), ", ".join(found.scorecards))
    return grid


def _own(files: list[str]) -> str:
    return f"{len(files)} of the project's own: {', '.join(sorted(set(files)))}" if files else ""


def _row(problem: ConfigError) -> dict[str, object]:
    return {c: getattr(problem, c) for c in COLUMNS}
