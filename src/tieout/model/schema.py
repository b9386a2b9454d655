"""The building blocks of the canonical model: logical types, columns, tables, lineage,
and the enumerations the tables use."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

# Logical types. The engine turns them into the warehouse dialect's DDL.
TEXT: Final = "text"
DATE: Final = "date"
TIMESTAMP: Final = "timestamp"
MONEY: Final = "money"  # DECIMAL(18,2), always paired with a currency column
PRICE: Final = "price"  # DECIMAL(18,4): unit prices and rates, which sources keep to 4 places
QUANTITY: Final = "quantity"  # DECIMAL(18,4)
PERCENT: Final = "percent"  # DECIMAL(9,4), 12.5 means 12.5 %
HOURS: Final = "hours"  # DECIMAL(12,2)
INTEGER: Final = "integer"
BOOLEAN: Final = "boolean"
RATE: Final = "rate"  # DECIMAL(18,8), fx rates
CURRENCY: Final = "currency"  # ISO 4217 code
REFS: Final = "refs"  # a list of {system, object, native_id}: the source records a fact stands for

LOGICAL_TYPES: Final = frozenset(
    {
        TEXT,
        DATE,
        TIMESTAMP,
        MONEY,
        PRICE,
        QUANTITY,
        PERCENT,
        HOURS,
        INTEGER,
        BOOLEAN,
        RATE,
        CURRENCY,
        REFS,
    }
)


@dataclass(frozen=True)
class Column:
    name: str
    type: str = TEXT
    required: bool = False
    enum: tuple[str, ...] = ()
    references: str | None = None  # "table" whose native_id (same source system) this names
    doc: str = ""


@dataclass(frozen=True)
class Table:
    name: str
    area: str
    columns: tuple[Column, ...]
    doc: str = ""
    derived: bool = False  # built by a later stage, not loaded from sources: no lineage
    column_map: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "column_map", {c.name: c for c in self.all_columns})

    @property
    def all_columns(self) -> tuple[Column, ...]:
        if self.derived:
            return self.columns
        return (ID, *self.columns, *LINEAGE)

    @property
    def business_columns(self) -> tuple[Column, ...]:
        return self.columns

    def column(self, name: str) -> Column:
        return self.column_map[name]


ID: Final = Column("id", TEXT, required=True, doc="stable id from source identity")
LINEAGE: Final = (
    Column("source_system", TEXT, required=True),
    Column("source_object", TEXT, required=True),
    Column("native_id", TEXT, required=True),
    Column("load_id", TEXT, required=True, doc="content hash of the file the row came from"),
    Column("source_file", TEXT, required=True),
    Column("source_row", INTEGER, required=True, doc="spreadsheet row: header is row 1"),
)
LINEAGE_NAMES: Final = tuple(c.name for c in LINEAGE)

FUNCTIONS: Final = ("sales", "marketing", "service", "ps", "ops", "finance", "leadership")
TICKET_CATEGORIES: Final = ("incident", "request", "complaint", "change")
TICKET_STATUSES: Final = ("new", "open", "pending", "on_hold", "resolved", "closed", "canceled")
WORK_ORDER_STATUSES: Final = (
    "new",
    "scheduled",
    "in_progress",
    "on_hold",
    "completed",
    "closed",
    "canceled",
)
MILESTONE_STATUSES: Final = ("planned", "in_progress", "blocked", "completed", "canceled")
INVOICE_STATUSES: Final = ("draft", "submitted", "authorised", "paid", "voided", "deleted")
DOC_TYPES: Final = ("invoice", "credit_note")


def C(  # noqa: N802 - a one-letter constructor keeps the table declarations readable
    name: str,
    type_: str = TEXT,
    *,
    required: bool = False,
    enum: tuple[str, ...] = (),
    references: str | None = None,
    doc: str = "",
) -> Column:
    return Column(name, type_, required, enum, references, doc)


def money(name: str, *, required: bool = False, doc: str = "") -> Column:
    return Column(name, MONEY, required=required, doc=doc)
