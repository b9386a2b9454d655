"""The canonical commercial model: every table, column, type, key and enumeration, declared once.

Ingest maps each source onto these tables; later stages read only these names. The
warehouse DDL, the preset validation and the docs are all generated from this module.
"""

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
TICKET_CATEGORIES: Final = ("incident", "request", "complaint", "change", "problem", "question")
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


TABLES: Final[tuple[Table, ...]] = (
    # parties
    Table(
        "account",
        "parties",
        (
            C("name", required=True),
            C("account_number"),
            C("type"),
            C("tier", doc="lower-case, e.g. strategic"),
            C("parent_native_id", references="account"),
            C("website"),
            C("email"),
            C("phone"),
            C("street"),
            C("city"),
            C("postcode"),
            C("region"),
            C("country"),
            C("industry"),
            C("tax_number"),
            C("owner_native_id", references="person"),
            C("created_at", TIMESTAMP),
        ),
        doc="a customer as one system knows it; golden keys come from xref",
    ),
    Table(
        "person",
        "parties",
        (
            C("name", required=True),
            C("first_name"),
            C("last_name"),
            C("email"),
            C("function", enum=FUNCTIONS),
            C("title"),
            C("department"),
            C("team"),
            C("manager_native_id", references="person"),
            C("is_active", BOOLEAN),
        ),
        doc="an employee",
    ),
    # catalogue
    Table(
        "product",
        "catalogue",
        (
            C("code"),
            C("name", required=True),
            C("family"),
            C("description"),
            C("list_price", PRICE),
            C("standard_cost", PRICE),
            C("cost_rate", PRICE),
            C("currency", CURRENCY),
            C("is_active", BOOLEAN),
        ),
    ),
    # sales
    Table(
        "opportunity",
        "sales",
        (
            C("name", required=True),
            C("account_native_id", references="account"),
            C("stage"),
            money("amount"),
            C("currency", CURRENCY),
            C("close_date", DATE),
            C("probability", PERCENT),
            C("is_closed", BOOLEAN),
            C("is_won", BOOLEAN),
            C("type"),
            C("lead_source"),
            C("owner_native_id", references="person"),
            C("campaign_native_id", references="campaign"),
            C("created_at", TIMESTAMP),
        ),
    ),
    Table(
        "opportunity_line",
        "sales",
        (
            C("opportunity_native_id", required=True, references="opportunity"),
            C("product_native_id", references="product"),
            C("product_code"),
            C("description"),
            C("quantity", QUANTITY),
            C("unit_price", PRICE),
            C("list_price", PRICE),
            C("discount_pct", PERCENT),
            money("total_price"),
            C("currency", CURRENCY),
        ),
    ),
    Table(
        "quote",
        "sales",
        (
            C("quote_number", required=True),
            C("name"),
            C("opportunity_native_id", references="opportunity"),
            C("account_native_id", references="account"),
            C("status"),
            C("quote_date", DATE),
            C("expiration_date", DATE),
            money("subtotal"),
            C("discount_pct", PERCENT),
            money("total_price"),
            money("grand_total"),
            C("currency", CURRENCY),
            C("owner_native_id", references="person"),
        ),
    ),
    Table(
        "quote_line",
        "sales",
        (
            C("quote_native_id", required=True, references="quote"),
            C("line_number", INTEGER),
            C("product_native_id", references="product"),
            C("product_code"),
            C("description"),
            C("quantity", QUANTITY),
            C("unit_price", PRICE),
            C("list_price", PRICE),
            C("discount_pct", PERCENT),
            money("subtotal"),
            money("total_price"),
            C("currency", CURRENCY),
        ),
    ),
    Table(
        "contract",
        "sales",
        (
            C("contract_number"),
            C("account_native_id", references="account"),
            C("status"),
            C("start_date", DATE),
            C("end_date", DATE),
            C("term_months", INTEGER),
            C("renewal_date", DATE),
            money("value"),
            C("currency", CURRENCY),
            C("owner_native_id", references="person"),
        ),
    ),
    # marketing
    Table(
        "campaign",
        "marketing",
        (
            C("name", required=True),
            C("type"),
            C("status"),
            C("start_date", DATE),
            C("end_date", DATE),
            money("budget"),
            money("spend"),
            C("currency", CURRENCY),
            C("parent_native_id", references="campaign"),
            C("owner_native_id", references="person"),
        ),
    ),
    Table(
        "campaign_member",
        "marketing",
        (
            C("campaign_native_id", required=True, references="campaign"),
            C("lead_native_id", references="lead"),
            C("contact_native_id"),
            C("status"),
            C("responded", BOOLEAN),
            C("created_at", TIMESTAMP),
        ),
    ),
    Table(
        "lead",
        "marketing",
        (
            C("first_name"),
            C("last_name"),
            C("company"),
            C("email"),
            C("website"),
            C("city"),
            C("postcode"),
            C("country"),
            C("status"),
            C("lead_source"),
            C("created_at", TIMESTAMP),
            C("mql_at", TIMESTAMP),
            C("sal_at", TIMESTAMP),
            C("sql_at", TIMESTAMP),
            C("is_converted", BOOLEAN),
            C("converted_at", DATE),
            C("converted_account_native_id", references="account"),
            C("converted_opportunity_native_id", references="opportunity"),
            C("owner_native_id", references="person"),
        ),
    ),
    # delivery
    Table(
        "work_order",
        "delivery",
        (
            C("work_order_number", required=True),
            C("account_native_id", references="account"),
            C("customer_name", doc="for sources that name the customer instead of linking it"),
            C("quote_native_id", references="quote"),
            C("case_native_id"),
            C("subject"),
            C("description"),
            C("status", enum=WORK_ORDER_STATUSES),
            C("priority"),
            C("created_at", TIMESTAMP),
            C("start_date", TIMESTAMP),
            C("end_date", TIMESTAMP),
            C("completed_at", TIMESTAMP),
            C("planned_hours", HOURS),
            money("planned_value"),
            C("currency", CURRENCY),
            C("owner_native_id", references="person"),
        ),
    ),
    Table(
        "work_order_line",
        "delivery",
        (
            C("work_order_native_id", required=True, references="work_order"),
            C("line_number"),
            C("product_native_id", references="product"),
            C("description"),
            C("status"),
            C("quantity", QUANTITY),
            C("unit_price", PRICE),
            C("list_price", PRICE),
            C("discount_pct", PERCENT),
            money("total_price"),
            C("currency", CURRENCY),
        ),
    ),
    Table(
        "work_order_change",
        "delivery",
        (
            C("work_order_native_id", required=True, references="work_order"),
            C("changed_at", TIMESTAMP),
            C("description"),
            C("hours_delta", HOURS),
            money("value_delta"),
            C("priced", BOOLEAN),
            C("currency", CURRENCY),
        ),
        doc="a scope amendment; priced=false means scope grew with no price change",
    ),
    Table(
        "time_entry",
        "delivery",
        (
            C("entry_date", DATE, required=True),
            C("person_name"),
            C("person_native_id", references="person"),
            C("customer_name"),
            C("project_name"),
            C("project_code"),
            C("task"),
            C("notes"),
            C("hours", HOURS, required=True),
            C("billable", BOOLEAN),
            C("invoiced", BOOLEAN),
            C("bill_rate", PRICE),
            money("bill_amount"),
            C("cost_rate", PRICE),
            money("cost_amount"),
            C("currency", CURRENCY),
        ),
    ),
    Table(
        "time_off",
        "delivery",
        (
            C("person_native_id", references="person"),
            C("person_name"),
            C("start_date", DATE, required=True),
            C("end_date", DATE),
            C("hours", HOURS),
            C("kind"),
        ),
    ),
    Table(
        "onboarding_milestone",
        "delivery",
        (
            C("account_native_id", references="account"),
            C("customer_name"),
            C("name", required=True),
            C("due_date", DATE),
            C("completed_at", TIMESTAMP),
            C("status"),
            C("owner_native_id", references="person"),
        ),
    ),
    # service
    Table(
        "ticket",
        "service",
        (
            C("ticket_number", required=True),
            C("account_native_id", references="account"),
            C("customer_name"),
            C("requester_email"),
            C("subject"),
            C("category", enum=TICKET_CATEGORIES),
            C("topic", doc="the source's own category or tags: what the ticket is about"),
            C("priority", INTEGER, doc="1 critical .. 4 low"),
            C("priority_label"),
            C("status", enum=TICKET_STATUSES),
            C("opened_at", TIMESTAMP, required=True),
            C("resolved_at", TIMESTAMP),
            C("closed_at", TIMESTAMP),
            C("escalated", BOOLEAN),
            C("escalation"),
            C("reopen_count", INTEGER),
            C("assignment_group"),
            C("assignee"),
            C("channel"),
        ),
    ),
    Table(
        "ticket_event",
        "service",
        (
            C("ticket_native_id", required=True, references="ticket"),
            C("event_at", TIMESTAMP, required=True),
            C("status", enum=TICKET_STATUSES),
            C("kind"),
        ),
    ),
    Table(
        "sla_policy",
        "service",
        (
            C("name", required=True),
            C("priority", INTEGER),
            C("tier"),
            C("response_minutes", INTEGER),
            C("resolution_minutes", INTEGER),
            C("calendar_name"),
            C("pause_statuses"),
        ),
    ),
    Table(
        "business_calendar",
        "service",
        (
            C("name", required=True),
            C("timezone"),
            C("weekday", INTEGER),
            C("start_time"),
            C("end_time"),
            C("holiday_date", DATE),
        ),
    ),
    # finance
    Table(
        "invoice",
        "finance",
        (
            C("invoice_number", required=True),
            C("doc_type", enum=DOC_TYPES, required=True),
            C("customer_name"),
            C("customer_email"),
            C("account_native_id", references="account"),
            C("reference"),
            C("invoice_date", DATE, required=True),
            C("due_date", DATE),
            C("status", enum=INVOICE_STATUSES),
            C("currency", CURRENCY, required=True),
            money("total", doc="negative for credit notes"),
            money("tax_total"),
            money("amount_paid"),
            money("amount_due"),
        ),
    ),
    Table(
        "invoice_line",
        "finance",
        (
            C("invoice_native_id", required=True, references="invoice"),
            C("invoice_number"),
            C("doc_type", enum=DOC_TYPES),
            C("line_number", INTEGER),
            C("item_code"),
            C("description"),
            C("quantity", QUANTITY),
            C("unit_price", PRICE),
            C("discount_pct", PERCENT),
            money("line_amount", doc="net of discount, before tax; negative on credit notes"),
            C("account_code"),
            C("tax_type"),
            money("tax_amount"),
            C("currency", CURRENCY),
        ),
    ),
    Table(
        "payment",
        "finance",
        (
            C("invoice_native_id", references="invoice"),
            C("invoice_number"),
            C("paid_at", DATE, required=True),
            money("amount", required=True),
            C("currency", CURRENCY, required=True),
        ),
    ),
    Table(
        "cost_posting",
        "finance",
        (
            C("posted_at", DATE, required=True),
            C("account_code"),
            C("description"),
            C("job_ref"),
            C("customer_name"),
            money("amount", required=True),
            C("currency", CURRENCY, required=True),
        ),
    ),
    Table(
        "fx_rate",
        "finance",
        (
            C("rate_date", DATE, required=True),
            C("from_currency", CURRENCY, required=True),
            C("to_currency", CURRENCY, required=True),
            C("rate", RATE, required=True, doc="1 from_currency = rate to_currency"),
        ),
    ),
    # governance (targets land from files; approvals and decisions live in the state store)
    Table(
        "plan_target",
        "governance",
        (
            C("plan_version", required=True),
            C("period_start", DATE, required=True),
            C("metric", required=True),
            C("dimension"),
            C("dimension_value"),
            C("target", QUANTITY, required=True),
            C("approved", BOOLEAN),
        ),
    ),
    # shared keys (built by the match stage)
    Table(
        "xref",
        "shared keys",
        (
            C("entity_type", required=True),
            C("golden_key", required=True),
            C("source_system", required=True),
            C("source_object"),
            C("native_id", required=True),
            C("confidence", PERCENT),
            C("method"),
        ),
        derived=True,
    ),
    Table(
        "job",
        "shared keys",
        (
            C("job_key", required=True),
            C("quote_id"),
            C("work_order_id"),
            C("invoice_line_id"),
            C("method"),
            C("confidence", PERCENT),
        ),
        derived=True,
    ),
    Table(
        "job_time",
        "shared keys",
        (
            C("time_entry_id", required=True),
            C("work_order_id", required=True),
            C("method", doc="project_code, or project for the same customer and dates"),
        ),
        doc="which work order a time entry was spent on",
        derived=True,
    ),
    # exceptions (found by the reconcile stage; their workflow lives in the state store)
    Table(
        "exception",
        "governance",
        (
            C("id", required=True, doc="stable: rule and the source records involved"),
            C("rule", required=True),
            C("severity", required=True),
            C("owner"),
            C("account_key"),
            money("amount"),
            C("currency", CURRENCY),
            money("amount_at_risk", doc="in the reporting currency"),
            C("detail"),
            C("source_refs", doc="JSON list of {system, object, native_id}"),
            C("as_of", DATE),
            C("account_tier", doc="the customer's tier in the CRM, for escalation"),
        ),
        derived=True,
    ),
)


TABLE_MAP: Final[dict[str, Table]] = {t.name: t for t in TABLES}
SOURCE_TABLES: Final = tuple(t for t in TABLES if not t.derived)


def table(name: str) -> Table:
    return TABLE_MAP[name]
