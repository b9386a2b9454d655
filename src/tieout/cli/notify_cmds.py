"""`tieout notify digest`: each exception owner's daily e-mail of new and escalated exceptions."""

from __future__ import annotations

from typing import Annotated

import typer

from tieout import pipeline
from tieout.cli.common import ProjectOption, find_project, reported_errors
from tieout.cli.output import console
from tieout.notify import collect_digests, send_digests

app = typer.Typer(help="Tell exception owners what is new or escalated for them.")


@app.command("digest")
def digest(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="print instead of sending")] = False,
    project: ProjectOption = None,
) -> None:
    """Send every owner the exceptions opened, reopened or escalated to them since their last
    digest (schedule it daily, after `tieout run`)."""
    with reported_errors():
        loaded = find_project(project)
        cfg = loaded.config
        store = pipeline.state_store(loaded)
        try:
            if dry_run:
                for d in collect_digests(store, cfg.notify):
                    console.print(f"To: {d.address or '(no address)'}\nSubject: {d.subject()}")
                    console.print(d.body(cfg.reporting_currency), highlight=False)
                return
            sent, missing = send_digests(store, cfg.notify, cfg.reporting_currency)
        finally:
            store.close()
    console.print(f"{sent} digest(s) sent", highlight=False)
    if missing:
        console.print(
            f"[yellow]no address in notify.recipients for:[/] {', '.join(missing)}",
            highlight=False,
        )
