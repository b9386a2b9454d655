"""Copy one state store into another, empty one: how a team moves from the SQLite file to
PostgreSQL. Every table is copied in dependency order with its ids, so the audit chain
(hashes, head, run anchors) arrives unchanged and `audit verify` on the target checks it
against the same signed checkpoints. All rows go in one transaction: a copy that fails
leaves the target migrated but empty, ready for another try."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Integer, Table, func, inspect, select, table, text

from tieout.errors import TieoutError, UsageError
from tieout.state.lengths import check
from tieout.state.models import Base
from tieout.state.store import StateStore

BATCH = 1000
_SEEDED = {"audit_head"}  # the migrations write its one row (seq 0) into an empty store


def copy_store(source: StateStore, target: StateStore) -> dict[str, int]:
    """Rows copied per table, in the order copied. Both stores are brought to the newest
    migration first; a target holding any data is refused."""
    if _where(source) == _where(target):
        raise UsageError("the target is the project's own state store")
    with target.connect() as conn:
        _refuse_data(conn)
    source.upgrade()
    target.upgrade()
    with _snapshot(source) as src, target.connect() as dst, dst.begin():
        tables = _tables(src)
        for t in reversed(tables):
            dst.execute(t.delete())
        counts = {t.name: _copy(src, dst, t) for t in tables}
        if dst.dialect.name == "postgresql":
            _advance_sequences(dst, tables)
    return counts


@contextmanager
def _snapshot(store: StateStore) -> Iterator[Connection]:
    """One consistent view of the source: on SQLite its write lock (writers wait; the chain
    head cannot move between copying the log and the head), on PostgreSQL one
    REPEATABLE READ transaction."""
    with store.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            yield conn


def _where(store: StateStore) -> str:
    return store.engine.url.render_as_string(hide_password=True)


def _refuse_data(conn: Connection) -> None:
    for name in sorted(set(inspect(conn).get_table_names()) - {"alembic_version"}):
        rows = select(func.count()).select_from(table(name))
        if name in _SEEDED:
            rows = rows.where(text("seq <> 0"))
        found = conn.scalar(rows) or 0
        if found:
            rows_of = f"{found:,} row{'s' if found != 1 else ''} in {name}"
            raise UsageError(
                f"the target already holds data ({rows_of}); state copy only fills an empty store"
            )


def _tables(src: Connection) -> list[Table]:
    """The models' tables in dependency order; they must be exactly the source's tables, so
    nothing is left behind unnoticed."""
    known = {t.name for t in Base.metadata.sorted_tables}
    present = set(inspect(src).get_table_names()) - {"alembic_version"}
    if present != known:
        odd = sorted(present ^ known)
        raise TieoutError(f"the source's tables differ from this version's models: {odd}")
    return list(Base.metadata.sorted_tables)


def _copy(src: Connection, dst: Connection, t: Table) -> int:
    """Stream the rows in primary-key order, checking each against the target's column
    lengths (SQLite never enforced them)."""
    copied = 0
    result = src.execution_options(stream_results=True).execute(
        select(t).order_by(*t.primary_key.columns)
    )
    for batch in result.mappings().partitions(BATCH):
        rows = [dict(row) for row in batch]
        for row in rows:
            try:
                check(t, row)
            except UsageError as exc:
                key = ", ".join(str(row[c.name]) for c in t.primary_key.columns)
                raise UsageError(f"{t.name} row {key}: {exc}; nothing was copied") from None
        dst.execute(t.insert(), rows)
        copied += len(rows)
    return copied


def _advance_sequences(dst: Connection, tables: list[Table]) -> None:
    """Rows arrived with their ids, so each serial's sequence still says 1: move it past the
    largest id, or the next insert collides."""
    for t in tables:
        keys = list(t.primary_key.columns)
        if len(keys) != 1 or not isinstance(keys[0].type, Integer):
            continue
        serial = dst.scalar(
            text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": t.name, "c": keys[0].name}
        )
        if serial is None:
            continue
        largest = dst.scalar(select(func.max(keys[0])))
        dst.execute(
            text("SELECT setval(:s, :v, :called)"),
            {"s": serial, "v": largest or 1, "called": largest is not None},
        )
