"""`tieout users` and `tieout tokens`: local accounts for the web app and tokens for scripts."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from tieout import pipeline
from tieout.cli.auth import UserOption, authenticate
from tieout.cli.common import FormatOption, ProjectOption, find_project, reported_errors
from tieout.cli.output import Format, console, emit
from tieout.config.access import ROLES
from tieout.state.controls import require
from tieout.state.store import StateStore
from tieout.state.users import (
    ApiToken,
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


@contextmanager
def _admin(
    project: Path | None,
    user: str | None,
    *,
    about: str | Callable[[StateStore], str | None] | None = None,
    first: bool = False,
) -> Iterator[StateStore]:
    """The state store, once the actor may administer users: users.admin, or `about` is
    themselves; `first`: while there are no users anyone with the project adds the first.
    The audit log names the authenticated actor."""
    loaded = find_project(project)
    store = pipeline.state_store(loaded)
    try:
        if first and not users(store):
            yield store
            return
        who = authenticate(loaded, store, user)
        if (about(store) if callable(about) else about) != who.name:
            require(loaded.config.access, who, "users.admin")
        with _attributed(who.name):
            yield store
    finally:
        store.close()


@contextmanager
def _attributed(name: str) -> Iterator[None]:
    """The state store's user changes record $TIEOUT_USER as their actor: make it the
    person who authenticated, for this command only."""
    before = os.environ.get("TIEOUT_USER")
    os.environ["TIEOUT_USER"] = name
    try:
        yield
    finally:
        if before is None:
            del os.environ["TIEOUT_USER"]
        else:
            os.environ["TIEOUT_USER"] = before


@app.command("add")
def add(
    name: str,
    role: Annotated[str, typer.Option(help=", ".join(ROLES))],
    email: Annotated[str | None, typer.Option()] = None,
    password_stdin: PasswordStdin = False,
    project: ProjectOption = None,
    user: UserOption = None,
) -> None:
    """Add a user with a role (by an admin; the first user of a project by anyone)."""
    with reported_errors(), _admin(project, user, first=True) as store:
        add_user(store, name, role, _password(password_stdin), email)
    console.print(f"user {name} added as {role}", highlight=False)


@app.command("disable")
def disable(name: str, project: ProjectOption = None, user: UserOption = None) -> None:
    """Stop a user from logging in (their history stays)."""
    with reported_errors(), _admin(project, user) as store:
        set_active(store, name, False)
    console.print(f"user {name} disabled", highlight=False)


@app.command("enable")
def enable(name: str, project: ProjectOption = None, user: UserOption = None) -> None:
    """Let a disabled user log in again."""
    with reported_errors(), _admin(project, user) as store:
        set_active(store, name, True)
    console.print(f"user {name} enabled", highlight=False)


@app.command("reset-password")
def reset(
    name: str,
    password_stdin: PasswordStdin = False,
    project: ProjectOption = None,
    user: UserOption = None,
) -> None:
    """Set a new password (and lift a login lock): your own, or anyone's as an admin."""
    with reported_errors(), _admin(project, user, about=name) as store:
        reset_password(store, name, _password(password_stdin))
    console.print(f"password of {name} reset", highlight=False)


@app.command("list")
def list_users(project: ProjectOption = None, fmt: FormatOption = Format.table) -> None:
    """Every user, role and whether they may log in."""
    with reported_errors():
        store = pipeline.state_store(find_project(project))
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
    name: Annotated[str, typer.Argument(metavar="USER")],
    scope: Annotated[list[str], typer.Option("--scope", help="an action it may take (repeat)")],
    project: ProjectOption = None,
    user: UserOption = None,
) -> None:
    """Issue a token (an admin for anyone, a user for themselves); shown once, keep it in
    your secret store. A token does no more than its user's role allows."""
    with reported_errors(), _admin(project, user, about=name) as store:
        token = issue_token(store, name, scope)
    console.print(token, highlight=False, soft_wrap=True)


@tokens_app.command("revoke")
def revoke(token_id: str, project: ProjectOption = None, user: UserOption = None) -> None:
    """Revoke a token by its id (the part before the dot): an admin any, a user their own."""
    with reported_errors(), _admin(project, user, about=_owner(token_id)) as store:
        revoke_token(store, token_id)
    console.print(f"token {token_id} revoked", highlight=False)


def _owner(token_id: str) -> Callable[[StateStore], str | None]:
    def owner(store: StateStore) -> str | None:
        with store.session() as s:
            token = s.get(ApiToken, token_id)
            return token.user_name if token is not None else None

    return owner
