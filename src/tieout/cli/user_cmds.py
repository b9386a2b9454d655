"""`tieout users` and `tieout tokens`: local accounts for the web app and tokens for scripts."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from tieout import pipeline
from tieout.cli.common import FormatOption, ProjectOption, find_project, reported_errors
from tieout.cli.output import Format, console, emit
from tieout.config.access import ROLES
from tieout.state.store import StateStore
from tieout.state.users import (
    add_user,
    issue_token,
    reset_password,
    revoke_token,
    set_active,
    users,
)

app = typer.Typer(help="Local users of the web app: Argon2-hashed passwords, one role each.")
tokens_app = typer.Typer(help="API tokens for scripts: scoped, hashed at rest, revocable.")

PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="read the password from standard input")
]


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(typer.prompt("password", hide_input=True, confirmation_prompt=True))


def _store(project: Path | None) -> StateStore:
    return pipeline.state_store(find_project(project))


@app.command("add")
def add(
    name: str,
    role: Annotated[str, typer.Option(help=", ".join(ROLES))],
    email: Annotated[str | None, typer.Option()] = None,
    password_stdin: PasswordStdin = False,
    project: ProjectOption = None,
) -> None:
    """Add a user with a role."""
    with reported_errors():
        store = _store(project)
        try:
            add_user(store, name, role, _password(password_stdin), email)
        finally:
            store.close()
    console.print(f"user {name} added as {role}", highlight=False)


@app.command("disable")
def disable(name: str, project: ProjectOption = None) -> None:
    """Stop a user from logging in (their history stays)."""
    with reported_errors():
        store = _store(project)
        try:
            set_active(store, name, False)
        finally:
            store.close()
    console.print(f"user {name} disabled", highlight=False)


@app.command("enable")
def enable(name: str, project: ProjectOption = None) -> None:
    """Let a disabled user log in again."""
    with reported_errors():
        store = _store(project)
        try:
            set_active(store, name, True)
        finally:
            store.close()
    console.print(f"user {name} enabled", highlight=False)


@app.command("reset-password")
def reset(name: str, password_stdin: PasswordStdin = False, project: ProjectOption = None) -> None:
    """Set a new password (and lift a login lock)."""
    with reported_errors():
        store = _store(project)
        try:
            reset_password(store, name, _password(password_stdin))
        finally:
            store.close()
    console.print(f"password of {name} reset", highlight=False)


@app.command("list")
def list_users(project: ProjectOption = None, fmt: FormatOption = Format.table) -> None:
    """Every user, role and whether they may log in."""
    with reported_errors():
        store = _store(project)
        try:
            rows = [
                {
                    "name": u.name,
                    "role": u.role,
                    "email": u.email,
                    "active": u.active,
                    "created_at": u.created_at,
                }
                for u in users(store)
            ]
        finally:
            store.close()
    emit(rows, ["name", "role", "email", "active", "created_at"], fmt, title="Users")


@tokens_app.command("issue")
def issue(
    user: str,
    scope: Annotated[list[str], typer.Option("--scope", help="an action it may take (repeat)")],
    project: ProjectOption = None,
) -> None:
    """Issue a token; it is shown once, keep it in your secret store."""
    with reported_errors():
        store = _store(project)
        try:
            token = issue_token(store, user, scope)
        finally:
            store.close()
    console.print(token, highlight=False, soft_wrap=True)


@tokens_app.command("revoke")
def revoke(token_id: str, project: ProjectOption = None) -> None:
    """Revoke a token by its id (the part before the dot)."""
    with reported_errors():
        store = _store(project)
        try:
            revoke_token(store, token_id)
        finally:
            store.close()
    console.print(f"token {token_id} revoked", highlight=False)
