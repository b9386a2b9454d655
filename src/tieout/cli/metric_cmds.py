"""`tieout metrics`: governed numbers, each from one versioned definition."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Annotated, Any, cast

import typer

from tieout import pipeline
from tieout.cli.common import FormatOption, ProjectOption, find_project, parse_date, reported_errors
from tieout.cli.output import Format, amount, console, emit, write_json
from tieout.config import LoadedProject
from tieout.engine import Warehouse
from tieout.errors import UsageError
from tieout.metrics import (
    DIMENSIONS,
    Catalogue,
    Compare,
    MetricResult,
    Period,
    compute,
)
from tieout.state.metric_versions import register

app = typer.Typer(help="Governed metrics: one definition, one version, every number traced.")


@app.command("list")
def list_metrics(project: ProjectOption = None, fmt: FormatOption = Format.table) -> None:
    """Every metric with its owner, unit, version and the splits it allows."""
    with reported_errors():
        catalogue = catalogue_for(find_project(project))
    rows = [
        {
            "name": m.name,
            "title": m.title,
            "version": m.version,
            "owner": m.owner,
            "unit": m.unit,
            "good": m.good,
            "kind": "fact" if m.fact else f"formula: {m.formula}",
            "dimensions": ", ".join(m.dimensions),
            "description": m.description,
            "defined_in": catalogue.sources[m.name],
        }
        for m in catalogue.metrics.values()
    ]
    columns = list(rows[0]) if rows else []
    shown = ["name", "version", "owner", "unit", "kind", "dimensions"]
    emit(rows, shown if fmt is Format.table else columns, fmt, title="Metrics", wrap=["kind"])


@app.command("show")
def show(
    name: str,
    by: Annotated[
        str | None, typer.Option(help=f"split by, comma-separated: {', '.join(DIMENSIONS)}")
    ] = None,
    period: Annotated[
        str | None, typer.Option(help="a month (2026-09) or a year (2026); default: as-of month")
    ] = None,
    compare: Annotated[
        str | None, typer.Option(help="previous, last-year or ytd (year to date vs last year's)")
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="read the snapshot as it stood on this date")
    ] = None,
    project: ProjectOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """One metric for a period, split and compared."""
    with reported_errors():
        loaded = find_project(project)
        dims = [d.strip() for d in by.split(",") if d.strip()] if by else []
        if compare not in (None, "previous", "last-year", "ytd"):
            raise UsageError(f"--compare must be previous, last-year or ytd, got {compare!r}")
        with metrics_snapshot(loaded, parse_date(as_of)) as (catalogue, wh, day_of_run):
            chosen = Period.parse(period or day_of_run.strftime("%Y-%m"))
            result = compute(
                wh,
                catalogue,
                name,
                by=dims,
                period=chosen,
                compare=cast(Compare | None, compare),  # checked above
                currency=loaded.config.reporting_currency,
                as_of=day_of_run,
            )
    _emit(result, loaded.config.reporting_currency, day_of_run, catalogue.sources[name], fmt)


def catalogue_for(loaded: LoadedProject) -> Catalogue:
    """The project's metrics, their versions checked against the ones already used."""
    catalogue = loaded.definitions.metrics
    store = pipeline.state_store(loaded)
    try:
        register(
            store,
            [
                (m.name, m.version, m.digest(), catalogue.sources[m.name])
                for m in catalogue.metrics.values()
            ],
        )
    finally:
        store.close()
    return catalogue


@contextmanager
def metrics_snapshot(
    loaded: LoadedProject, day: dt.date | None = None
) -> Iterator[tuple[Catalogue, Warehouse, dt.date]]:
    """The checked metric definitions and the snapshot to answer from (current, or as it
    stood on `day`), with that snapshot's as-of date."""
    catalogue = catalogue_for(loaded)
    snaps = pipeline.snapshots(loaded)
    with snaps.open_as_of(day) if day else snaps.open_current() as wh:
        yield catalogue, wh, run_as_of(wh)


def run_as_of(wh: Warehouse) -> dt.date:
    value = wh.scalar("SELECT max(as_of) FROM run_info")
    if not isinstance(value, dt.date):
        raise UsageError("the snapshot has no run information: run `tieout run`")
    return value


def _emit(result: MetricResult, currency: str, as_of: dt.date, source: str, fmt: Format) -> None:
    m = result.metric
    keys = [k for d in result.by for k in (["account_key", "customer"] if d == "customer" else [d])]
    compared = result.compared_with is not None
    columns = [*keys, "value", *(["compared", "change"] if compared else [])]
    if fmt is Format.json:
        payload = {
            "metric": m.name,
            "version": m.version,
            "defined_in": source,
            "unit": m.unit,
            "currency": currency if m.unit == "money" else None,
            "as_of": as_of,
            "period": {
                "label": result.period.label,
                "start": result.period.start,
                "end": result.period.end,
            },
            "compared_with": (
                {
                    "label": result.compared_with.label,
                    "start": result.compared_with.start,
                    "end": result.compared_with.end,
                }
                if result.compared_with
                else None
            ),
            "by": result.by,
            "rows": [{c: r.get(c) for c in columns} for r in result.rows],
            "total": result.total,
            "total_compared": result.total_compared,
        }
        write_json(payload)
        return
    rows = list(result.rows)
    if fmt is Format.table:
        total: dict[str, Any] = {keys[0]: "TOTAL"} if keys else {}
        total.update(value=result.total, compared=result.total_compared)
        total["change"] = (
            result.total - result.total_compared
            if result.total is not None and result.total_compared is not None
            else None
        )
        rows = [*rows, total] if keys else [total]
        shown = [c for c in columns if c != "account_key"] if "customer" in keys else columns
        versus = f" vs {result.compared_with.label}" if result.compared_with else ""
        unit = currency if m.unit == "money" else m.unit
        emit(
            [{c: _shown(r.get(c)) for c in shown} for r in rows],
            shown,
            fmt,
            title=f"{m.title} (v{m.version}, {unit}) {result.period.label}{versus}, as of {as_of}",
            numeric=["value", "compared", "change"],
        )
        console.print(f"{m.name} v{m.version}: {m.description}", style="dim", highlight=False)
        return
    emit(rows, columns, fmt)


def _shown(value: Any) -> Any:
    return amount(value) if isinstance(value, Decimal) else value
