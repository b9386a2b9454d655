"""The only package that imports duckdb: connections, SQL rendering, snapshot switching."""

from tieout.engine.snapshots import Snapshot, SnapshotStore
from tieout.engine.warehouse import DIALECT, Warehouse, ddl_type, render

__all__ = ["DIALECT", "Snapshot", "SnapshotStore", "Warehouse", "ddl_type", "render"]
