"""Source-system export tables, column for column as each system writes its CSV.

Each function returns the rows of one export as an Arrow table of strings, in the order
the system exports them, with the header it uses. Nothing here decides business facts;
it only spells the generated books the way Salesforce, Xero, Harvest, ServiceNow and
Zendesk spell them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pyarrow as pa

from tieout.demo.company import Company
from tieout.demo.fmt import (
    BoolArray,
    IntArray,
    blank_where,
    datetimes,
    datetimes_or_blank,
    i64,
    money,
    pick,
    quarters,
    strings,
)

HARVEST_CURRENCY: Final = ("British Pound - GBP", "Euro - EUR", "US Dollar - USD")
TAX_TYPES: Final = ("20% (VAT on Income)", "Zero Rated Income", "No VAT")
XERO_DEFECTS: Final = (
    "impossible date:InvoiceDate",
    "bad amount:LineAmount",
    "unknown currency:Currency",
    "blank required field:ContactName",
    "ragged row",
)
HARVEST_DEFECTS: Final = (
    "impossible date:Date",
    "bad amount:Billable Amount",
    "unknown currency:Currency",
    "blank required field:Client",
    "ragged row",
)
CP1252_YEAR: Final = 2025  # this year's finance export was re-saved by Excel on Windows
XERO_STARRED: Final = frozenset(
    {"ContactName", "InvoiceNumber", "InvoiceDate", "DueDate", "Quantity", "UnitAmount",
     "AccountCode", "TaxType"}
)  # fmt: skip


@dataclass
class Export:
    """One file: its rows, how it is encoded, and where malformed rows may be planted."""

    path: str  # relative to the output directory
    table: pa.Table
    defects: tuple[str, ...] = ()  # kinds of malformed rows this file gets (see mess.py)
    protected: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=np.bool_))
    encoding: str = "utf-8"
    bom: bool = False
    crlf: bool = False
    thousands: bool = False


@dataclass
class Guard:
    """Rows the truth names or counts on, per table in generation order: mess leaves them
    alone, so a quarantined row never hides or changes an exception the truth expects."""

    case: BoolArray
    lead: BoolArray
    member: BoolArray
    incident: BoolArray
    ticket: BoolArray


def arrow_table(columns: dict[str, pa.Array], order: IntArray | None = None) -> pa.Table:
    t = pa.table(columns)
    return t if order is None else t.take(pa.array(order))


def bool_text(mask: BoolArray) -> pa.Array:
    return pick(("false", "true"), i64(mask))


def sf_datetimes(seconds: IntArray) -> pa.Array:
    return datetimes(seconds, sep="T", suffix=".000Z")


def sf_datetimes_or_blank(seconds: IntArray) -> pa.Array:
    return datetimes_or_blank(seconds, sep="T", suffix=".000Z")


def clock(day: IntArray, salt: IntArray) -> IntArray:
    """A plausible working-hours time on `day`, fixed by `salt` (no randomness needed)."""
    return i64(day) * 86400 + 8 * 3600 + (i64(salt) * 7919) % (10 * 3600)


def take_ids(ids: pa.Array, idx: IntArray) -> pa.Array:
    """ids[idx], blank where idx < 0."""
    i = i64(idx)
    return blank_where(ids.take(pa.array(np.maximum(i, 0))), i < 0)


def year_of(days: IntArray) -> IntArray:
    return i64(
        np.asarray(days, dtype="datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    )


def by_time(created: IntArray) -> IntArray:
    return i64(np.argsort(i64(created), kind="stable"))


def spelling(company: Company, system: str) -> pa.Array:
    return strings([c.spell[system] for c in company.customers])


def person_names(company: Company) -> pa.Array:
    return strings([f"{p.first} {p.last}" for p in company.people])


def line_columns(
    q4: IntArray, unit: IntArray, lst: IntArray, disc: IntArray, total: IntArray
) -> dict[str, pa.Array]:
    return {
        "Quantity": quarters(q4),
        "UnitPrice": money(unit * 100),
        "ListPrice": money(lst * 100),
        "Discount": money(disc),
        "TotalPrice": money(total),
    }
