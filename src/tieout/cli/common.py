"""What every command shares: finding the project, parsing dates, reporting errors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from tieout.cli.output import Format, ReportFormat, err_console
from tieout.config import PROJECT_FILE, LoadedProject, load_project
from tieout.errors import ConfigError, TieoutError, UsageError

ProjectOption = Annotated[
    Path | None,
    typer.Option(
        "--project", "-p", help="project directory (default: search upwards for tieout.yml)"
    ),
]


FormatOption = Annotated[Format, typer.Option("--format", "-f", help="table, json or csv")]
ReportFormatOption = Annotated[
    ReportFormat, typer.Option("--format", "-f", help="table, json, csv or xlsx")
]


def find_project(start: Path | None) -> LoadedProject:
    if start is not None:
        return load_project(start)
    here = Path.cwd()
    for folder in (here, *here.parents):
        if (folder / PROJECT_FILE).exists():
            return load_project(folder)
    raise ConfigError(f"no {PROJECT_FILE} here or above; run `tieout init DIR` or pass --project")


def parse_date(value: str | None, option: str = "--as-of") -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{option} must be a date like 2026-10-31, got {value!r}") from None


@contextmanager
def reported_errors() -> Iterator[None]:
    """Print a tieout error (each problem of a config error) and exit with its code
    (1 failure, 2 config/usage)."""
    try:
        yield
    except ConfigError as exc:
        print_problems(exc)
        raise typer.Exit(exc.exit_code) from None
    except TieoutError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(exc.exit_code) from None


def print_problems(exc: ConfigError) -> None:
    """One `error: file:line: key: message` per problem, the form editors and CI logs jump
    to; in a terminal a long one wraps under its indent, so it reads at 80 columns."""
    if not err_console.is_terminal:
        for problem in exc.problems:
            err_console.print(f"[bold red]error:[/] {problem}", highlight=False, soft_wrap=True)
        return
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold red", no_wrap=True)
    grid.add_column(overflow="fold")
    for problem in exc.problems:
        grid.add_row("error:", Text(str(problem)))
    err_console.print(grid)


@contextmanager
def progress_bar() -> Iterator[Callable[[str, int, int], None]]:
    bar = Progress(
        TextColumn("{task.description}", style="cyan"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )
    task = bar.add_task("starting", total=None)

    def update(description: str, done: int, total: int) -> None:
        bar.update(task, description=description[-60:], completed=done, total=total or None)

    with bar:
        yield update
