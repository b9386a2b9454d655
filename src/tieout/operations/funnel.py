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


def stage_expression(stage: FunnelStage) -> exp.Expr:
    """`CASE WHEN <when> THEN <at> END` over the lead row `l` (both parts were checked when
    tieout.yml loaded: data only, the lead's own columns)."""
    when, at = (sqlglot.parse_one(text, read="duckdb") for text in (stage.when, stage.at))
    for tree in (when, at):
        for column in tree.find_all(exp.Column):
            column.set("table", exp.to_identifier("l"))
    return exp.Case(ifs=[exp.If(this=when, true=exp.cast(at, exp.DataType.Type.TIMESTAMP))])


def staged_leads(funnel: FunnelConfig) -> exp.Select:
    """Every lead with the time it met each stage's definition (s_mql, s_sal, s_sql)."""
    stages = [exp.alias_(stage_expression(getattr(funnel, n)), f"s_{n}") for n in STAGES]
    return exp.select(exp.column(exp.Star(), table="l"), *stages).from_("lead AS l")


def build_funnel(wh: Warehouse, funnel: FunnelConfig, currency: str, as_of: dt.date) -> int:
    wh.create_temp_table("_funnel_staged", staged_leads(funnel))
    wh.run_script(sql_text("funnel.sql"), {"funnel_currency": currency, "funnel_as_of": as_of})
    wh.drop_table("_funnel_staged")
    return wh.count("lead_funnel")
