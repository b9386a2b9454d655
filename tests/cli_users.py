"""Users of a test project's state store, and the API tokens its CLI write commands
authenticate with ($TIEOUT_TOKEN), made through the real state store."""

from __future__ import annotations

from pathlib import Path

from tieout import pipeline
from tieout.config import load_project
from tieout.state.users import add_user, issue_token, users

PASSWORD = "correct horse battery"


def token_for(root: Path, name: str, role: str, scopes: list[str] | None = None) -> str:
    """A token of user `name` (added with `role` and PASSWORD when new) for `scopes`, by
    default every action the role may take in the project's tieout.yml."""
    loaded = load_project(root)
    store = pipeline.state_store(loaded)
    try:
        if name not in {u.name for u in users(store)}:
            add_user(store, name, role, PASSWORD, None)
        allowed = loaded.config.access.roles.get(role, [])
        return issue_token(store, name, allowed if scopes is None else scopes)
    finally:
        store.close()
