"""`tieout report`: reports built from the governed metrics."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from tieout import pipeline
from tieout.cli.common import (
    FormatOption,
    ProjectOption,
    ReportFormatOption,
    find_project,
    parse_date,
    reported_errors,
)
from tieout.cli.metric_cmds import metrics_snapshot
from tieout.cli.output import (
    Format,
    ReportFormat,
    amount,
    console,
    emit,
    err_console,
    write_json,
    write_xlsx,
)
from tieout.errors import UsageError
from tieout.metrics import Period
from tieout.metrics.commission import CommissionReport, commission_report
from tieout.metrics.forecast import backtest, forecast
from tieout.metrics.pipeline_movement import pipeline_movement
from tieout.reports.board import BoardPack, board_pack, to_html, to_pdf
from tieout.reports.commentary import commentary
from tieout.reports.reword import reword
from tieout.reports.spreadsheet import Sheet

app = typer.Typer(help="Reports built from the governed metrics.")

REP_COLUMNS = ["rep", "jobs", "basis", "commission", "rate_pct"]
JOB_COLUMNS = ["rep", "job", "job_key", "basis"]
MOVEMENT_COLUMNS = [
    "category",
    "native_id",
    "name",
    "account_key",
    "open_before",
    "open_now",
    "change",
    "close_before",
    "close_now",
]


@app.command("commission")
def commission(
    period: Annotated[str, typer.Option("--period", help="the month, e.g. 2026-09")],
    project: ProjectOption = None,
    fmt: ReportFormatOption = ReportFormat.table,
    out: Annotated[
        Path | None, typer.Option(help="xlsx file to write (default commission-YYYY-MM.xlsx)")
    ] = None,
) -> None:
    """Commission per rep on realised margin, with every job that contributed."""
    with reported_errors():
        loaded = find_project(project)
        with metrics_snapshot(loaded) as (catalogue, wh, day):
            report = commission_report(
                wh,
                catalogue,
                loaded.config.commission,
                Period.parse(period),
                loaded.config.reporting_currency,
                day,
            )
    reps = [_rep(r) for r in report.reps]
    jobs = [j.__dict__ for j in report.jobs]
    if fmt is ReportFormat.json:
        payload = {
            "period": report.period.label,
            "basis": {"metric": report.basis_metric, "version": report.basis_version},
            "basis_total": report.basis_total,
            "reps": reps,
            "jobs": jobs,
        }
        write_json(payload)
    elif fmt is ReportFormat.csv:
        emit(reps, REP_COLUMNS, Format.csv)
    elif fmt is ReportFormat.xlsx:
        dest = out or Path(f"commission-{report.period.label}.xlsx")
        write_xlsx(
            dest,
            [("Reps", REP_COLUMNS, reps), ("Jobs", JOB_COLUMNS, jobs)],
            {"basis", "commission", "rate_pct"},
        )
        console.print(f"wrote {dest}")
    else:
        _table(report, reps)


def _rep(line: Any) -> dict[str, Any]:
    return {
        "rep": line.rep,
        "jobs": line.jobs,
        "basis": line.basis,
        "commission": line.commission,
        "rate_pct": line.rate_pct,
    }


def _table(report: CommissionReport, reps: list[dict[str, Any]]) -> None:
    table = Table(
        title=f"Commission {report.period.label} on {report.basis_metric} v{report.basis_version}",
        title_justify="left",
        header_style="bold",
    )
    table.add_column("rep")
    for name in ("jobs", "basis", "commission", "rate %"):
        table.add_column(name, justify="right", no_wrap=True)
    for r in reps:
        table.add_row(
            r["rep"],
            str(r["jobs"]),
            amount(r["basis"]),
            amount(r["commission"]),
            "" if r["rate_pct"] is None else f"{r['rate_pct']}",
        )
    basis = sum((r["basis"] for r in reps), Decimal(0))
    commission_total = sum((r["commission"] for r in reps), Decimal(0))
    table.add_row("TOTAL", "", amount(basis), amount(commission_total), "", style="bold")
    console.print(table)
    console.print(
        f"{report.basis_metric} for {report.period.label}: {report.basis_total:,.2f}; "
        f"reps' bases add up to {basis:,.2f} (difference {report.basis_total - basis:,.2f}). "
        "Jobs behind each figure: --format json or xlsx.",
        style="dim",
        highlight=False,
    )


@app.command("commentary")
def commentary_cmd(
    period: Annotated[str, typer.Option("--period", help="the month, e.g. 2026-09")],
    project: ProjectOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="the facts behind the text")] = False,
) -> None:
    """What moved margin this month against the last, in words computed from the numbers."""
    with reported_errors():
        loaded = find_project(project)
        with metrics_snapshot(loaded) as (catalogue, wh, day):
            written = commentary(
                wh, catalogue, Period.parse(period), loaded.config.reporting_currency, day
            )
    text, rejected, by_model = written.text(), [], False
    llm = loaded.config.commentary.llm
    if llm is not None:
        reworded = reword(text, llm)
        text, rejected, by_model = reworded.text, reworded.rejected, reworded.by_model
        problem = (
            f"numbers not in the computed facts: {', '.join(reworded.rejected)}"
            if reworded.rejected
            else reworded.error
        )
        if problem:
            store = pipeline.state_store(loaded)
            store.audit(
                "commentary.llm_rejected",
                "commentary",
                period,
                {"model": llm.model, "rejected": reworded.rejected, "error": reworded.error},
            )
            store.close()
            err_console.print(
                f"[yellow]warning:[/] the model's wording was not used ({problem}); "
                "this is the computed text",
                highlight=False,
            )
    if as_json:
        payload = {
            "text": text,
            "by_model": by_model,
            "rejected_numbers": rejected,
            "bridge": written.bridge.__dict__,
            "variances": [v.__dict__ for v in written.variances],
            "clusters": [k.__dict__ for k in written.clusters],
        }
        write_json(payload)
    else:
        sys.stdout.write(text)


@app.command("pipeline")
def pipeline_cmd(
    since: Annotated[str, typer.Option("--since", help="compare with the snapshot of this date")],
    project: ProjectOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Pipeline movement since an earlier snapshot: new, won, lost, pulled in, pushed out,
    changed in amount."""
    with reported_errors():
        loaded = find_project(project)
        day = parse_date(since, "--since")
        assert day is not None
        snaps = pipeline.snapshots(loaded)
        earlier = snaps.path_as_of(day)
        with snaps.open_current() as wh:
            moved = pipeline_movement(wh, earlier, loaded.config.reporting_currency)
    if fmt is not Format.table:
        emit(moved.rows, MOVEMENT_COLUMNS, fmt)
        return
    emit(
        [{**r, "change": amount(r["change"])} for r in moved.summary()],
        ["category", "opportunities", "change"],
        fmt,
        title=f"Pipeline movement since {since} ({loaded.config.reporting_currency})",
        numeric=["opportunities", "change"],
    )
    console.print(
        f"open pipeline {moved.open_before:,.2f} -> {moved.open_now:,.2f} "
        f"({moved.open_now - moved.open_before:+,.2f}); each opportunity: --format json or csv",
        highlight=False,
    )


@app.command("forecast")
def forecast_cmd(
    months: Annotated[int, typer.Option(min=1, max=36, help="months ahead")] = 6,
    backtest_: Annotated[
        bool, typer.Option("--backtest", help="score the method on the last months instead")
    ] = False,
    project: ProjectOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Revenue, cost and cash by month ahead, layer by layer; or its backtest."""
    with reported_errors():
        loaded = find_project(project)
        currency = loaded.config.reporting_currency
        with metrics_snapshot(loaded) as (catalogue, wh, day):
            if backtest_:
                points = backtest(wh, catalogue, currency, day, horizon=min(months, 3))
            else:
                made = forecast(wh, catalogue, currency, day, months)
    if backtest_:
        rows = [
            {
                "forecast_made": p.at,
                "month": p.month.strftime("%Y-%m"),
                "horizon": p.horizon,
                "forecast": p.forecast.quantize(Decimal("0.01")),
                "actual": p.actual,
                "error_pct": p.error_pct,
            }
            for p in points
        ]
        emit(
            rows,
            list(rows[0]) if rows else [],
            fmt,
            title="Forecast backtest (revenue)",
            numeric=["horizon", "forecast", "actual", "error_pct"],
        )
        if fmt is Format.table:
            for h in sorted({p.horizon for p in points}):
                errors = [
                    abs(p.error_pct) for p in points if p.horizon == h and p.error_pct is not None
                ]
                if errors:
                    console.print(
                        f"{h} month(s) ahead: mean absolute error {sum(errors) / len(errors):.1f} %"
                    )
        return
    keys = sorted({k for m in made.months for k in m.revenue})
    months_ahead: list[dict[str, Any]] = [
        {
            "month": m.month.strftime("%Y-%m"),
            **{k: m.revenue.get(k, Decimal("0.00")) for k in keys},
            "revenue": m.total,
            "cost": m.cost,
            "cash": m.cash,
        }
        for m in made.months
    ]
    columns = ["month", *keys, "revenue", "cost", "cash"]
    if fmt is not Format.table:
        emit(months_ahead, columns, fmt)
        return
    # people read layers down and months across; whole units, exact with --format json|csv
    labels = [m.month.strftime("%Y-%m") for m in made.months]
    transposed = [
        {
            "": name.replace("_", " "),
            **{m: f"{r[name]:,.0f}" for m, r in zip(labels, months_ahead, strict=True)},
        }
        for name in columns[1:]
    ]
    emit(
        transposed,
        ["", *labels],
        fmt,
        title=f"Forecast after {made.at} ({currency}, whole units)",
        numeric=labels,
    )
    if fmt is Format.table:
        console.print(
            f"cost at {made.cost_ratio * 100:.1f} % of revenue (the three months before); cash "
            f"{made.terms_months} month(s) after billing; unknown deal odds at the "
            f"{made.win_rate * 100:.1f} % win rate",
            style="dim",
            highlight=False,
        )


@app.command("board")
def board(
    period: Annotated[str, typer.Option("--period", help="the month, e.g. 2026-09")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="pdf, xlsx or html")] = "pdf",
    out: Annotated[
        Path | None, typer.Option(help="file to write (default board-PERIOD.EXT)")
    ] = None,
    project: ProjectOption = None,
) -> None:
    """The board pack: headline figures against the month before, the margin bridge, plan
    against actual, top exceptions, red accounts, the close and the commentary."""
    with reported_errors():
        if fmt not in ("pdf", "xlsx", "html"):
            raise UsageError("--format must be pdf, xlsx or html")
        loaded = find_project(project)
        month = Period.month(period)
        store = pipeline.state_store(loaded)
        try:
            with metrics_snapshot(loaded) as (catalogue, wh, day):
                pack = board_pack(wh, loaded, store, catalogue, month, day)
        finally:
            store.close()
        dest = out or Path(f"board-{month.label}.{fmt}")
        if fmt == "xlsx":
            write_xlsx(dest, board_sheets(pack), amounts=BOARD_AMOUNTS)
        else:
            html = to_html(pack)
            if fmt == "html":
                dest.write_text(html, encoding="utf-8")
            else:
                dest.write_bytes(to_pdf(html))
    console.print(f"board pack for {month.label} written to {dest}", highlight=False)


BOARD_AMOUNTS = ("now", "before", "target", "actual", "amount_at_risk", "value")


def board_sheets(pack: BoardPack) -> list[Sheet]:
    return [
        (
            "Headlines",
            ["figure", "unit", "now", "before"],
            [
                {"figure": k.title, "unit": k.unit, "now": k.now, "before": k.before}
                for k in pack.kpis
            ],
        ),
        (
            "Margin bridge",
            ["step", "value"],
            [{"step": n, "value": v} for n, v in pack.bridge.__dict__.items()],
        ),
        (
            "Plan",
            ["period", "metric", "member", "target", "actual", "variance_pct", "state"],
            pack.plan,
        ),
        ("Exceptions", ["rule", "owner", "amount_at_risk", "status", "detail"], pack.exceptions),
        ("Red accounts", ["name", "tier", "stage", "score"], pack.red_accounts),
        (
            "Close",
            ["measure", "value"],
            [{"measure": k, "value": v} for k, v in pack.close.items()],
        ),
        ("Commentary", ["text"], [{"text": pack.commentary}]),
    ]
