"""The canonical commercial model: every table, column, type, key and enumeration, declared once.

Ingest maps each source onto these tables; later stages read only these names. The
warehouse DDL, the preset validation and the docs are all generated from them.
"""

from __future__ import annotations

from typing import Final

from tieout.model.commercial import COMMERCIAL_TABLES
from tieout.model.facts import FACTS_TABLES
from tieout.model.operating import OPERATING_TABLES
from tieout.model.operations import OPERATIONS_TABLES
from tieout.model.schema import LINEAGE_NAMES, Column, Table

__all__ = ["LINEAGE_NAMES", "SOURCE_TABLES", "TABLES", "TABLE_MAP", "Column", "Table", "table"]

TABLES: Final[tuple[Table, ...]] = (
    *COMMERCIAL_TABLES,
    *OPERATIONS_TABLES,
    *FACTS_TABLES,
    *OPERATING_TABLES,
)
TABLE_MAP: Final[dict[str, Table]] = {t.name: t for t in TABLES}
SOURCE_TABLES: Final = tuple(t for t in TABLES if not t.derived)


def table(name: str) -> Table:
    return TABLE_MAP[name]
