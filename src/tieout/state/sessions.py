"""Signing in on the web, and the sessions it opens, kept in the state store.

A signed cookie alone cannot be taken back: it stayed good for its 12 hours through logout,
a password reset and disabling the user. Here the cookie carries only a random token; the
session row it names is what counts, and it ends on logout, on a password reset or when the
user is disabled (state/users.py), or when it expires.

Sign-in answers the same, after the same password-hash work, whether the name is unknown,
disabled, locked or only mistyped its password, so neither the message nor the time tells
an outsider which names are users. Every failed sign-in and every lockout is in the audit
chain under the name that was tried. The CLI's `--user NAME` login (cli/auth.py) is the same
check without the session (`check_password`), its entries marked `via: cli`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from functools import cache

from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete
from sqlalchemy.orm import Session

from tieout.state.models import AuditEvent, WebSession
from tieout.state.store import StateStore, now
from tieout.state.users import HASHER, LOCK, User, credential

LIFETIME = dt.timedelta(hours=12)
KEPT = dt.timedelta(days=30)  # an ended session's row, for whoever asks who was logged in
REFUSED = "wrong name or password, or locked after too many failed attempts (wait 15 minutes)"
SYSTEM = "tieout"


@dataclass(frozen=True)
class SignIn:
    ok: bool
    token: str | None = None  # the new session's, when ok


def sign_in(store: StateStore, name: str, password: str, attempts: int) -> SignIn:
    """Check a password and open a session; after `attempts` failures in a row the user is
    locked for 15 minutes. The hash is checked first, for every name, known or not."""
    with store.session() as s:
        if not _password_ok(s, name, password, attempts, {}):
            return SignIn(False)
        token = open_session(s, name)
        _audit(s, name, "user.login", name, {})
        return SignIn(True, token)


def check_password(store: StateStore, name: str, password: str, attempts: int, via: str) -> bool:
    """The same check for a login that opens no web session (the CLI's `--user NAME`): the
    same lock, the same hash work for every name, failures and the login audited, each
    entry saying `via` what it came."""
    with store.session() as s:
        if not _password_ok(s, name, password, attempts, {"via": via}):
            return False
        _audit(s, name, "user.login", name, {"via": via})
        return True


def _password_ok(
    s: Session, name: str, password: str, attempts: int, how: dict[str, object]
) -> bool:
    """Whether `name` is an active, unlocked user and `password` is theirs, in the caller's
    transaction; a failure is audited (`how` added to its detail) and counts towards the
    lock. A good password resets the count and is rehashed when the parameters changed."""
    user = s.get(User, name)
    good = _verify(user.password_hash if user is not None else _decoy(), password)
    if user is None or not user.active:
        _audit(s, name, "user.login_failed", name, {"why": "unknown or disabled user", **how})
        return False
    if user.locked_until is not None and user.locked_until > now():
        _audit(s, name, "user.login_failed", name, {"why": "locked", **how})
        return False
    if not good:
        user.failed_logins += 1
        _audit(s, name, "user.login_failed", name, {"why": "wrong password", **how})
        if user.failed_logins >= attempts:
            user.locked_until, user.failed_logins = now() + LOCK, 0
            until = f"{user.locked_until:%Y-%m-%dT%H:%M:%S}"
            _audit(s, SYSTEM, "user.locked", name, {"until": until, "after": attempts, **how})
        return False
    user.failed_logins, user.locked_until = 0, None
    if HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = HASHER.hash(password)
        _audit(s, name, "user.rehash", name, {"credential": credential(user.password_hash)})
    return True


def open_session(s: Session, name: str, lifetime: dt.timedelta = LIFETIME) -> str:
    """A new session for `name` in the caller's transaction; returns its token (only the
    token's hash is kept). Sessions that ended over KEPT ago are cleared out on the way."""
    token = secrets.token_urlsafe(32)
    stamp = now()
    s.execute(delete(WebSession).where(WebSession.expires_at < stamp - KEPT))
    s.add(
        WebSession(
            token_hash=_digest(token), user_name=name, created_at=stamp, expires_at=stamp + lifetime
        )
    )
    return token


def session_user(store: StateStore, token: str) -> User | None:
    """The active user a session token stands for; None once it is revoked or expired."""
    with store.session() as s:
        row = s.get(WebSession, _digest(token))
        if row is None or row.revoked_at is not None or row.expires_at <= now():
            return None
        user = s.get(User, row.user_name)
        return user if user is not None and user.active else None


def end_session(store: StateStore, token: str) -> None:
    """Log out: the session's token is good for nothing from now on (audited)."""
    with store.session() as s:
        row = s.get(WebSession, _digest(token))
        if row is None or row.revoked_at is not None:
            return
        row.revoked_at, row.revoked_why = now(), "logout"
        _audit(s, row.user_name, "user.logout", row.user_name, {})


def _audit(s: Session, who: str, action: str, name: str, detail: dict[str, object]) -> None:
    """An entry naming the person who tried or acted, not the server's own user."""
    s.add(
        AuditEvent(
            at=now(),
            actor=who[:200],
            action=action,
            entity="user",
            entity_id=name[:200],
            detail=detail,
        )
    )


def _verify(hashed: str, password: str) -> bool:
    try:
        return bool(HASHER.verify(hashed, password))
    except (VerificationError, InvalidHashError):
        return False


@cache
def _decoy() -> str:
    """A hash no password matches, checked for unknown names so they take as long."""
    return HASHER.hash(secrets.token_urlsafe(32))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
