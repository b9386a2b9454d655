"""Tables the facts stage builds right after match: the shared ideas (a record's customer, a
product's and a person's golden key, the rate for a currency on a day, a work order's job)
defined once, so no later stage reads `xref` or `fx_rate` itself."""

from __future__ import annotations

from typing import Final

from tieout.model.schema import BOOLEAN, CURRENCY, DATE, RATE, C, Table

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
)
