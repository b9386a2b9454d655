"""Compute a metric for a period, split by dimensions, optionally beside a comparison period.

The layer owns the joins: a fact is grouped by columns of its own rows, and the customer
dimension (name, region, rep from the master CRM record) is one row per golden key; a fact
whose rows are not unique per `id` (a join in it fanned out) is refused, not summed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlglot
from sqlglot import exp

from tieout.config.metrics import Catalogue, MetricDef
from tieout.engine import Warehouse, bind, render
from tieout.errors import TieoutError, UsageError
from tieout.periods import Compare, Period

DIMENSION_SQL = {
    "month": "strftime(f.date, '%Y-%m')",
    "customer": "coalesce(c.name, f.account_key)",
    "region": "c.region",
    "segment": "c.segment",
    "rep": "coalesce(jr.rep, c.rep)",
    "product": "f.product",
    "job": "f.job_key",
    "contract": "f.contract_key",
    "campaign": "f.campaign",
    "team": "f.team",
}
# a job's rep is who sold it (its quote's owner); other figures go to the account owner
JOB_REPS = """
SELECT j.job_key, any_value(p.name ORDER BY p.native_id) AS rep
FROM (SELECT DISTINCT job_key, quote_id FROM job WHERE quote_id IS NOT NULL) j
JOIN quote q ON q.id = j.quote_id
JOIN person p ON p.source_system = q.source_system AND p.native_id = q.owner_native_id
GROUP BY j.job_key
"""
CUSTOMERS = """
SELECT golden_key, name, region, owner AS rep, tier AS segment FROM customer_master
"""


@dataclass(frozen=True)
class MetricResult:
    metric: MetricDef
    period: Period
    compared_with: Period | None
    by: list[str]
    rows: list[dict[str, Any]]
    total: Decimal | None
    total_compared: Decimal | None


def compute(
    wh: Warehouse,
    catalogue: Catalogue,
    name: str,
    *,
    by: list[str],
    period: Period,
    compare: Compare | None,
    currency: str,
    as_of: dt.date,
) -> MetricResult:
    metric = catalogue.get(name)
    unknown = [d for d in by if d not in metric.dimensions]
    if unknown:
        raise UsageError(
            f"{name} cannot be split by {', '.join(unknown)} "
            f"(it can by {', '.join(metric.dimensions)})"
        )
    if compare and "month" in by:
        raise UsageError("--compare and --by month do not mix: compare one period at a time")
    ctx = _Context(wh, catalogue, currency, as_of)
    current = period.to_date if compare == "ytd" else period
    other = period.shifted(compare) if compare else None
    rows = ctx.values(metric, by, current)
    total = ctx.total(metric, current) if by else _only(rows)
    total_other: Decimal | None = None
    if other is not None:
        earlier = ctx.values(metric, by, other)
        before = {tuple(r[d] for d in _keys(by)): r["value"] for r in earlier}
        for r in rows:
            r["compared"] = before.pop(tuple(r[d] for d in _keys(by)), None)
        for key, value in before.items():  # gone since: shown with nothing now
            rows.append(
                {**dict(zip(_keys(by), key, strict=True)), "value": None, "compared": value}
            )
        for r in rows:
            r["change"] = _change(r["value"], r["compared"])
        total_other = ctx.total(metric, other) if by else _only(earlier)
    return MetricResult(metric, current, other, by, rows, total, total_other)


def _keys(by: list[str]) -> list[str]:
    return [k for d in by for k in (["account_key", "customer"] if d == "customer" else [d])]


def _change(now: Decimal | None, before: Decimal | None) -> Decimal | None:
    if now is None or before is None:
        return None
    return now - before


class _Context:
    def __init__(self, wh: Warehouse, catalogue: Catalogue, currency: str, as_of: dt.date):
        self.wh, self.catalogue = wh, catalogue
        self.values_for = {"currency": currency, "as_of": as_of}
        self.as_of = as_of
        self.checked: set[str] = set()
        self.marts, self.covers_from = _marts(wh, currency)

    def fact(self, metric: MetricDef) -> str:
        """The fact's SQL; checked for fan-out and missing values unless the run did."""
        if metric.name in self.checked or self.marts.get(metric.name) == metric.digest():
            return bind(str(metric.fact), self.values_for)
        self.checked.add(metric.name)
        return checked_fact(self.wh, metric, self.values_for)

    def grouped(self, metric: MetricDef, by: list[str], period: Period) -> str:
        """SQL of one fact metric summed by the dimensions over the period: from its mart
        when the run built one, else from the fact itself."""
        if metric.kind == "balance":
            return self._balance(metric, by, period)
        within = "BETWEEN :period_start AND :period_end"
        group = " GROUP BY ALL" if by else ""
        if self.marts.get(metric.name) == metric.digest():
            columns = ", ".join([*_keys(by), "sum(value) AS value"])
            return f"SELECT {columns} FROM {metric.mart} WHERE month_start {within}{group}"
        select = [f"{DIMENSION_SQL[d]} AS {d}" for d in by]
        if "customer" in by:
            select.insert(by.index("customer"), "f.account_key AS account_key")
        columns = ", ".join([*select, "sum(f.value) AS value"])
        return (
            f"SELECT {columns} FROM ({self.fact(metric)}) f "
            f"LEFT JOIN ({CUSTOMERS}) c ON c.golden_key = f.account_key "
            f"LEFT JOIN ({JOB_REPS}) jr ON jr.job_key = f.job_key "
            f"WHERE f.date {within}{group}"
        )

    def _balance(self, metric: MetricDef, by: list[str], period: Period) -> str:
        """What is open at the end of the period, or of each month when split by month."""
        select = [f"{DIMENSION_SQL[d]} AS {d}" for d in by if d != "month"]
        if "customer" in by:
            select.insert(0, "f.account_key AS account_key")
        end = self.period_values(period)["open_end"]
        if self.marts.get(metric.name) == metric.digest():
            keys = _keys(by)
            when = (
                "as_at BETWEEN :period_start AND :open_end"
                if "month" in by
                else "as_at = :open_end"
            )
            columns = ", ".join([*keys, "sum(value) AS value"])
            mart = f"SELECT {columns} FROM {metric.mart} WHERE {when}"
            first_end = Period.parse(period.start.strftime("%Y-%m")).end
            needed = min(first_end, end) if "month" in by else end
            if period.start <= end and self._in_mart(metric, needed):
                return mart + (" GROUP BY ALL" if by else "")
        if "month" in by:
            select.insert(0, "strftime(m.as_at, '%Y-%m') AS month")
            at = (
                "(SELECT least(last_day(unnest(generate_series(:period_start, "
                ":open_end, INTERVAL 1 MONTH))), :open_end) AS as_at) m"
            )
        else:
            at = "(SELECT :open_end AS as_at) m"
        columns = ", ".join([*select, "sum(f.value) AS value"])
        return (
            f"SELECT {columns} FROM {at} "
            f"JOIN ({self.fact(metric)}) f ON f.date <= m.as_at "
            "AND (f.end_date IS NULL OR f.end_date > m.as_at) "
            f"LEFT JOIN ({CUSTOMERS}) c ON c.golden_key = f.account_key "
            f"LEFT JOIN ({JOB_REPS}) jr ON jr.job_key = f.job_key" + (" GROUP BY ALL" if by else "")
        )

    def _in_mart(self, metric: MetricDef, end: dt.date) -> bool:
        """A balance mart keeps the month ends of five years to the as-of date only."""
        first = self.covers_from.get(metric.name)
        return first is not None and end >= first

    def sql(self, metric: MetricDef, by: list[str], period: Period) -> str:
        if metric.fact is not None:
            return self.grouped(metric, by, period)
        keys = _keys(by)
        inputs = metric.inputs()
        parts = {n: self.grouped(self.catalogue.get(n), by, period) for n in inputs}
        if keys:
            union = " UNION ".join(f"SELECT {', '.join(keys)} FROM ({parts[n]})" for n in inputs)
            sql = f"SELECT k.*, {_formula(metric, inputs)} AS value FROM ({union}) k"
            for n in inputs:
                on = " AND ".join(f"{n}.{k} IS NOT DISTINCT FROM k.{k}" for k in keys)
                sql += f" LEFT JOIN ({parts[n]}) {n} ON {on}"
            return sql
        froms = ", ".join(f"({parts[n]}) {n}" for n in inputs)
        return f"SELECT {_formula(metric, inputs)} AS value FROM {froms}"

    def values(self, metric: MetricDef, by: list[str], period: Period) -> list[dict[str, Any]]:
        order = ", ".join(_keys(by)) or "1"
        sql = f"SELECT * FROM ({self.sql(metric, by, period)}) ORDER BY {order}"
        return [_money(r) for r in self.wh.query_dicts(sql, self.period_values(period))]

    def period_values(self, period: Period) -> dict[str, dt.date]:
        """The values the period's SQL names: its bounds, and the end of what is known
        (nothing is open past the as-of date)."""
        return {
            "period_start": period.start,
            "period_end": period.end,
            "open_end": min(period.end, self.as_of),
        }

    def total(self, metric: MetricDef, period: Period) -> Decimal | None:
        return _only(self.values(metric, [], period))


def _marts(wh: Warehouse, currency: str) -> tuple[dict[str, str], dict[str, dt.date]]:
    """Per metric the run checked: the digest of the definition it checked and built a mart
    from, and for a balance the first date its mart covers (nothing before a run)."""
    if not wh.scalar("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'metric_mart'"):
        return {}, {}
    rows = wh.query(
        "SELECT metric, digest, covers_from FROM metric_mart WHERE currency = :currency",
        {"currency": currency},
    )
    return {str(m): str(d) for m, d, _ in rows}, {str(m): c for m, _, c in rows if c}


def _only(rows: list[dict[str, Any]]) -> Decimal | None:
    value: Decimal | None = rows[0]["value"] if rows else None
    return value


def fact_sql(wh: Warehouse, metric: MetricDef, values: dict[str, Any]) -> str:
    """The fact's SQL, checked here unless the run already checked this definition."""
    if _marts(wh, values["currency"])[0].get(metric.name) == metric.digest():
        return bind(str(metric.fact), values)
    return checked_fact(wh, metric, values)


def checked_fact(
    wh: Warehouse, metric: MetricDef, values: dict[str, Any], *, keep_as: str | None = None
) -> str:
    """The fact's SQL, once its rows are shown unique per id and all valued; with `keep_as`,
    the rows are computed once into that scratch table and the SQL reads it."""
    sql = bind(str(metric.fact), values)
    if keep_as:
        wh.create_temp_table(keep_as, sql)
        sql = f"SELECT * FROM {keep_as}"
    rows, ids, blank = wh.query(
        f"SELECT count(*), count(DISTINCT id), count(*) FILTER (WHERE value IS NULL) FROM ({sql})"
    )[0]
    if rows != ids:
        raise TieoutError(
            f"metric {metric.name}: {rows - ids} of {rows} fact rows repeat an id: a "
            f"join in its fact fans out and would double count ({metric.grain})"
        )
    if blank:
        raise TieoutError(
            f"metric {metric.name}: {blank} of {rows} fact rows have no value "
            f"(an amount in a currency with no rate to {values['currency']} "
            "dated on or before the run's as-of date? add fx_rate rows)"
        )
    return sql


def _formula(metric: MetricDef, inputs: list[str]) -> str:
    """The formula over the inputs' aggregated values; a zero denominator gives no value."""
    assert metric.formula is not None
    tree = sqlglot.parse_one(metric.formula, read="duckdb")

    def value_of(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Column) and node.name in inputs:
            return exp.func("coalesce", exp.column("value", node.name), exp.Literal.number(0))
        return node

    def safe_division(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Div):
            zero_is_null = exp.func("nullif", node.expression, exp.Literal.number(0))
            return exp.Div(this=node.this, expression=zero_is_null)
        return node

    tree = tree.transform(value_of).transform(safe_division)
    return f"CAST(round({render(tree)}, 2) AS DECIMAL(18, 2))"


def _money(row: dict[str, Any]) -> dict[str, Any]:
    value = row.get("value")
    if value is not None and not isinstance(value, Decimal):
        row["value"] = Decimal(str(value)).quantize(Decimal("0.01"))
    return row
