"""The overview: headline figures, each linking to what makes it up; the metric drill
(a figure split by job or customer, as an interactive chart and a table); the board pack."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from tieout.metrics import Period
from tieout.reports.board import board_pack, to_html, to_pdf
from tieout.serve import charts, data, reads
from tieout.serve.headers import draws_charts
from tieout.serve.permits import Viewer, limited, permits
from tieout.serve.render import own_accounts, reading, render, snapshot

router = APIRouter()
PAGE_ROWS = 200  # worst first; the API pages through the rest
CHART_BARS = 25


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, who: Viewer) -> HTMLResponse:
    state = request.app.state
    info = snapshot(request)
    figures: dict[str, Any] = {}
    plan: dict[str, int] = {}
    red: list[dict[str, Any]] = []
    own: set[str] | None = set() if limited(request, who) else None  # no snapshot: none known
    if info["as_of"]:
        own = own_accounts(request, who)
        with reading(request) as wh:
            figures = state.reader.once(
                "headlines",
                wh,
                lambda w: data.headlines(w, state.project, state.catalogue, info["as_of"]),
            )
            red = data.accounts(wh, "red", own, limit=PAGE_ROWS)
            plan = data.plan_attainment(wh, state.catalogue, info["as_of"])
    return render(
        request,
        "overview.html",
        figures=figures,
        totals=data.exception_totals(state.store, state.totals, own),
        red=red,
        plan=plan,
        snapshot=info,
        board=not limited(request, who),
    )


@router.get("/metrics/{name}", response_class=HTMLResponse)
def metric_page(
    request: Request, who: Viewer, name: str, by: str = "job", period: str | None = None
) -> HTMLResponse:
    found = reads.metric_split(request, who, name, by, period)
    worst = found["rows"][:CHART_BARS]
    spec = charts.split_bars(
        worst, f"{found['title']} by {by}, {found['period']}: the lowest {len(worst)}", ""
    )
    return draws_charts(render(request, "metric.html", m=found, spec=json.dumps(spec)))


@router.get("/vendor/vega.js")
def vega_script() -> Response:
    """The chart library, public like /static (tests/test_serve_routes.py lists it)."""
    return Response(
        charts.vega_bundle(),
        media_type="text/javascript",
        headers={"Cache-Control": "public, max-age=86400"},
    )


@router.get("/board.pdf", dependencies=[Depends(permits("view", company=True))])
def board_pdf(request: Request, period: str | None = None) -> Response:
    """The board pack of a month (default: the as-of month), as the CLI writes it: the
    whole company's red accounts and exceptions, so not for a role kept to its own."""
    state = request.app.state
    with reading(request) as wh:
        as_of = wh.scalar("SELECT max(as_of) FROM run_info")
        month = Period.month(period or f"{as_of:%Y-%m}")
        pack = board_pack(wh, state.project, state.store, state.catalogue, month, as_of)
    return Response(
        to_pdf(to_html(pack)),
        media_type="application/pdf",
        headers={"Content-Disposition": f"attachment; filename=board-{month.label}.pdf"},
    )
