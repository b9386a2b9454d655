"""The canonical model: tables, columns and the stable ids every stage shares."""

from tieout.model.ids import stable_id
from tieout.model.tables import (
    LINEAGE_NAMES,
    SOURCE_TABLES,
    TABLE_MAP,
    TABLES,
    Column,
    Table,
    table,
)

__all__ = [
    "LINEAGE_NAMES",
    "SOURCE_TABLES",
    "TABLES",
    "TABLE_MAP",
    "Column",
    "Table",
    "stable_id",
    "table",
]
