"""Who is at the keyboard. A command that changes workflow state acts as a user of the state
store, authenticated as the web app and the API authenticate: an API token in $TIEOUT_TOKEN
(scripts) or the user's password (`--user NAME`, asked for). Naming someone (the old `--by`,
$TIEOUT_USER) proves nothing, so it no longer decides who acts; the rules the actor then
meets are state/controls.py's, the web's."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import click
import typer

from tieout import pipeline
from tieout.cli.common import find_project
from tieout.config import LoadedProject
from tieout.errors import NoSnapshotError, UsageError
from tieout.serve.data import owned_accounts
from tieout.state.controls import Actor
from tieout.state.store import StateStore
from tieout.state.users import User, login, token_user

TOKEN_ENV = "TIEOUT_TOKEN"

UserOption = Annotated[
    str | None,
    typer.Option(
        "--user",
        "--by",
        help=f"act as this user (asks for the password); else the user of ${TOKEN_ENV}",
    ),
]


def authenticate(loaded: LoadedProject, store: StateStore, user: str | None) -> Actor:
    """The token's user when $TIEOUT_TOKEN is set, else `user` once their password checks."""
    if token := os.environ.get(TOKEN_ENV, "").strip():
        found = token_user(store, token)
        if found is None:
            raise UsageError(
                f"${TOKEN_ENV} is not a live token of an active user (mistyped, revoked, or "
                "its user disabled): issue one with `tieout tokens issue`"
            )
        person, scopes = found
        if user and user != person.name:
            raise UsageError(
                f"--user {user}: ${TOKEN_ENV} holds {person.name}'s token; unset it to log in "
                f"as {user}"
            )
        return Actor(person.name, person.role, tuple(scopes))
    if not user:
        raise UsageError(
            "this command changes the state store, so it must know who you are: set "
            f"${TOKEN_ENV} to an API token (`tieout tokens issue`) or pass --user NAME "
            "to be asked for your password"
        )
    result = login(store, user, _password(user), loaded.config.access.login_attempts)
    if not result.ok:
        raise UsageError(f"cannot log in as {user}: {result.why}")
    with store.session() as s:
        row = s.get(User, user)
        assert row is not None  # login succeeded
        return Actor(row.name, row.role)


@contextmanager
def acting(
    project: Path | None, user: str | None
) -> Iterator[tuple[LoadedProject, StateStore, Actor]]:
    """The project, its state store and the authenticated actor, for one write command."""
    loaded = find_project(project)
    store = pipeline.state_store(loaded)
    try:
        yield loaded, store, authenticate(loaded, store, user)
    finally:
        store.close()


def own_accounts(loaded: LoadedProject, who: Actor) -> set[str] | None:
    """The accounts a role limited to its own (sales, by default) may act on, read as the
    web reads them; None: all. Before any run nobody owns anything."""
    if who.role not in loaded.config.access.own_accounts_only:
        return None
    try:
        with pipeline.snapshots(loaded).open_current() as wh:
            return owned_accounts(wh, who.name)
    except NoSnapshotError:
        return set()


def _password(user: str) -> str:
    """Asked for on a terminal; read as one line from standard input otherwise (a pipe)."""
    try:
        if sys.stdin.isatty():
            password = str(typer.prompt(f"password for {user}", hide_input=True))
        else:
            password = sys.stdin.readline().rstrip("\n")
    except (click.exceptions.Abort, EOFError):
        password = ""
    if not password:
        raise UsageError(f"no password given for {user}")
    return password
