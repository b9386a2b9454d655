"""`tieout audit`: the append-only log of every state change, and a check that nobody edited
or deleted an entry."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy import select

from tieout import pipeline
from tieout.cli.common import FormatOption, ProjectOption, find_project, reported_errors
from tieout.cli.output import Format, console, emit, err_console
from tieout.state.models import AuditEvent
from tieout.state.verify import verify

app = typer.Typer(help="The audit log: who changed what, when; hash-chained.")
SHOWN = 20  # the first problems say where the chain broke; the rest follow from them


@app.command("log")
def log(
    entity: Annotated[str | None, typer.Option(help="only this kind, e.g. exception, plan")] = None,
    entity_id: Annotated[str | None, typer.Option("--id", help="only this record")] = None,
    limit: Annotated[int, typer.Option(help="the newest this many")] = 50,
    project: ProjectOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """The newest entries first."""
    with reported_errors():
        store = pipeline.state_store(find_project(project))
        try:
            with store.session() as s:
                query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
                if entity:
                    query = query.where(AuditEvent.entity == entity)
                if entity_id:
                    query = query.where(AuditEvent.entity_id == entity_id)
                rows = [
                    {
                        "id": e.id,
                        "at": e.at,
                        "actor": e.actor,
                        "action": e.action,
                        "entity": e.entity,
                        "entity_id": e.entity_id,
                        "detail": e.detail,
                        "hash": e.hash,
                    }
                    for e in s.scalars(query)
                ]
        finally:
            store.close()
    if fmt is Format.table:
        for r in rows:
            r["at"] = f"{r['at']:%Y-%m-%d %H:%M:%S}"
        emit(
            rows,
            ["id", "at", "actor", "action", "entity_id"],
            fmt,
            title="Audit log",
            numeric=["id"],
            wrap=["entity_id"],
        )
        return
    emit(rows, list(rows[0]) if rows else ["id"], fmt)


@app.command("verify")
def verify_cmd(project: ProjectOption = None) -> None:
    """Check the chain, its signed checkpoints and the workflow tables against it; exit 1
    when an entry was edited, deleted or rewritten, or a table changed without an entry."""
    with reported_errors():
        store = pipeline.state_store(find_project(project))
        try:
            verdict = verify(store)
        finally:
            store.close()
    if verdict.problems:
        for problem in verdict.problems[:SHOWN]:
            err_console.print(f"[red]tampered:[/] {problem}", highlight=False)
        if len(verdict.problems) > SHOWN:
            err_console.print(f"... and {len(verdict.problems) - SHOWN:,} more", highlight=False)
        raise typer.Exit(1)
    console.print(
        f"audit log intact: {verdict.entries:,} entries, head {verdict.head[:16]}, "
        f"{verdict.anchors:,} signed heads agree, workflow tables match the log",
        highlight=False,
    )
