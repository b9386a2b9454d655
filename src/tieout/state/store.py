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
from sqlalchemy import create_engine, select
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from tieout.state.models import AuditEvent, Run


def resolve_url(url: str, root: Path) -> str:
    """Relative SQLite paths are relative to the project directory, not the shell's."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        path = Path(parsed.database)
        if not path.is_absolute():
            path = root / path
        path.parent.mkdir(parents=True, exist_ok=True)
        return str(parsed.set(database=str(path)))
    return url


class StateStore:
    def __init__(self, url: str, root: Path) -> None:
        self.url = resolve_url(url, root)
        self.engine: Engine = create_engine(self.url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def upgrade(self) -> None:
        """Bring the schema to the newest migration (idempotent)."""
        cfg = Config()
        cfg.set_main_option("script_location", str(resources.files("tieout.state") / "migrations"))
        with self.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

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
                _audit(s, "run.interrupted", "run", dead.id, {})
            s.add(Run(id=run_id, as_of=as_of, started_at=now(), status="running"))
            _audit(s, "run.start", "run", run_id, {"as_of": as_of.isoformat()})

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
            _audit(s, f"run.{status}", "run", run_id, {"error": error} if error else {})

    def audit(self, action: str, entity: str, entity_id: str, detail: dict[str, object]) -> None:
        """Append one event to the audit log."""
        with self.session() as s:
            _audit(s, action, entity, entity_id, detail)

    def runs(self, limit: int = 50) -> list[Run]:
        with self.session() as s:
            return list(s.scalars(select(Run).order_by(Run.started_at.desc()).limit(limit)))

    def close(self) -> None:
        self.engine.dispose()


def _audit(s: Session, action: str, entity: str, entity_id: str, detail: dict[str, object]) -> None:
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
