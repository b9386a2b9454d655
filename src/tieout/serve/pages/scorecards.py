"""Scorecards: what each function is measured on, each metric's value for the as-of month
against the month before, and a warning where a function is scored mostly on metrics that
another function owns."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from tieout.config import LoadedProject
from tieout.engine import Warehouse
from tieout.errors import TieoutError
from tieout.metrics import Catalogue, Period, compute
from tieout.metrics.scorecards import lint_scorecards
from tieout.serve import data
from tieout.serve.permits import permits
from tieout.serve.render import reading, render

router = APIRouter()


def scorecard_view(request: Request) -> dict[str, Any]:
    """Every function's metrics with their as-of month values (computed once per snapshot:
    a snapshot never changes) and the lint's warnings."""
    state = request.app.state
    cards = state.project.definitions.scorecards
    names = sorted({m for metrics in cards.values() for m in metrics})
    with reading(request) as wh:
        as_of = data.health_as_of(wh)
        values: dict[str, dict[str, Any]] = state.reader.once(
            "scorecards",
            wh,
            lambda w: _values(w, state.project, state.catalogue, names, as_of),
        )
    month = Period.month(f"{as_of:%Y-%m}")
    functions = []
    for function, metrics in cards.items():
        rows = []
        for name in metrics:
            metric = state.catalogue.get(name)
            rows.append(
                {
                    "metric": name,
                    "title": metric.title,
                    "owner": metric.owner,
                    "unit": metric.unit,
                    "foreign": metric.owner != function,
                    "href": _drill(name, metric.dimensions),
                    **values[name],
                }
            )
        functions.append({"function": function, "metrics": rows})
    return {
        "as_of": as_of,
        "month": month.label,
        "compared_with": month.shifted("previous").label,
        "functions": functions,
        "warnings": [
            {"function": w.function, "text": w.text}
            for w in lint_scorecards(cards, state.catalogue)
        ],
    }


def _values(
    wh: Warehouse,
    project: LoadedProject,
    catalogue: Catalogue,
    names: list[str],
    as_of: dt.date,
) -> dict[str, dict[str, Any]]:
    """Each metric for the as-of month and the month before; a metric the snapshot cannot
    compute (a mart a source did not feed) has no value rather than failing the page."""
    month = Period.month(f"{as_of:%Y-%m}")
    found: dict[str, dict[str, Any]] = {}
    for name in names:
        value: Decimal | None = None
        previous: Decimal | None = None
        problem = None
        try:
            result = compute(
                wh,
                catalogue,
                name,
                by=[],
                period=month,
                compare="previous",
                currency=project.config.reporting_currency,
                as_of=as_of,
            )
            value, previous = result.total, result.total_compared
        except TieoutError as exc:
            problem = str(exc)
        change = None if value is None or previous is None else value - previous
        found[name] = {"value": value, "previous": previous, "change": change, "problem": problem}
    return found


def _drill(name: str, dimensions: Collection[str]) -> str:
    """Where a metric's figure splits into the rows behind it: by customer where it can."""
    for split in ("customer", "job"):
        if split in dimensions:
            return f"/metrics/{name}?by={split}"
    return f"/definitions#{name}"


@router.get("/scorecards", response_class=HTMLResponse, dependencies=[Depends(permits("view"))])
def scorecards_page(request: Request) -> HTMLResponse:
    return render(request, "scorecards.html", s=scorecard_view(request))
