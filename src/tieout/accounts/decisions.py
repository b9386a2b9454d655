"""Decision thresholds: accounts whose health crosses a line in tieout.yml get a decision
request for leadership, automatically, once per crossing."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence

import sqlglot

from tieout.config.operating import DecisionThreshold
from tieout.engine import Warehouse, render
from tieout.state import StateStore
from tieout.state.decisions import Crossing, sync_threshold


def behind(reasons: str | None) -> list[str]:
    """The exception ids an account's health reasons (account_health.reasons) name, those
    that cap its band first."""
    found = sorted(
        (r for r in json.loads(reasons or "[]") if r.get("exceptions")),
        key=lambda r: r.get("cap") is None,
    )
    return [i for r in found for i in r["exceptions"]]


def raise_by_thresholds(
    wh: Warehouse,
    store: StateStore,
    thresholds: Sequence[DecisionThreshold],
    as_of: dt.date,
) -> list[str]:
    """Evaluate each threshold over account_health and raise one open request per account
    and threshold (money at stake: the contract value; due: as-of + due_days; the open
    exceptions its health reasons name); returns the ids raised in this call."""
    raised: list[str] = []
    for threshold in thresholds:  # each condition checked when tieout.yml loaded
        condition = render(sqlglot.parse_one(threshold.when, read="duckdb"))
        rows = wh.query(
            "SELECT account_key, any_value(contract_value), any_value(reasons) FROM account_health "
            f"WHERE account_key IS NOT NULL AND ({condition}) GROUP BY account_key"
        )
        matches: dict[str, Crossing] = {
            str(key): Crossing(value, behind(reasons)) for key, value, reasons in rows
        }
        raised += sync_threshold(store, threshold, matches, as_of)
    return raised
