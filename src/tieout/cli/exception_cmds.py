"""`tieout exceptions`: where sold, delivered and billed disagree; ack, resolve, waive."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from tieout import pipeline
from tieout.cli.auth import UserOption, acting, own_accounts
from tieout.cli.common import FormatOption, ProjectOption, find_project, reported_errors
from tieout.cli.output import Format, console, emit
from tieout.errors import UsageError
from tieout.reconcile.score import score_rules
from tieout.state.controls import (
    act_on_exception,
    assign_exception,
    comment_exception,
    decide_exception,
)
from tieout.state.exceptions import OPEN_STATUSES, REQUESTS, cases

app = typer.Typer(
    help="Exceptions the rules raised, with owner and money at risk.",
    invoke_without_command=True,
)

COLUMNS = [
    "id",
    "rule",
    "severity",
    "status",
    "owner",
    "account_key",
    "amount_at_risk",
    "first_seen",
    "last_seen",
    "detail",
    "source_refs",
    "reason",
]


@app.callback()
def listing(
    ctx: typer.Context,
    project: ProjectOption = None,
    rule: Annotated[str | None, typer.Option(help="only this rule")] = None,
    status: Annotated[
        str,
        typer.Option(
            help="open, acknowledged, waiver_requested, resolved, waived, active (any of the "
            "first three) or all"
        ),
    ] = "active",
    owner: Annotated[str | None, typer.Option(help="only this owner")] = None,
    case_id: Annotated[
        str | None,
        typer.Option(
            "--id",
            help="only this exception, whatever its status (e.g. one that `tieout accounts` names)",
        ),
    ] = None,
    check: Annotated[bool, typer.Option(help="exit 1 when any listed exception is open")] = False,
    fmt: FormatOption = Format.table,
) -> None:
    """List exceptions, largest money at risk first."""
    if ctx.invoked_subcommand:
        return
    with reported_errors():
        loaded = find_project(project)
        store = pipeline.state_store(loaded)
        rows = [
            {
                **{c: getattr(case, c) for c in COLUMNS if c != "source_refs"},
                "owner": case.assignee,
                "source_refs": json.loads(case.source_refs) if case.source_refs else [],
            }
            for case in cases(
                store,
                rule=rule,
                status=None if status in ("all", "active") or case_id else status,
                owner=owner,
            )
            if (status != "active" or case.status in OPEN_STATUSES or case_id)
            and case_id in (None, case.id)
        ]
        store.close()
    if fmt is Format.table:
        money = sum(r["amount_at_risk"] or 0 for r in rows if r["status"] in OPEN_STATUSES)
        emit(
            rows,
            ["id", "rule", "status", "owner", "amount_at_risk", "detail"],
            fmt,
            title=f"Exceptions: {len(rows)} ({money:,.2f} at risk in open ones)",
            numeric=["amount_at_risk"],
            wrap=["detail", "owner"],
        )
    elif fmt is Format.csv:
        emit([{**r, "source_refs": json.dumps(r["source_refs"])} for r in rows], COLUMNS, fmt)
    else:
        emit(rows, COLUMNS, fmt)
    if check and any(r["status"] in OPEN_STATUSES for r in rows):
        raise typer.Exit(1)


def _act(
    case_id: str, action: str, reason: str | None, project: Path | None, user: str | None
) -> None:
    with reported_errors():
        if action == "waive" and not reason:
            raise UsageError("waiving an exception needs --reason: why the difference is fine")
        with acting(project, user) as (loaded, store, who):
            access = loaded.config.access
            own = own_accounts(loaded, who)
            case = act_on_exception(store, access, who, case_id, action, reason, own=own)
    said = f" ({reason})" if reason else ""
    if case.status in REQUESTS.values():
        said += f": over {who.name}'s approval limit, someone else approves it"
    console.print(f"{case.id}: {case.status}{said}", highlight=False)


@app.command("ack")
def ack(
    case_id: str,
    project: ProjectOption = None,
    reason: Annotated[str | None, typer.Option(help="note")] = None,
    user: UserOption = None,
) -> None:
    """Acknowledge: someone owns it and is on it."""
    _act(case_id, "ack", reason, project, user)


@app.command("resolve")
def resolve(
    case_id: str,
    project: ProjectOption = None,
    reason: Annotated[str | None, typer.Option(help="what was done")] = None,
    user: UserOption = None,
) -> None:
    """Resolve: fixed at the source (it reopens if a later run finds it again). Over the
    approval limit it waits for someone with exceptions.approve, as a waiver does."""
    _act(case_id, "resolve", reason, project, user)


@app.command("waive")
def waive(
    case_id: str,
    project: ProjectOption = None,
    reason: Annotated[str | None, typer.Option(help="why it is acceptable")] = None,
    user: UserOption = None,
) -> None:
    """Waive with a reason: a known, accepted difference; later runs leave it waived. Over
    the approval limit it waits for someone else with exceptions.approve."""
    _act(case_id, "waive", reason, project, user)


@app.command("assign")
def assign_cmd(
    case_id: str,
    to: Annotated[
        str | None, typer.Option(help="who works it; leave out for the rule's owner")
    ] = None,
    project: ProjectOption = None,
    user: UserOption = None,
) -> None:
    """Give an exception to a person; later runs keep the assignee."""
    with reported_errors(), acting(project, user) as (loaded, store, who):
        own = own_accounts(loaded, who)
        case = assign_exception(store, loaded.config.access, who, case_id, to, own=own)
    console.print(f"{case.id}: assigned to {case.assignee}", highlight=False)


@app.command("comment")
def comment_cmd(
    case_id: str,
    text: Annotated[str, typer.Option(help="the comment")] = "",
    attach: Annotated[
        Path | None, typer.Option(help="a supporting document to keep with the exception")
    ] = None,
    project: ProjectOption = None,
    user: UserOption = None,
) -> None:
    """Comment on an exception, optionally attaching a document (kept by its SHA-256)."""
    with reported_errors():
        if attach is not None and not attach.is_file():
            raise UsageError(f"--attach: no file {attach}")
        with acting(project, user) as (loaded, store, who):
            note = comment_exception(
                store,
                loaded.config.access,
                who,
                case_id,
                text,
                attachment=(attach.name, attach.read_bytes()) if attach else None,
                folder=pipeline.attachments(loaded),
                own=own_accounts(loaded, who),
            )
    console.print(
        f"{case_id}: note {note.id}"
        + (f", {note.file_name} sha256 {note.file_sha256}" if note.file_name else ""),
        highlight=False,
    )


def _decide(
    case_id: str, approve: bool, note: str | None, project: Path | None, user: str | None
) -> None:
    with reported_errors(), acting(project, user) as (loaded, store, who):
        case = decide_exception(
            store,
            loaded.config.access,
            who,
            case_id,
            approve=approve,
            note=note,
            own=own_accounts(loaded, who),
        )
    console.print(f"{case.id}: {case.status}", highlight=False)


@app.command("approve-waiver")
def approve_waiver(
    case_id: str,
    note: Annotated[str | None, typer.Option(help="why")] = None,
    project: ProjectOption = None,
    user: UserOption = None,
) -> None:
    """Approve a waiver or resolve someone else asked for (above the approval limit)."""
    _decide(case_id, True, note, project, user)


@app.command("reject-waiver")
def reject_waiver(
    case_id: str,
    note: Annotated[str | None, typer.Option(help="why not")] = None,
    project: ProjectOption = None,
    user: UserOption = None,
) -> None:
    """Reject a waiver or resolve request: the exception goes back to acknowledged."""
    _decide(case_id, False, note, project, user)


@app.command("score")
def score(
    truth: Annotated[Path, typer.Option(help="ground truth (the demo's truth.json)")],
    project: ProjectOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Precision and recall of every rule against a ground-truth file."""
    with reported_errors():
        if not truth.exists():
            raise UsageError(f"--truth {truth}: no such file")
        loaded = find_project(project)
        with pipeline.snapshots(loaded).open_current() as wh:
            results = score_rules(wh, json.loads(truth.read_text(encoding="utf-8")))
    rows = [
        {
            "rule": a.entity,
            "precision": round(a.precision, 4),
            "recall": round(a.recall, 4),
            "f1": round(a.f1, 4),
            "planted": a.true_pairs,
            "found": a.predicted_pairs,
        }
        for a in results
    ]
    emit(
        rows,
        ["rule", "precision", "recall", "f1", "planted", "found"],
        fmt,
        title=f"Rules against {truth}",
        numeric=["precision", "recall", "f1", "planted", "found"],
    )
