"""Marts: each fact metric pre-aggregated by month and every split it allows, built once per
run, so a headline and its drill-down read thousands of rows instead of millions. A mart is
used only while its metric's definition (digest) and the reporting currency are unchanged."""

from __future__ import annotations

import datetime as dt

from tieout.config.metrics import OPTIONAL_COLUMNS, Catalogue, MetricDef
from tieout.engine import Warehouse
from tieout.errors import TieoutError
from tieout.metrics.query import CUSTOMERS, JOB_REPS, checked_fact


def build_marts(
    wh: Warehouse, catalogue: Catalogue, currency: str, as_of: dt.date
) -> dict[str, str]:
    """Build every fact metric's mart; returns the metrics left without one and why (a fact
    that fans out is refused here and again, with the reason, when someone asks for it)."""
    skipped: dict[str, str] = {}
    wh.create_temp_table("_metric_customers", CUSTOMERS)
    wh.create_temp_table("_metric_job_reps", JOB_REPS)
    wh.execute(
        "CREATE OR REPLACE TABLE metric_mart "
        "(metric VARCHAR, digest VARCHAR, currency VARCHAR, covers_from DATE)"
    )
    for metric in catalogue.metrics.values():
        if metric.fact is None:
            continue
        values = {"currency": currency, "as_of": as_of}
        try:
            fact = checked_fact(wh, metric, values, keep_as="_metric_fact")
        except TieoutError as exc:
            skipped[metric.name] = str(exc)
            continue
        if metric.kind == "balance":
            _balance_mart(wh, metric, fact, as_of)
            wh.execute(
                "INSERT INTO metric_mart SELECT :metric, :digest, :currency, min(as_at) "
                f"FROM {metric.mart}",
                {"metric": metric.name, "digest": metric.digest(), "currency": currency},
            )
            continue
        wh.execute(
            f"""
            CREATE OR REPLACE TABLE {metric.mart} AS
            SELECT CAST(date_trunc('month', f.date) AS DATE) AS month_start,
                   strftime(f.date, '%Y-%m') AS month, f.account_key,
                   coalesce(c.name, f.account_key) AS customer, c.region, c.segment,
                   coalesce(jr.rep, c.rep) AS rep,
                   f.product, f.job_key AS job, {_optional(metric)},
                   sum(f.value) AS value, count(*) AS facts
            FROM ({fact}) f
            LEFT JOIN _metric_customers c ON c.golden_key = f.account_key
            LEFT JOIN _metric_job_reps jr ON jr.job_key = f.job_key
            GROUP BY ALL
            ORDER BY month_start, account_key, job
            """
        )
        wh.execute(
            "INSERT INTO metric_mart VALUES (:metric, :digest, :currency, NULL)",
            {"metric": metric.name, "digest": metric.digest(), "currency": currency},
        )
    wh.drop_table("_metric_fact")
    wh.drop_table("_metric_customers")
    wh.drop_table("_metric_job_reps")
    return skipped


def _balance_mart(wh: Warehouse, metric: MetricDef, fact: str, as_of: dt.date) -> None:
    """What was open at each month end of the last five years (the as-of date for its own
    month), by every split."""
    wh.execute(
        f"""
        CREATE OR REPLACE TABLE {metric.mart} AS
        WITH ends AS (
            SELECT least(last_day(m), :as_of) AS as_at
            FROM unnest(generate_series(:as_of - INTERVAL 59 MONTH, :as_of,
                                        INTERVAL 1 MONTH)) AS g(m)
        )
        SELECT e.as_at, strftime(e.as_at, '%Y-%m') AS month, f.account_key,
               coalesce(c.name, f.account_key) AS customer, c.region, c.segment,
               coalesce(jr.rep, c.rep) AS rep,
               f.product, f.job_key AS job, {_optional(metric)},
               sum(f.value) AS value, count(*) AS facts
        FROM ends e
        JOIN ({fact}) f ON f.date <= e.as_at AND (f.end_date IS NULL OR f.end_date > e.as_at)
        LEFT JOIN _metric_customers c ON c.golden_key = f.account_key
        LEFT JOIN _metric_job_reps jr ON jr.job_key = f.job_key
        GROUP BY ALL
        ORDER BY e.as_at, f.account_key
        """,
        {"as_of": as_of},
    )


def _optional(metric: MetricDef) -> str:
    """The splits a fact may carry itself; NULL for a metric that does not allow them."""
    return ", ".join(
        f"f.{column} AS {dim}" if dim in metric.dimensions else f"CAST(NULL AS VARCHAR) AS {dim}"
        for dim, column in OPTIONAL_COLUMNS.items()
    )
