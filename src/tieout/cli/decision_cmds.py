"""`tieout decisions`: the leadership agenda; raise a question about an account, decide it
with a rationale, or withdraw it."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated

import typer

from tieout import pipeline
from tieout.cli.auth import UserOption, acting
from tieout.cli.common import FormatOption, ProjectOption, find_project, parse_date, reported_errors
from tieout.cli.output import Format, amount, console, emit
from tieout.config import LoadedProject
from tieout.errors import TieoutError, UsageError
from tieout.state.controls import close_decision, raise_decision
from tieout.state.decisions import requests
from tieout.state.models import DecisionRequest

app = typer.Typer(
    help="Decisions leadership owes: raised by people or by thresholds, decided with a reason.",
    invoke_without_command=True,
)

COLUMNS = [
    "id",
    "status",
    "due_date",
    "account_key",
    "question",
    "options",
    "owner",
    "amount_at_stake",
    "raised_by",
    "raised_at",
    "decision",
    "rationale",
    "decided_by",
    "decided_at",
    "exceptions",
]


@app.callback()
def agenda(
    ctx: typer.Context,
    open_only: Annotated[bool, typer.Option("--open", help="only the open ones")] = False,
    project: ProjectOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Decision requests, open ones first by due date: the leadership agenda."""
    if ctx.invoked_subcommand:
        return
    with reported_errors():
        loaded = find_project(project)
        store = pipeline.state_store(loaded)
        try:
            rows = [
                {c: getattr(r, c) for c in COLUMNS} for r in requests(store, open_only=open_only)
            ]
        finally:
            store.close()
    if fmt is Format.table:
        names = _account_names(loaded)
        for r in rows:
            r["account"] = names.get(r["account_key"], r["account_key"])
            r["due"] = r["due_date"]
            r["at stake"] = amount(r["amount_at_stake"]) if r["amount_at_stake"] else None
        emit(
            rows,
            ["id", "status", "due", "account", "question", "at stake"],
            fmt,
            title=f"Decisions: {sum(r['status'] == 'open' for r in rows)} open "
            "(-f json: options, owner, decision and rationale)",
            numeric=["at stake"],
            wrap=["account", "question"],
        )
        for r in rows:  # a threshold's request names the open exceptions behind the band
            ids = r["exceptions"] or []
            if r["status"] == "open" and ids:
                more = f" and {len(ids) - 5} more (-f json)" if len(ids) > 5 else ""
                console.print(
                    f"{r['id']} ({r['account']}): behind it {', '.join(ids[:5])}{more}",
                    highlight=False,
                )
        return
    if fmt is Format.csv:
        for row in rows:
            row["options"] = "|".join(row["options"] or [])
            row["exceptions"] = "|".join(row["exceptions"] or [])
    emit(rows, COLUMNS, fmt)


@app.command("raise")
def raise_cmd(
    account: Annotated[str, typer.Option(help="the account's key (see `tieout accounts`)")],
    question: Annotated[str, typer.Option(help="what leadership must decide")],
    due: Annotated[str, typer.Option(help="decide by, YYYY-MM-DD")],
    option: Annotated[
        list[str] | None, typer.Option("--option", help="a possible answer (repeat it)")
    ] = None,
    owner: Annotated[str, typer.Option(help="who brings it to a decision")] = "leadership",
    amount: Annotated[str | None, typer.Option(help="money at stake, reporting currency")] = None,
    project: ProjectOption = None,
    user: UserOption = None,
) -> None:
    """Ask leadership to decide something about an account."""
    with reported_errors():
        due_date = parse_date(due, "--due")
        assert due_date is not None
        with acting(project, user) as (loaded, store, who):
            _known_account(loaded, account)
            row = raise_decision(
                store,
                loaded.config.access,
                who,
                account_key=account,
                question=question,
                options=option or [],
                owner=owner,
                due_date=due_date,
                amount=_money(amount),
            )
    console.print(f"{row.id}: raised for {row.account_key}, due {row.due_date}", highlight=False)


@app.command("decide")
def decide_cmd(
    request_id: Annotated[str, typer.Argument(metavar="ID")],
    decision: Annotated[str, typer.Option(help="what was decided")],
    rationale: Annotated[str, typer.Option(help="why")],
    user: UserOption = None,
    project: ProjectOption = None,
) -> None:
    """Record the decision and its rationale (by a leader when decisions.leaders is set)."""
    with reported_errors():
        row = _close(project, user, request_id, decision, rationale)
    console.print(f"{row.id}: decided by {row.decided_by}: {row.decision}", highlight=False)


@app.command("withdraw")
def withdraw_cmd(
    request_id: Annotated[str, typer.Argument(metavar="ID")],
    reason: Annotated[str, typer.Option(help="why no decision is needed")],
    user: UserOption = None,
    project: ProjectOption = None,
) -> None:
    """Withdraw a request that no longer needs a decision."""
    with reported_errors():
        row = _close(project, user, request_id, None, reason)
    console.print(f"{row.id}: withdrawn by {row.decided_by}", highlight=False)


def _close(
    project: Path | None, user: str | None, request_id: str, decision: str | None, why: str
) -> DecisionRequest:
    with acting(project, user) as (loaded, store, who):
        return close_decision(
            store,
            loaded.config.access,
            who,
            request_id,
            decision=decision,
            rationale=why,
            leaders=loaded.config.decisions.leaders,
        )


def _known_account(loaded: LoadedProject, key: str) -> None:
    """Once a run has built the customers, refuse a key that names none of them."""
    snaps = pipeline.snapshots(loaded)
    if snaps.current_id() is None:
        return
    with snaps.open_current() as wh:
        known = wh.scalar("SELECT count(*) FROM customer_key WHERE golden_key = :key", {"key": key})
    if not known:
        raise UsageError(f"no customer with account key {key!r} (see `tieout accounts`)")


def _money(text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        raise UsageError(f"--amount must be a number like 125000.00, got {text!r}")
    return value.quantize(Decimal("0.01"))


def _account_names(loaded: LoadedProject) -> dict[str, str]:
    """Customer names from the current snapshot, when there is one."""
    try:
        with pipeline.snapshots(loaded).open_current() as wh:
            return dict(wh.query("SELECT account_key, name FROM account_health"))
    except TieoutError:
        return {}
