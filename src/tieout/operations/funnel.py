"""The funnel: each lead from created to won, by campaign cohort, under the project's ONE
definition of MQL, SAL and SQL (`funnel:` in tieout.yml), so marketing and sales count the
same leads. A lead's cohort is the campaign of its first membership (first touch)."""

from __future__ import annotations

from sqlglot import exp

from tieout.config.operating import FunnelConfig, FunnelStage
from tieout.engine import Warehouse
from tieout.errors import ConfigError
from tieout.model.sqlcheck import UnknownColumnsError, UnsafeSQLError, checked_expression
from tieout.model.tables import TABLE_MAP
from tieout.operations.sqlfiles import sql_text

STAGES = ("mql", "sal", "sql")


def stage_sql(name: str, stage: FunnelStage) -> str:
    """`CASE WHEN <when> THEN <at> END` over the lead row `l`, each part checked (data only,
    the lead's own columns)."""
    lead = TABLE_MAP["lead"].column_map
    parts = []
    for key, text in (("when", stage.when), ("at", stage.at)):
        try:
            tree = checked_expression(text, lead)
        except UnknownColumnsError as unknown:
            problem = f"the lead has no column {', '.join(map(repr, unknown.names))}"
            raise ConfigError(problem, file="tieout.yml", key=f"funnel.{name}.{key}") from None
        except UnsafeSQLError as problem:
            raise ConfigError(str(problem), file="tieout.yml", key=f"funnel.{name}.{key}") from None
        for column in tree.find_all(exp.Column):
            column.set("table", exp.to_identifier("l"))
        parts.append(tree.sql("duckdb"))
    return f"CASE WHEN {parts[0]} THEN CAST({parts[1]} AS TIMESTAMP) END"


def build_funnel(wh: Warehouse, funnel: FunnelConfig, currency: str) -> int:
    script = sql_text("funnel.sql")
    for name in STAGES:
        script = script.replace("{" + name + "}", stage_sql(name, getattr(funnel, name)))
    wh.run_script(script, {"funnel_currency": currency})
    return wh.count("lead_funnel")
