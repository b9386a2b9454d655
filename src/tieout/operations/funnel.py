"""The funnel: each lead from created to won, by campaign cohort, under the project's ONE
definition of MQL, SAL and SQL (`funnel:` in tieout.yml), so marketing and sales count the
same leads. A lead's cohort is the campaign of its first membership (first touch)."""

from __future__ import annotations

import datetime as dt

import sqlglot
from sqlglot import exp

from tieout.config.operating import FunnelConfig, FunnelStage
from tieout.engine import Warehouse
from tieout.operations.sqlfiles import sql_text

STAGES = ("mql", "sal", "sql")


def stage_sql(stage: FunnelStage) -> str:
    """`CASE WHEN <when> THEN <at> END` over the lead row `l` (both parts were checked when
    tieout.yml loaded: data only, the lead's own columns)."""
    parts = []
    for text in (stage.when, stage.at):
        tree = sqlglot.parse_one(text, read="duckdb")
        for column in tree.find_all(exp.Column):
            column.set("table", exp.to_identifier("l"))
        parts.append(tree.sql("duckdb"))
    return f"CASE WHEN {parts[0]} THEN CAST({parts[1]} AS TIMESTAMP) END"


def build_funnel(wh: Warehouse, funnel: FunnelConfig, currency: str, as_of: dt.date) -> int:
    script = sql_text("funnel.sql")
    for name in STAGES:
        script = script.replace("{" + name + "}", stage_sql(getattr(funnel, name)))
    wh.run_script(script, {"funnel_currency": currency, "funnel_as_of": as_of})
    return wh.count("lead_funnel")
