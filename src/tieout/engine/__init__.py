"""The only package that imports duckdb: connections, SQL rendering, snapshot switching."""

from tieout.engine.dialect.literals import bind
from tieout.engine.snapshots import Snapshot, SnapshotStore
from tieout.engine.warehouse import DIALECT, Params, Warehouse, ddl_type, render

__all__ = [
    "DIALECT",
    "Params",
    "Snapshot",
    "SnapshotStore",
    "Warehouse",
    "bind",
    "ddl_type",
    "render",
]
