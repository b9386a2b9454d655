"""Accounts by health, worst first, and one account's page."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from tieout.serve import charts, reads
from tieout.serve.headers import draws_charts
from tieout.serve.permits import Viewer
from tieout.serve.render import render

router = APIRouter()
PAGE_ROWS = 200  # worst first; the API pages through the rest


@router.get("/accounts", response_class=HTMLResponse)
def accounts_page(request: Request, who: Viewer, health: str | None = None) -> HTMLResponse:
    rows = reads.accounts_for(request, who, health, limit=PAGE_ROWS)
    return render(request, "accounts.html", rows=rows, health=health, shown=PAGE_ROWS)


@router.get("/accounts/{account_key}", response_class=HTMLResponse)
def account_page(request: Request, who: Viewer, account_key: str) -> HTMLResponse:
    found = reads.account_for(request, who, account_key)
    months = [
        {
            "label": str(m["month"]),
            "value": m["value"],
            "href": f"/metrics/margin?by=job&period={m['month']}",
        }
        for m in found["margin"]
        if m.get("value") is not None
    ]
    spec = charts.split_bars(months, "Margin by month (click a month for its jobs)", "")
    return draws_charts(render(request, "account.html", a=found, spec=json.dumps(spec)))
