"""Text lengths checked before the database sees them, in one place for every store session.

PostgreSQL refuses a value longer than its varchar column with a driver error (the web app
answered 500 to a 240-character assignee); SQLite stores it silently, and a later copy to
PostgreSQL fails on it. The limits are the models' own column lengths, so the check and the
schema cannot disagree; a value over its limit is a UsageError naming the field and limit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

from sqlalchemy import String, Table, event, inspect
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

from tieout.errors import UsageError


@cache
def limits(table: Table) -> dict[str, int]:
    """Column name -> the most characters it holds, for every length-limited text column."""
    return {
        c.name: c.type.length
        for c in table.columns
        if isinstance(c.type, String) and c.type.length is not None
    }


def check(table: Table, values: Mapping[str, Any]) -> None:
    """Refuse the first value in `values` (column name -> value) longer than its column."""
    for name, limit in limits(table).items():
        value = values.get(name)
        if isinstance(value, str) and len(value) > limit:
            raise UsageError(
                f"{name} is {len(value):,} characters long; {table.name}.{name} holds at most "
                f"{limit:,}"
            )


def install(sessions: sessionmaker[Session]) -> None:
    """Check objects as they flush and parameter lists of ORM bulk INSERT/UPDATE statements
    (those skip the flush)."""
    event.listen(sessions, "before_flush", _before_flush)
    event.listen(sessions, "do_orm_execute", _before_bulk)


def _before_flush(s: Session, *_: object) -> None:
    for obj in (*s.new, *s.dirty):
        state = inspect(obj)
        table = state.mapper.local_table
        if isinstance(table, Table):
            names = {a.key: a.columns[0].name for a in state.mapper.column_attrs}
            check(table, {names[k]: v for k, v in state.dict.items() if k in names})


def _before_bulk(execute: ORMExecuteState) -> None:
    if not (execute.is_insert or execute.is_update):
        return
    table = getattr(execute.statement, "table", None)
    params = execute.parameters
    if not isinstance(table, Table) or not params:
        return
    rows: Iterable[Mapping[str, Any]] = [params] if isinstance(params, Mapping) else params
    for row in rows:
        check(table, row)
