"""Commentary for a month against the one before, written from computed facts only.

Margin movement = price + volume + mix (products billed in both months) + products billed in
only one of them + credit notes - cost change, exactly: price and volume are computed per
product at cents and mix is what remains of the common products' change, as in a standard
three-way price-volume-mix bridge. Then the largest quoted-vs-delivered differences among
the jobs finished in the month, and the reps and regions whose margin % sits well below the
company's median group. Same snapshot, same text.
"""

from __future__ import annotations

import datetime as dt
import statistics
import textwrap
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from tieout.config.metrics import Catalogue
from tieout.engine import Warehouse
from tieout.metrics.query import compute, fact_sql
from tieout.periods import Period
from tieout.reconcile.close import compute_close

CENT = Decimal("0.01")
WELL_BELOW_POINTS = Decimal(10)  # margin % points under the median that make a cluster


@dataclass(frozen=True)
class Bridge:
    margin_before: Decimal
    margin_now: Decimal
    price: Decimal
    volume: Decimal
    mix: Decimal
    new_and_lost: Decimal
    credits: Decimal
    cost: Decimal  # the cost change's effect on margin (negative when cost rose)


@dataclass(frozen=True)
class Variance:
    job: str
    customer: str
    quoted: Decimal
    delivered: Decimal

    @property
    def difference(self) -> Decimal:
        return self.delivered - self.quoted


@dataclass(frozen=True)
class Cluster:
    dimension: str
    group: str
    revenue: Decimal
    margin_pct: Decimal
    median_pct: Decimal


@dataclass(frozen=True)
class Commentary:
    period: Period
    previous: Period
    currency: str
    revenue_now: Decimal
    bridge: Bridge
    variances: list[Variance]
    clusters: list[Cluster]

    def text(self) -> str:
        return narrative(self)


def commentary(
    wh: Warehouse, catalogue: Catalogue, period: Period, currency: str, as_of: dt.date
) -> Commentary:
    previous = period.shifted("previous")

    def total(name: str, when: Period) -> Decimal:
        result = compute(
            wh, catalogue, name, by=[], period=when, compare=None, currency=currency, as_of=as_of
        )
        return result.total or Decimal(0)

    revenue = {p.label: total("revenue", p) for p in (period, previous)}
    cost = {p.label: total("cost", p) for p in (period, previous)}
    lines = {p.label: _product_lines(wh, catalogue, p, currency, as_of) for p in (period, previous)}
    bridge = _bridge(
        lines[previous.label], lines[period.label], revenue, cost, previous.label, period.label
    )
    return Commentary(
        period,
        previous,
        currency,
        revenue[period.label],
        bridge,
        _variances(wh, period, currency, as_of),
        _clusters(wh, catalogue, period, currency, as_of),
    )


def _product_lines(
    wh: Warehouse, catalogue: Catalogue, period: Period, currency: str, as_of: dt.date
) -> dict[str, tuple[Decimal, Decimal]]:
    """Per product: (quantity, revenue) of invoice lines (not credit notes) in the period,
    read through the revenue metric's own fact."""
    fact = fact_sql(wh, catalogue.get("revenue"), {"currency": currency, "as_of": as_of})
    rows = wh.query(
        f"SELECT coalesce(f.product, '(none)'), sum(l.quantity), sum(f.value) "
        f"FROM ({fact}) f JOIN invoice_line l ON l.id = f.id "
        "WHERE l.doc_type = 'invoice' AND f.date BETWEEN :start AND :end GROUP BY 1 ORDER BY 1",
        {"start": period.start, "end": period.end},
    )
    return {str(p): (Decimal(q or 0), Decimal(v or 0)) for p, q, v in rows}


def _bridge(
    before: dict[str, tuple[Decimal, Decimal]],
    now: dict[str, tuple[Decimal, Decimal]],
    revenue: dict[str, Decimal],
    cost: dict[str, Decimal],
    was: str,
    is_: str,
) -> Bridge:
    common = sorted(p for p in now.keys() & before.keys() if now[p][0] > 0 and before[p][0] > 0)
    q0 = sum((before[p][0] for p in common), Decimal(0))
    q1 = sum((now[p][0] for p in common), Decimal(0))
    price = volume = Decimal(0)
    if q0 > 0:
        average0 = sum((before[p][1] for p in common), Decimal(0)) / q0
        volume = ((q1 - q0) * average0).quantize(CENT, ROUND_HALF_UP)
    for p in common:
        (qty0, rev0), (qty1, rev1) = before[p], now[p]
        price += (qty1 * (rev1 / qty1 - rev0 / qty0)).quantize(CENT, ROUND_HALF_UP)
    common_change = sum((now[p][1] - before[p][1] for p in common), Decimal(0))
    billed_now = sum((v for _, v in now.values()), Decimal(0))
    billed_before = sum((v for _, v in before.values()), Decimal(0))
    new_and_lost = (billed_now - billed_before) - common_change
    credits = (revenue[is_] - billed_now) - (revenue[was] - billed_before)
    return Bridge(
        margin_before=revenue[was] - cost[was],
        margin_now=revenue[is_] - cost[is_],
        price=price,
        volume=volume,
        mix=common_change - price - volume,
        new_and_lost=new_and_lost,
        credits=credits,
        cost=-(cost[is_] - cost[was]),
    )


def _variances(wh: Warehouse, period: Period, currency: str, as_of: dt.date) -> list[Variance]:
    """The jobs finished in the month whose delivered value differs most from the quote."""
    close = compute_close(wh, period, currency, as_of, [], Decimal(0))
    quoted = [j for j in close.jobs if j.quote_number and j.figures.delivered != j.figures.quoted]
    quoted.sort(key=lambda j: (-abs(j.figures.delivered - j.figures.quoted), j.job_key))
    return [
        Variance(f"quote {j.quote_number}", j.customer or "", j.figures.quoted, j.figures.delivered)
        for j in quoted[:3]
    ]


def _clusters(
    wh: Warehouse, catalogue: Catalogue, period: Period, currency: str, as_of: dt.date
) -> list[Cluster]:
    found: list[Cluster] = []
    for dimension in ("rep", "region"):
        groups: dict[str | None, dict[str, Decimal]] = {}
        for name in ("revenue", "margin"):
            result = compute(
                wh,
                catalogue,
                name,
                by=[dimension],
                period=period,
                compare=None,
                currency=currency,
                as_of=as_of,
            )
            for r in result.rows:
                groups.setdefault(r[dimension], {})[name] = r["value"] or Decimal(0)
        pct = {
            g: (v["margin"] * 100 / v["revenue"]).quantize(Decimal("0.1"), ROUND_HALF_UP)
            for g, v in groups.items()
            if g is not None and v.get("revenue", 0) > 0 and "margin" in v
        }
        if len(pct) < 3:
            continue
        median = Decimal(statistics.median(pct.values())).quantize(Decimal("0.1"))
        low = sorted(
            (g for g, p in pct.items() if p < median - WELL_BELOW_POINTS),
            key=lambda g: (pct[g], str(g)),
        )
        found += [Cluster(dimension, str(g), groups[g]["revenue"], pct[g], median) for g in low[:3]]
    return found


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


def _signed(value: Decimal) -> str:
    return f"+{value:,.2f}" if value >= 0 else f"-{-value:,.2f}"


def narrative(c: Commentary) -> str:
    b = c.bridge
    move = b.margin_now - b.margin_before
    direction = "up" if move > 0 else "down" if move < 0 else "unchanged"
    share = (
        f" ({(b.margin_now * 100 / c.revenue_now).quantize(Decimal('0.1'), ROUND_HALF_UP)} % "
        "of revenue)"
        if c.revenue_now
        else ""
    )
    lines = [
        f"Margin for {c.period.label} was {_money(b.margin_now)} {c.currency}{share}, "
        f"{direction} {_money(abs(move))} on {c.previous.label} ({_money(b.margin_before)}).",
        f"Of the change, price contributed {_signed(b.price)}, volume {_signed(b.volume)}, "
        f"mix {_signed(b.mix)}, products billed in only one of the two months "
        f"{_signed(b.new_and_lost)}, credit notes {_signed(b.credits)} and cost "
        f"{_signed(b.cost)}.",
    ]
    if c.variances:
        parts = [
            f"{v.job} for {v.customer}, delivered {_money(v.delivered)} against "
            f"{_money(v.quoted)} quoted ({_signed(v.difference)})"
            for v in c.variances
        ]
        lines.append(
            "Largest differences between quoted and delivered value among jobs finished in "
            f"{c.period.label}: " + "; ".join(parts) + "."
        )
    if c.clusters:
        parts = [
            f"{k.dimension} {k.group} at {k.margin_pct} % on {_money(k.revenue)} revenue "
            f"(median {k.median_pct} %)"
            for k in c.clusters
        ]
        lines.append("Low-margin work well below the median: " + "; ".join(parts) + ".")
    else:
        lines.append("No rep or region sits more than 10 points below the median margin.")
    return "\n\n".join(textwrap.fill(line, width=88) for line in lines) + "\n"
