"""Local users and API tokens. Passwords are Argon2 hashes; tokens are shown once and kept
as SHA-256 hashes, scoped to actions and revocable; repeated failed logins lock a user for
a while. Every change is audited."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from sqlalchemy import JSON, Boolean, DateTime, Integer, String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from tieout.config.access import ACTIONS, ROLES
from tieout.errors import UsageError
from tieout.state.models import Base, WebSession
from tieout.state.store import StateStore, now, record

HASHER = PasswordHasher()
LOCK = dt.timedelta(minutes=15)
MIN_PASSWORD = 12


class User(Base):
    __tablename__ = "app_user"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    role: Mapped[str] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(200), nullable=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class ApiToken(Base):
    __tablename__ = "api_token"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    user_name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


@dataclass(frozen=True)
class Login:
    ok: bool
    why: str


def add_user(store: StateStore, name: str, role: str, password: str, email: str | None) -> None:
    _check(role, password)
    with store.session() as s:
        if s.get(User, name) is not None:
            raise UsageError(f"user {name!r} exists (tieout users reset-password to change it)")
        user = User(
            name=name,
            role=role,
            email=email,
            password_hash=HASHER.hash(password),
            active=True,
            created_at=now(),
            failed_logins=0,
        )
        s.add(user)
        detail: dict[str, object] = {"role": role, "credential": credential(user.password_hash)}
        record(s, "user.add", "user", name, detail)


def set_active(store: StateStore, name: str, active: bool) -> None:
    with store.session() as s:
        user = _user(s.get(User, name), name)
        before, user.active = user.active, active
        if not active:
            _end_sessions(s, name, "user disabled")
        record(
            s,
            "user.enable" if active else "user.disable",
            "user",
            name,
            {"before": {"active": before}, "after": {"active": active}},
        )


def reset_password(store: StateStore, name: str, password: str) -> None:
    _check(None, password)
    with store.session() as s:
        user = _user(s.get(User, name), name)
        user.password_hash = HASHER.hash(password)
        user.failed_logins, user.locked_until = 0, None
        _end_sessions(s, name, "password reset")
        detail: dict[str, object] = {"credential": credential(user.password_hash)}
        record(s, "user.reset_password", "user", name, detail)


def login(store: StateStore, name: str, password: str, attempts: int, via: str = "cli") -> Login:
    """Check a password as the web's sign-in does, without opening a session
    (state/sessions.check_password: the same lock, the same answer and hash work for every
    name, failures audited); `why` is the one refusal message."""
    from tieout.state.sessions import REFUSED, check_password  # sessions builds on this module

    ok = check_password(store, name, password, attempts, via)
    return Login(ok, "" if ok else REFUSED)


def issue_token(store: StateStore, name: str, scopes: list[str]) -> str:
    """A new token for a script; the secret is returned once and only its hash is kept."""
    unknown = set(scopes) - set(ACTIONS)
    if unknown:
        raise UsageError(f"unknown scope(s) {', '.join(sorted(unknown))}: {', '.join(ACTIONS)}")
    secret = "tieout_" + secrets.token_urlsafe(32)
    token_id = secrets.token_hex(4)
    with store.session() as s:
        _user(s.get(User, name), name)
        s.add(
            ApiToken(
                id=token_id,
                user_name=name,
                token_hash=_digest(secret),
                scopes=scopes,
                created_at=now(),
            )
        )
        record(s, "token.issue", "token", token_id, {"user": name, "scopes": scopes})
    return f"{token_id}.{secret}"


def revoke_token(store: StateStore, token_id: str) -> None:
    with store.session() as s:
        token = s.get(ApiToken, token_id)
        if token is None:
            raise UsageError(f"no token {token_id!r}")
        token.revoked_at = now()
        record(s, "token.revoke", "token", token_id, {})


def token_user(store: StateStore, presented: str) -> tuple[User, list[str]] | None:
    """The active user and scopes a presented token stands for, else None."""
    token_id, _, secret = presented.partition(".")
    with store.session() as s:
        token = s.get(ApiToken, token_id)
        if token is None or token.revoked_at is not None:
            return None
        if not secrets.compare_digest(token.token_hash, _digest(secret)):
            return None
        user = s.get(User, token.user_name)
        return (user, list(token.scopes)) if user is not None and user.active else None


def users(store: StateStore) -> list[User]:
    with store.session() as s:
        return list(s.scalars(select(User).order_by(User.name)))


def credential(password_hash: str) -> str:
    """What the audit log keeps of a password hash: enough to see the hash replaced
    outside tieout (state/replay.py), nothing to crack."""
    return hashlib.sha256(password_hash.encode("utf-8")).hexdigest()[:16]


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _end_sessions(s: Session, name: str, why: str) -> None:
    """End every web session of the user in the same transaction as the change that ends
    them (state/sessions.py keeps them), so a reset or a disable locks a browser out at once."""
    s.execute(
        update(WebSession)
        .where(WebSession.user_name == name, WebSession.revoked_at.is_(None))
        .values(revoked_at=now(), revoked_why=why)
    )


def _user(user: User | None, name: str) -> User:
    if user is None:
        raise UsageError(f"no user {name!r} (tieout users list)")
    return user


def _check(role: str | None, password: str) -> None:
    if role is not None and role not in ROLES:
        raise UsageError(f"unknown role {role!r}; roles are {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise UsageError(f"a password needs at least {MIN_PASSWORD} characters")
