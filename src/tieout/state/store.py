"""The state store: SQLAlchemy over SQLite by default, PostgreSQL by URL, migrated by Alembic."""

from __future__ import annotations

import datetime as dt
import getpass
import os
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, create_engine, event, select, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from tieout.errors import ConfigError
from tieout.state.anchor import Anchor
from tieout.state.audit import Chain
from tieout.state.files import WORK_DIR, private_dir, tighten_sqlite
from tieout.state.lengths import install as check_lengths
from tieout.state.models import AuditEvent, Run

ANCHORED_SINCE = "0013"  # the migration that made the chain head and run anchors
_MIGRATION_LOCK = 0x7469656F75  # "tieou": one advisory lock id for schema migrations


def resolve_url(url: str, root: Path) -> str:
    """Relative SQLite paths are relative to the project directory, not the shell's."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        path = Path(parsed.database)
        if not path.is_absolute():
            path = root / path
        private_dir(path.parent)
        tighten_sqlite(path)
        return str(parsed.set(database=str(path)))
    return url


class StateStore:
    def __init__(self, url: str, root: Path) -> None:
        if (root / WORK_DIR).is_dir():
            private_dir(root / WORK_DIR)  # whoever made it: 0700
        self.url = resolve_url(url, root)
        self.engine: Engine = _engine(self.url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        check_lengths(self._sessions)
        self.anchor = Anchor(root)
        self.chain = Chain(self._sessions, self.anchor)

    def upgrade(self) -> None:
        """Bring the schema to the newest migration (idempotent; processes starting together
        take turns: SQLite's IMMEDIATE transaction, PostgreSQL's advisory lock). A store
        that had entries before the chain was anchored gets its first checkpoint here."""
        cfg = Config()
        cfg.set_main_option("script_location", str(resources.files("tieout.state") / "migrations"))
        with self.connect() as conn, conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
            before = MigrationContext.configure(conn).get_current_revision()
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        if before is not None and before < ANCHORED_SINCE:
            with self.session() as s:
                head = self.chain.head(s)
            if head.seq:
                self.anchor.checkpoint(head)

    def connect(self) -> Connection:
        """A connection, or a ConfigError saying which store could not be reached and why
        (a wrong password, a server that is down) without showing the password."""
        try:
            return self.engine.connect()
        except OperationalError as exc:
            where = make_url(self.url).render_as_string(hide_password=True)
            why = str(exc.orig or exc).strip().splitlines()[0]
            raise ConfigError(
                f"cannot reach the state store {where}: {why}", key="state.url"
            ) from None

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    def start_run(self, run_id: str, as_of: dt.date) -> None:
        """Record a run; runs still marked running died without finishing (the caller holds
        the project's run lock, so none of them is alive)."""
        with self.session() as s:
            for dead in s.scalars(select(Run).where(Run.status == "running")):
                dead.status, dead.error = "interrupted", "the process ended before finishing"
                record(s, "run.interrupted", "run", dead.id, {})
            s.add(Run(id=run_id, as_of=as_of, started_at=now(), status="running"))
            record(s, "run.start", "run", run_id, {"as_of": as_of.isoformat()})
            self.chain.record_run(s, run_id)

    def finish_run(
        self,
        run_id: str,
        *,
        status: str,
        rows: tuple[int, int, int] = (0, 0, 0),
        table_rows: dict[str, int] | None = None,
        stage_seconds: dict[str, float] | None = None,
        error: str | None = None,
        files: list[dict[str, Any]] | None = None,
    ) -> None:
        with self.session() as s:
            run = s.get(Run, run_id)
            assert run is not None
            run.finished_at = now()
            run.seconds = (run.finished_at - run.started_at).total_seconds()
            run.status = status
            run.rows_read, run.rows_accepted, run.rows_quarantined = rows
            run.table_rows = table_rows or {}
            run.stage_seconds = stage_seconds or {}
            run.error = error
            run.files = files or []
            record(s, f"run.{status}", "run", run_id, {"error": error} if error else {})
            self.chain.record_run(s, run_id)

    def audit(self, action: str, entity: str, entity_id: str, detail: dict[str, object]) -> None:
        """Append one event to the audit log."""
        with self.session() as s:
            record(s, action, entity, entity_id, detail)

    def runs(self, limit: int = 50) -> list[Run]:
        with self.session() as s:
            return list(s.scalars(select(Run).order_by(Run.started_at.desc()).limit(limit)))

    def close(self) -> None:
        self.engine.dispose()


def _engine(url: str) -> Engine:
    """SQLite: every transaction begins IMMEDIATE, taking the one write lock up front, so
    two processes never both read the audit chain's head and then race to append (a
    deferred transaction that later writes fails with "database is locked" instead of
    waiting); WAL keeps readers off the writers' path, and a writer waits up to 30 s."""
    if make_url(url).get_backend_name() != "sqlite":
        return create_engine(url)
    engine = create_engine(url, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _connect(dbapi: Any, _record: object) -> None:
        dbapi.isolation_level = None  # the driver begins nothing; "begin" below does
        if make_url(url).database not in (None, "", ":memory:"):
            dbapi.execute("PRAGMA journal_mode=WAL")

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def record(s: Session, action: str, entity: str, entity_id: str, detail: dict[str, object]) -> None:
    """Append an entry in the caller's transaction, so the change and its entry commit or
    fail together (the acting person as `actor()` says)."""
    s.add(
        AuditEvent(
            at=now(),
            actor=actor(),
            action=action,
            entity=entity,
            entity_id=entity_id,
            detail=detail,
        )
    )


def actor() -> str:
    """Who is acting: $TIEOUT_USER (set by a shared account or a service), else the login."""
    if name := os.environ.get("TIEOUT_USER", "").strip():
        return name
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
