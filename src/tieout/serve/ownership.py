"""Which customer a source record belongs to, so a rep kept to their own accounts sees a
record page only for their own customers' records. A record that names no customer (a
product, a person, a campaign) belongs to nobody's accounts and is not shown to such a rep:
the check fails closed."""

from __future__ import annotations

from typing import Any

from tieout.engine import Warehouse

# a line or event names its document, and the document names the customer
PARENTS = {
    "quote_line": ("quote", "quote_native_id"),
    "opportunity_line": ("opportunity", "opportunity_native_id"),
    "work_order_line": ("work_order", "work_order_native_id"),
    "work_order_change": ("work_order", "work_order_native_id"),
    "invoice_line": ("invoice", "invoice_native_id"),
    "payment": ("invoice", "invoice_native_id"),
    "ticket_event": ("ticket", "ticket_native_id"),
}
# how a record names its customer: the CRM account's id, or (systems without one) a name
CUSTOMER_COLUMNS = ("account_native_id", "converted_account_native_id", "customer_name")


def record_customer(wh: Warehouse, table: str, row: dict[str, Any]) -> str | None:
    """The golden customer key of a canonical record, if it has one."""
    if table in PARENTS:
        parent, column = PARENTS[table]
        found = wh.query_dicts(
            f'SELECT * FROM "{parent}" WHERE source_system = :system AND native_id = :native '
            "LIMIT 1",
            {"system": row.get("source_system"), "native": row.get(column)},
        )
        if not found:
            return None
        table, row = parent, found[0]
    if table == "account":
        native = row.get("native_id")
    else:
        native = next((row[c] for c in CUSTOMER_COLUMNS if row.get(c)), None)
    if native is None:
        return None
    keys = wh.query(
        "SELECT golden_key FROM customer_key WHERE source_system = :system AND native_id = :native",
        {"system": row.get("source_system"), "native": native},
    )
    return str(keys[0][0]) if keys else None
