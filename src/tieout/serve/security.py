"""Who is asking and may they: session cookies (signed, HttpOnly, SameSite=Lax, naming a
session kept in the state store) for people, bearer tokens for scripts, a trusted header
from a configured SSO proxy; the role x action matrix from tieout.yml; a CSRF token on every
state-changing form, and in the X-Tieout-CSRF header of every state-changing API call a
browser makes."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from fastapi import HTTPException, Request

from tieout.config import LoadedProject
from tieout.state.files import private_file
from tieout.state.sessions import end_session, session_user
from tieout.state.store import StateStore
from tieout.state.users import User, token_user

SESSION_TOKEN = "sid"  # names the server-side session (state/sessions.py)
SESSION_CSRF = "csrf"
CSRF_HEADER = "X-Tieout-CSRF"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


@dataclass(frozen=True)
class Caller:
    name: str
    role: str
    scopes: tuple[str, ...] | None  # a token's scopes; None for a person (the role decides)
    via: str  # session, token or header


class LoginRequiredError(Exception):
    """A page asked for by someone not logged in: send them to the login page."""


def secret_key(root: Path) -> str:
    """$TIEOUT_SECRET_KEY, else a key made once for this project and kept beside its state."""
    if key := os.environ.get("TIEOUT_SECRET_KEY"):
        return key
    path = root / ".tieout" / "secret_key"
    if not path.exists():
        private_file(path, secrets.token_urlsafe(48).encode("utf-8"))
    return path.read_text(encoding="utf-8").strip()


def caller(request: Request, project: LoadedProject, store: StateStore) -> Caller | None:
    """Who sent the request, worked out once per request (a route's permission, the read
    layer and an action all ask)."""
    if "caller" not in request.state:
        request.state.caller = _caller(request, project, store)
    found: Caller | None = request.state.caller
    return found


def _caller(request: Request, project: LoadedProject, store: StateStore) -> Caller | None:
    access = project.config.access
    header = access.trusted_header
    proxied = access.from_proxy(request.client.host if request.client else None)
    if header and proxied and (name := request.headers.get(header)):
        user = _active(store, name)
        return Caller(user.name, user.role, None, "header") if user else None
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        found = token_user(store, auth[7:].strip())
        if found is None:
            return None
        user, scopes = found
        return Caller(user.name, user.role, tuple(scopes), "token")
    token = request.session.get(SESSION_TOKEN)
    if token:
        user = session_user(store, str(token))
        return Caller(user.name, user.role, None, "session") if user else None
    return None


def allowed(project: LoadedProject, who: Caller, action: str) -> bool:
    if not project.config.access.allows(who.role, action):
        return False
    return who.scopes is None or action in who.scopes


def require(request: Request, action: str, *, page: bool) -> Caller:
    """The caller, if they may take `action`: anonymous gets 401 (a page: the login page),
    a caller without the permission gets 403."""
    who = authenticated(request, page=page)
    if not allowed(request.app.state.project, who, action):
        raise HTTPException(403, f"role {who.role} may not {action}")
    return who


def authenticated(request: Request, *, page: bool) -> Caller:
    """The caller; anonymous gets 401 (a page: the login page)."""
    state = request.app.state
    who = caller(request, state.project, state.store)
    if who is None:
        if page:
            raise LoginRequiredError
        raise HTTPException(401, "log in or send a bearer token")
    return who


def csrf_token(request: Request) -> str:
    token = request.session.get(SESSION_CSRF)
    if not token:
        token = request.session[SESSION_CSRF] = secrets.token_urlsafe(32)
    return str(token)


def check_csrf(request: Request, sent: str | None) -> None:
    """A form post from a session must carry the session's token (tokens and trusted-header
    callers do not ride on a browser cookie, so they need none)."""
    expected = request.session.get(SESSION_CSRF)
    if not expected or not sent or not secrets.compare_digest(str(expected), sent):
        raise HTTPException(403, "missing or wrong CSRF token: reload the page and try again")


def api_csrf(request: Request) -> None:
    """Every /api/v1 router's guard: a state-changing call from a browser (the session cookie
    or an SSO proxy's trusted header: credentials the browser adds on its own, even to a form
    another site posts) must carry the session's CSRF token in the X-Tieout-CSRF header. No
    cross-site form can set a header, and a cross-origin script that tries is stopped by the
    browser's preflight (the app answers no CORS). Bearer-token clients need none; anonymous
    calls fall through to the route's own 401."""
    if request.method in SAFE_METHODS:
        return
    state = request.app.state
    who = caller(request, state.project, state.store)
    if who is None or who.via == "token":
        return
    expected = request.session.get(SESSION_CSRF)
    sent = request.headers.get(CSRF_HEADER)
    if not expected or not sent or not secrets.compare_digest(str(expected), sent):
        raise HTTPException(
            403,
            f"a browser session's API call must send its CSRF token in the {CSRF_HEADER} "
            'header (the pages carry it in <meta name="tieout-csrf">)',
        )


def start_session(request: Request, token: str) -> None:
    """A fresh cookie at login naming the new server-side session: nothing from before
    survives (no session fixation)."""
    request.session.clear()
    request.session[SESSION_TOKEN] = token
    request.session[SESSION_CSRF] = secrets.token_urlsafe(32)


def stop_session(request: Request, store: StateStore) -> None:
    """Logout: the server forgets the session, so a copy of the cookie is worth nothing."""
    if token := request.session.get(SESSION_TOKEN):
        end_session(store, str(token))
    request.session.clear()


def _active(store: StateStore, name: str) -> User | None:
    with store.session() as s:
        user = s.get(User, name)
        return user if user is not None and user.active else None
