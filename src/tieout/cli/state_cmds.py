"""`tieout state`: the state store itself; `copy` moves it to another database (SQLite to
PostgreSQL) and proves the copy with the audit verify."""

from __future__ import annotations

from typing import Annotated

import typer

from tieout import pipeline
from tieout.cli.common import FormatOption, ProjectOption, find_project, reported_errors
from tieout.cli.output import Format, emit, err_console
from tieout.config.project import STATE_PASSWORD_ENV, with_state_password
from tieout.errors import ConfigError, UsageError
from tieout.state.copy import copy_store
from tieout.state.store import StateStore
from tieout.state.verify import verify

app = typer.Typer(help="The state store: cases, approvals, users and the audit log.")
SHOWN = 20


@app.command("copy")
def copy(
    to: Annotated[
        str,
        typer.Option(
            "--to",
            help="SQLAlchemy URL of an empty store, e.g. postgresql+psycopg://tieout@db/tieout; "
            f"leave the password out and set ${STATE_PASSWORD_ENV}",
        ),
    ],
    project: ProjectOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Copy the state store into an empty database, then audit-verify the copy.

    Every table with its ids, so the audit chain arrives intact; exit 1 if the verify on the
    copy finds a problem, 2 if the target holds data or cannot be reached."""
    with reported_errors():
        loaded = find_project(project)
        try:
            url = with_state_password(to)
        except ValueError as exc:
            raise UsageError(f"--to: {exc}") from None
        source = pipeline.state_store(loaded)
        target = StateStore(url, loaded.root)
        try:
            try:
                target.connect().close()
            except ConfigError as exc:
                raise UsageError(f"--to: {str(exc).removeprefix('state.url: ')}") from None
            counts = copy_store(source, target)
            verdict = verify(target)
        finally:
            source.close()
            target.close()
    rows = [{"table": name, "rows": n} for name, n in counts.items()]
    emit(rows, ["table", "rows"], fmt, title="Copied", numeric=["rows"])
    if verdict.problems:
        for problem in verdict.problems[:SHOWN]:
            err_console.print(f"[red]tampered:[/] {problem}", highlight=False)
        raise typer.Exit(1)
    where = target.engine.url.render_as_string(hide_password=True)
    err_console.print(
        f"copied {sum(counts.values()):,} rows in {len(counts)} tables to {where}; audit log "
        f"intact there: {verdict.entries:,} entries, {verdict.anchors:,} signed heads agree. "
        "Point state.url (or state.url_env) at it to use it.",
        highlight=False,
        soft_wrap=True,
    )
