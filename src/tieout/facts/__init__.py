"""Facts: the shared ideas every later stage reads, built once per run right after match.

Entry point `run(wh, project, as_of) -> FactsSummary`. With match, this is the only reader of
`xref` (golden keys) and `fx_rate` (dated rates): a record's customer (`customer_key`), a
customer's master record (`customer_master`), product and person keys, the rate for a
currency pair on any day (`currency_rate`), a work order's job (`work_order_job`) and the
per-work-order, per-invoice, per-quoted-invoice-line and per-job figures rules test
(`work_order_fact`, `invoice_fact`, `invoice_quote_line_fact`, `job_fact`). A shared idea
defined here once cannot drift apart between rules, metrics, close, health and the web app;
tests/test_architecture.py fails on a read of `xref` or `fx_rate` elsewhere.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from importlib import resources

from tieout.config import LoadedProject
from tieout.engine import Warehouse
from tieout.model import TABLES
from tieout.model.schema import CURRENCY

__all__ = ["FactsSummary", "build", "run"]

CURRENCIES = "_facts_currency"


@dataclass(frozen=True)
class FactsSummary:
    customer_keys: int
    rate_ranges: int
    work_orders: int


def run(wh: Warehouse, project: LoadedProject, as_of: dt.date) -> FactsSummary:
    """Build every facts table for this run's as-of date."""
    return build(wh, as_of=as_of, currency=project.config.reporting_currency)


def build(wh: Warehouse, *, as_of: dt.date, currency: str) -> FactsSummary:
    """The facts from the canonical tables, `xref` and `fx_rate` in `wh`: rates dated after
    `as_of` are left out, so the run gives the same figures whenever it is repeated."""
    wh.create_temp_table(CURRENCIES, currencies_sql())
    wh.run_script(sql_text(), {"facts_as_of": as_of, "facts_currency": currency})
    wh.drop_table(CURRENCIES)
    return FactsSummary(
        wh.count("customer_key"), wh.count("currency_rate"), wh.count("work_order_job")
    )


def currencies_sql() -> str:
    """Every currency any table of the model names, so each has its rate of 1 to itself;
    read from the model, so a new money table is covered without touching the SQL."""
    parts = [
        f"SELECT {c.name} AS currency FROM {t.name}"
        for t in TABLES
        if not t.derived
        for c in t.columns
        if c.type == CURRENCY
    ]
    return " UNION ".join(parts)


@cache
def sql_text() -> str:
    return (resources.files("tieout.facts") / "sql" / "facts.sql").read_text(encoding="utf-8")
