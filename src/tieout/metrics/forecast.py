"""Revenue, cost and cash by month ahead, layer by layer, and a backtest of the method.

Revenue layers come from what things were on the forecast date (`sql/forecast.sql`): work
ready to bill, work in delivery and committed work (what is left to bill, spread over the
months it runs), recurring contract billing at its recent run-rate while the contract runs,
and open pipeline weighted by its probability, in forecast categories
(commit >= 70 %, best case >= 40 %, else pipeline). Cost is revenue times the cost ratio of
the three months before; cash is revenue moved by the customers' payment terms (median
days from invoice to due date), plus the receivables open on the date, when each customer
has been paying: its due date plus that customer's median delay.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from importlib import resources

from tieout.config.metrics import Catalogue
from tieout.engine import Warehouse
from tieout.metrics.query import compute, fact_sql
from tieout.periods import Period

CENT = Decimal("0.01")


@dataclass
class MonthForecast:
    month: dt.date
    revenue: dict[str, Decimal] = field(default_factory=dict)  # "layer" or "pipeline:commit"
    cost: Decimal = Decimal(0)
    cash: Decimal = Decimal(0)

    @property
    def total(self) -> Decimal:
        return sum(self.revenue.values(), Decimal(0))


@dataclass(frozen=True)
class Forecast:
    at: dt.date
    months: list[MonthForecast]
    cost_ratio: Decimal
    terms_months: int
    win_rate: Decimal


@dataclass(frozen=True)
class BacktestPoint:
    at: dt.date
    month: dt.date
    horizon: int
    forecast: Decimal
    actual: Decimal

    @property
    def error_pct(self) -> Decimal | None:
        if not self.actual:
            return None
        return ((self.forecast - self.actual) * 100 / self.actual).quantize(Decimal("0.1"))


def forecast(
    wh: Warehouse, catalogue: Catalogue, currency: str, at: dt.date, months: int
) -> Forecast:
    win_rate = _win_rate(wh, at)
    rows = wh.query(_sql(), {"fc_at": at, "fc_currency": currency, "fc_win_rate": float(win_rate)})
    start = _month(at, 1)
    plan = [MonthForecast(_month(at, k)) for k in range(1, months + 1)]
    by_month = {m.month: m for m in plan}
    for layer, category, month, revenue in rows:
        key = f"pipeline:{category}" if layer == "pipeline" else str(layer)
        if month in by_month:
            target = by_month[month].revenue
            target[key] = target.get(key, Decimal(0)) + Decimal(str(revenue))
    for m in plan:
        m.revenue = {k: v.quantize(CENT, ROUND_HALF_UP) for k, v in sorted(m.revenue.items())}
    ratio = _cost_ratio(wh, catalogue, currency, at)
    terms = _terms_months(wh, at)
    for m in plan:
        m.cost = (m.total * ratio).quantize(CENT, ROUND_HALF_UP)
    for m in plan:
        paid = _month(m.month, terms)
        if paid in by_month:
            by_month[paid].cash += m.total
    for due, amount in _receivables_due(wh, catalogue, currency, at, start):
        if due in by_month:
            by_month[due].cash += amount
    for m in plan:
        m.cash = m.cash.quantize(CENT, ROUND_HALF_UP)
    return Forecast(at, plan, ratio, terms, win_rate)


def backtest(
    wh: Warehouse,
    catalogue: Catalogue,
    currency: str,
    as_of: dt.date,
    points: int = 6,
    horizon: int = 3,
) -> list[BacktestPoint]:
    """Forecasts made at each of the last `points` month ends that the data can score,
    against the revenue metric's actual months."""
    out: list[BacktestPoint] = []
    last_full = _month(as_of, 0) - dt.timedelta(days=1)  # the month end before the as-of month
    for back in range(horizon, horizon + points):
        at = _month(last_full, -back + 1) - dt.timedelta(days=1)
        made = forecast(wh, catalogue, currency, at, horizon)
        for k, m in enumerate(made.months, start=1):
            period = Period(m.month, _month(m.month, 1) - dt.timedelta(days=1), str(m.month))
            actual = compute(
                wh,
                catalogue,
                "revenue",
                by=[],
                period=period,
                compare=None,
                currency=currency,
                as_of=as_of,
            ).total or Decimal(0)
            out.append(BacktestPoint(at, m.month, k, m.total, actual))
    return out


def _month(day: dt.date, ahead: int) -> dt.date:
    """First day of the month `ahead` months after `day`'s month."""
    index = day.year * 12 + day.month - 1 + ahead
    return dt.date(index // 12, index % 12 + 1, 1)


def _win_rate(wh: Warehouse, at: dt.date) -> Decimal:
    won, closed = wh.query(
        "SELECT coalesce(sum(amount) FILTER (WHERE is_won), 0), coalesce(sum(amount), 0) "
        "FROM opportunity WHERE is_closed AND close_date <= :at AND amount IS NOT NULL",
        {"at": at},
    )[0]
    return (Decimal(won) / Decimal(closed)).quantize(Decimal("0.0001")) if closed else Decimal(0)


def _cost_ratio(wh: Warehouse, catalogue: Catalogue, currency: str, at: dt.date) -> Decimal:
    start = _month(at, -2)
    period = Period(start, _month(at, 1) - dt.timedelta(days=1), "trailing")
    totals = {
        name: compute(
            wh, catalogue, name, by=[], period=period, compare=None, currency=currency, as_of=at
        ).total
        or Decimal(0)
        for name in ("revenue", "cost")
    }
    if not totals["revenue"]:
        return Decimal(0)
    return (totals["cost"] / totals["revenue"]).quantize(Decimal("0.0001"))


def _terms_months(wh: Warehouse, at: dt.date) -> int:
    days = [
        d
        for (d,) in wh.query(
            "SELECT date_diff('day', invoice_date, due_date) FROM invoice "
            "WHERE doc_type = 'invoice' AND due_date IS NOT NULL "
            "AND invoice_date BETWEEN :at - INTERVAL 6 MONTH AND :at",
            {"at": at},
        )
        if d is not None
    ]
    return round(statistics.median(days) / 30) if days else 1


def _receivables_due(
    wh: Warehouse, catalogue: Catalogue, currency: str, at: dt.date, first: dt.date
) -> list[tuple[dt.date, Decimal]]:
    """Invoices open on the date (the receivables metric's own rows), by the month they
    should be paid: due date plus the customer's median delay over payments made by then."""
    fact = fact_sql(wh, catalogue.get("receivables"), {"currency": currency, "as_of": at})
    rows = wh.query(
        f"""
        WITH delay AS (
            SELECT x.golden_key,
                   median(date_diff('day', i.due_date, CAST(p.paid_at AS DATE))) AS days
            FROM payment p
            JOIN invoice i ON i.native_id = p.invoice_native_id
                 AND i.source_system = p.source_system
            JOIN customer_key x ON x.source_system = i.source_system
                 AND x.native_id = coalesce(i.account_native_id, i.customer_name)
            WHERE CAST(p.paid_at AS DATE) <= :at AND i.due_date IS NOT NULL
            GROUP BY ALL
        )
        SELECT greatest(CAST(date_trunc('month', coalesce(i.due_date, :first)
                             + CAST(coalesce(d.days, 0) AS INTEGER)) AS DATE), :first),
               sum(f.value)
        FROM ({fact}) f
        JOIN invoice i ON i.id = f.id
        LEFT JOIN delay d ON d.golden_key = f.account_key
        WHERE f.date <= :at AND (f.end_date IS NULL OR f.end_date > :at)
        GROUP BY 1
        """,
        {"at": at, "first": first},
    )
    return [(m, Decimal(str(v))) for m, v in rows]


@cache
def _sql() -> str:
    return (resources.files("tieout.metrics") / "sql" / "forecast.sql").read_text("utf-8")
