"""Accounts: one health view per customer, and the decisions leadership owes them.

Entry point `run(wh, project, store, as_of) -> AccountsSummary`, after reconcile: gathers
each customer's sales, service, delivery and finance signals (sql/signals.sql) and its open
exception cases (the state store, so an acknowledgement keeps a cap and a resolve or an
approved waiver lifts it), scores them (`health.score`), keeps the score, band and reasons in
the state store for the trend, writes account_health, and raises a decision request for each
account that crosses a threshold, naming the exceptions behind its band.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources

import pyarrow as pa

from tieout.accounts.decisions import raise_by_thresholds
from tieout.accounts.health import Health, OpenException, score
from tieout.config import LoadedProject
from tieout.engine import Warehouse
from tieout.errors import TieoutError
from tieout.metrics import Period, compute
from tieout.state import StateStore
from tieout.state.exceptions import open_by_account
from tieout.state.health import record_scores

__all__ = ["AccountsSummary", "run"]


@dataclass(frozen=True)
class AccountsSummary:
    bands: dict[str, int]
    decisions_raised: int
    warnings: tuple[str, ...]  # signals that could not be scored, and why


def run(
    wh: Warehouse, project: LoadedProject, store: StateStore, as_of: dt.date
) -> AccountsSummary:
    cfg = project.config
    h = cfg.health
    wh.run_script(
        (resources.files("tieout.accounts") / "sql" / "signals.sql").read_text("utf-8"),
        {
            "health_as_of": as_of,
            "health_currency": cfg.reporting_currency,
            "health_window": h.window_days,
            "health_aged": h.aged_days,
            "health_overdue": h.overdue_days,
        },
    )
    warnings: list[str] = []
    try:
        margins = _margins(wh, project, as_of)
    except TieoutError as exc:  # e.g. revenue in a currency with no rate: the run says so
        margins = {}
        warnings.append(f"account health scored without margin: {exc}")
    effects = {r.rule.id: r.health for r in project.definitions.rules}
    cases = open_by_account(store)
    scored: dict[str, tuple[dict[str, object], Health]] = {}
    for row in wh.query_dicts("SELECT * FROM _health_signal ORDER BY account_key"):
        key = row["account_key"]
        start = row["newest_start"]
        scored[key] = (
            row,
            score(
                row,
                h,
                margin_pct=margins.get(key),
                days_since_start=(as_of - start).days if start else None,
                exceptions=[OpenException(*c) for c in cases.get(key, [])],
                effects=effects,
            ),
        )
    wh.drop_table("_health_signal")
    previous = record_scores(
        store,
        as_of,
        {k: (v.score, v.band, v.stage, v.reasons) for k, (_, v) in scored.items()},
    )
    _write(wh, scored, previous)
    bands = {
        b: sum(1 for _, v in scored.values() if v.band == b) for b in ("red", "amber", "green")
    }
    raised = raise_by_thresholds(wh, store, cfg.decisions.thresholds, as_of)
    return AccountsSummary(bands, len(raised), tuple(warnings))


def _margins(wh: Warehouse, project: LoadedProject, as_of: dt.date) -> dict[str, Decimal]:
    """Each customer's margin % over the twelve months to the as-of date (the governed metric)."""
    start = (as_of.replace(day=1) - dt.timedelta(days=334)).replace(day=1)
    period = Period(start, as_of, f"{start:%Y-%m}..{as_of:%Y-%m}")
    result = compute(
        wh,
        project.definitions.metrics,
        "margin_pct",
        by=["customer"],
        period=period,
        compare=None,
        currency=project.config.reporting_currency,
        as_of=as_of,
    )
    return {r["account_key"]: r["value"] for r in result.rows if r["value"] is not None}


def _write(
    wh: Warehouse,
    scored: dict[str, tuple[dict[str, object], Health]],
    previous: dict[str, Decimal],
) -> None:
    rows = []
    for key, (signals, health) in scored.items():
        before = previous.get(key)
        trend = (
            None
            if before is None
            else "up"
            if health.score > before
            else "down"
            if health.score < before
            else "same"
        )
        rows.append(
            {
                "account_key": key,
                "name": signals["name"],
                "tier": signals["tier"],
                "stage": health.stage,
                "score": health.score,
                "band": health.band,
                "reasons": json.dumps(health.reasons),
                "renewal_date": signals["renewal_date"],
                "renewal_days": signals["renewal_days"],
                "contract_value": signals["contract_value"],
                "open_pipeline": signals["open_pipeline"],
                "previous_score": before,
                "trend": trend,
            }
        )
    wh.execute("DELETE FROM account_health")
    if rows:
        wh.register_arrow("_health_in", pa.Table.from_pylist(rows))
        wh.execute("INSERT INTO account_health BY NAME SELECT * FROM _health_in")
        wh.unregister("_health_in")
