"""The board pack: one month for leadership, every figure taken from the same governed
metrics, exception cases, account health, close and commentary the app and the CLI show.

`board_pack(...)` gathers the figures; `to_html` renders them (the margin bridge as an SVG
chart built with Altair and drawn offline by vl-convert); `to_pdf` prints that HTML with
WeasyPrint."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from tieout.config import LoadedProject
from tieout.engine import Warehouse
from tieout.metrics import Catalogue, Period, compute
from tieout.plan.variance import measure, variance_row
from tieout.reconcile.close import close_from_snapshot
from tieout.reports.commentary import Bridge, commentary
from tieout.state.exceptions import OPEN_STATUSES, cases
from tieout.state.plans import approved, explanations
from tieout.state.store import StateStore

KPIS = (
    ("revenue", "Revenue"),
    ("margin", "Margin"),
    ("margin_pct", "Margin %"),
    ("quoted_value", "Quoted"),
    ("delivered_value", "Delivered"),
    ("billed_vs_delivered", "Billed less delivered"),
)
TOP_EXCEPTIONS = 10


@dataclass(frozen=True)
class Kpi:
    metric: str
    title: str
    unit: str
    now: Decimal | None
    before: Decimal | None


@dataclass(frozen=True)
class BoardPack:
    period: Period
    previous: Period
    currency: str
    as_of: dt.date
    kpis: list[Kpi]
    bridge: Bridge
    plan: list[dict[str, Any]]
    exceptions: list[dict[str, Any]]
    red_accounts: list[dict[str, Any]]
    close: dict[str, Decimal]
    commentary: str


def board_pack(
    wh: Warehouse,
    project: LoadedProject,
    store: StateStore,
    catalogue: Catalogue,
    period: Period,
    as_of: dt.date,
) -> BoardPack:
    currency = project.config.reporting_currency
    plan_rows = [
        variance_row(v, as_of)
        for found in approved(store)
        for v in measure(
            wh, catalogue, found, explanations(store, found.version.plan), currency, as_of
        )[0]
        if v.period == period.label
    ]
    previous = period.shifted("previous")
    kpis = []
    for name, title in KPIS:
        if name not in catalogue.metrics:
            continue
        result = compute(
            wh,
            catalogue,
            name,
            by=[],
            period=period,
            compare="previous",
            currency=currency,
            as_of=as_of,
        )
        kpis.append(Kpi(name, title, catalogue.get(name).unit, result.total, result.total_compared))
    written = commentary(wh, catalogue, period, currency, as_of)
    close, _ = close_from_snapshot(wh, project, store, period)
    open_cases = [
        c for c in cases(store, rule=None, status=None, owner=None) if c.status in OPEN_STATUSES
    ][:TOP_EXCEPTIONS]
    red = wh.query_dicts(
        "SELECT name, tier, stage, score, reasons FROM account_health WHERE band = 'red' "
        "ORDER BY score, name"
    )
    for r in red:
        r["reasons"] = json.loads(r["reasons"] or "[]")
    return BoardPack(
        period=period,
        previous=previous,
        currency=currency,
        as_of=as_of,
        kpis=kpis,
        bridge=written.bridge,
        plan=plan_rows,
        exceptions=[
            {
                "rule": c.rule,
                "owner": c.owner,
                "amount_at_risk": c.amount_at_risk,
                "detail": c.detail,
                "status": c.status,
            }
            for c in open_cases
        ],
        red_accounts=red,
        close=close.total.as_dict(),
        commentary=written.text(),
    )


def bridge_svg(pack: BoardPack) -> str:
    """Margin last month to this month: price, volume, mix, new and lost, credits, cost."""
    import altair as alt
    import vl_convert

    b = pack.bridge
    steps = [
        ("Price", b.price),
        ("Volume", b.volume),
        ("Mix", b.mix),
        ("New and lost", b.new_and_lost),
        ("Credits", b.credits),
        ("Cost", b.cost),
    ]
    rows, level = [], b.margin_before
    rows.append({"step": pack.previous.label, "start": 0.0, "end": float(level), "kind": "total"})
    for label, change in steps:
        rows.append(
            {
                "step": label,
                "start": float(level),
                "end": float(level + change),
                "kind": "up" if change >= 0 else "down",
            }
        )
        level += change
    rows.append(
        {"step": pack.period.label, "start": 0.0, "end": float(b.margin_now), "kind": "total"}
    )
    order = [str(r["step"]) for r in rows]
    chart = (
        alt.Chart({"values": rows})
        .mark_bar()
        .encode(
            x=alt.X("step:N", sort=order, title=None),
            y=alt.Y("start:Q", title=f"Margin ({pack.currency})"),
            y2="end:Q",
            color=alt.Color(
                "kind:N",
                scale=alt.Scale(
                    domain=["total", "up", "down"], range=["#4a6fa5", "#2e8b57", "#c0392b"]
                ),
                legend=None,
            ),
            tooltip=["step:N", "start:Q", "end:Q"],
        )
        .properties(width=560, height=240, title="Margin bridge")
    )
    return str(vl_convert.vegalite_to_svg(chart.to_json()))


def to_html(pack: BoardPack) -> str:
    folder = str(resources.files("tieout.reports") / "templates")
    env = Environment(loader=FileSystemLoader(folder), autoescape=select_autoescape(["html"]))
    env.filters["money"] = lambda v: "–" if v is None else f"{Decimal(v):,.2f}"
    env.filters["pct"] = lambda v: "–" if v is None else f"{Decimal(v):,.1f} %"
    return env.get_template("board.html").render(pack=pack, chart=bridge_svg(pack))


def to_pdf(html: str) -> bytes:
    from weasyprint import HTML  # Pango-backed: loaded only when a PDF is asked for

    return bytes(HTML(string=html).write_pdf())
