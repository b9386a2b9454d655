"""Tables the facts stage builds right after match: the shared ideas (a record's customer, a
product's and a person's golden key, the rate for a currency on a day, a work order's job)
defined once, so no later stage reads `xref` or `fx_rate` itself; and the per-work-order,
per-invoice, per-quoted-invoice-line and per-job figures exception rules test (`subject:`
of a rule), each with the source records it stands for in `refs`."""

from __future__ import annotations

from typing import Final

from tieout.model.schema import (
    BOOLEAN,
    CURRENCY,
    DATE,
    INTEGER,
    PERCENT,
    PRICE,
    QUANTITY,
    RATE,
    REFS,
    C,
    Table,
    money,
)

FACTS_TABLES: Final[tuple[Table, ...]] = (
    Table(
        "customer_key",
        "shared keys",
        (
            C("source_system", required=True),
            C("native_id", required=True),
            C("golden_key", required=True),
        ),
        doc="one golden customer per (system, native id) that names a customer, whatever "
        "object it came from: the join every later stage uses for a record's customer",
        derived=True,
    ),
    Table(
        "customer_master",
        "shared keys",
        (
            C("golden_key", required=True),
            C("name", doc="the master CRM account's name"),
            C("region", doc="its region, else its country"),
            C("tier", doc="lower-cased, e.g. strategic"),
            C("owner", doc="the account owner's name"),
        ),
        doc="one row per golden customer that has a master CRM record: the name, region, "
        "tier and owner every page, rule and metric shows for it",
        derived=True,
    ),
    Table(
        "product_key",
        "shared keys",
        (
            C("source_system", required=True),
            C("native_id", required=True),
            C("golden_key", required=True),
        ),
        doc="one golden product per (system, native id)",
        derived=True,
    ),
    Table(
        "person_key",
        "shared keys",
        (
            C("source_system", required=True),
            C("native_id", required=True),
            C("golden_key", required=True),
            C("is_master", BOOLEAN, doc="the master system's own record of the person"),
        ),
        doc="one golden person per (system, native id)",
        derived=True,
    ),
    Table(
        "currency_rate",
        "finance",
        (
            C("from_currency", CURRENCY, required=True),
            C("to_currency", CURRENCY, required=True),
            C("valid_from", DATE, required=True, doc="first day the rate applies"),
            C("valid_until", DATE, required=True, doc="last day it applies"),
            C("rate", RATE, required=True, doc="1 from_currency = rate to_currency"),
        ),
        doc="the rate for a currency pair on any day, as validity ranges: the latest rate on "
        "or before the day, else the first after it; 1 from a currency to itself; rates "
        "dated after the run's as-of date are not known yet. Join with "
        "day BETWEEN valid_from AND valid_until",
        derived=True,
    ),
    Table(
        "work_order_job",
        "shared keys",
        (
            C("work_order_id", required=True),
            C("job_key", required=True, doc="its quote's id, else its own id"),
            C("quote_id"),
            C("account_key", doc="golden customer of its account"),
        ),
        doc="one row per work order: the job it belongs to and its customer",
        derived=True,
    ),
    Table(
        "work_order_fact",
        "delivery",
        (
            C("work_order_id", required=True),
            C("work_order_number"),
            C("job_key", required=True),
            C("account_key", doc="golden customer of its account"),
            C("status"),
            C("completed_on", DATE, doc="the day it was completed"),
            money("planned_value"),
            C("currency", CURRENCY),
            C(
                "billed",
                BOOLEAN,
                doc="an invoice line bills it (draft, voided and deleted invoices do not count)",
            ),
            C(
                "billing_unreadable",
                BOOLEAN,
                doc="a quarantined invoice row names it (unreadable_billing): billing unknown",
            ),
            C("refs", REFS, doc="the work order"),
        ),
        doc="one row per work order: what the billing rules ask of it",
        derived=True,
    ),
    Table(
        "invoice_fact",
        "finance",
        (
            C("invoice_id", required=True),
            C("invoice_number"),
            C("doc_type"),
            C("status"),
            C("invoice_date", DATE),
            money("total"),
            C("currency", CURRENCY),
            C("account_key", doc="golden customer of its account, else of its customer name"),
            C(
                "bills_work_order",
                BOOLEAN,
                doc="one of its lines is linked to a work order (job)",
            ),
            C(
                "under_contract",
                BOOLEAN,
                doc="a contract of its customer runs on the invoice date (draft, in approval, "
                "rejected and cancelled contracts do not count)",
            ),
            C("refs", REFS, doc="the invoice"),
        ),
        doc="one row per invoice or credit note: its customer and what it bills",
        derived=True,
    ),
    Table(
        "invoice_quote_line_fact",
        "finance",
        (
            C("invoice_line_id", required=True),
            C("quote_line_id", required=True),
            C("invoice_number", doc="of the invoice the line is on"),
            C("doc_type", doc="the invoice's: invoice or credit_note"),
            C("status", doc="the invoice's"),
            C("quantity", QUANTITY),
            C("unit_price", PRICE),
            C("discount_pct", PERCENT),
            money("line_amount"),
            C("currency", CURRENCY, doc="the invoice line's"),
            C("quoted_quantity", QUANTITY),
            C("quoted_unit_price", PRICE),
            C("quoted_discount_pct", PERCENT),
            C("quoted_currency", CURRENCY, doc="the quote line's"),
            C("quote_id"),
            C("quote_number"),
            C("account_key", doc="golden customer of the quote's account"),
            C("refs", REFS, doc="the invoice line, then the quote line"),
        ),
        doc="one row per invoice line that bills a quote line (invoice_quote_line), both "
        "records known with their documents: what was invoiced against what was quoted",
        derived=True,
    ),
    Table(
        "job_fact",
        "delivery",
        (
            C("job_key", required=True, doc="its quote's id, else its work order's id"),
            C("quote_id"),
            C("account_key", doc="golden customer of its work orders (the lowest key)"),
            C("currency", CURRENCY, doc="its work orders' currency (the lowest code)"),
            C("work_orders", INTEGER),
            C(
                "finished_on",
                DATE,
                doc="the day its last work order was completed or closed, once every one is "
                "(canceled ones aside; 0001-01-01 when all are canceled); empty while one is "
                "still open",
            ),
            money(
                "revenue",
                doc="its invoice lines net of credit notes (draft, voided and deleted invoices "
                "excluded); empty when nothing bills it",
            ),
            money("time_cost", doc="cost of the time logged on its work orders; empty if none"),
            C(
                "billing_unreadable",
                BOOLEAN,
                doc="a quarantined invoice row names one of its work orders: revenue unknown",
            ),
            C("refs", REFS, doc="its quote (if any), then its work orders by native id"),
        ),
        doc="one row per job that has a work order: its customer, revenue and time cost",
        derived=True,
    ),
)
