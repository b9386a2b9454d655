"""Reconcile: where sold, delivered and billed disagree, as owned exceptions.

Entry point `run(wh, project, store, as_of) -> ReconcileSummary`: runs every rule
(`rules/*.yml`, parameters overridable in tieout.yml), writes the `exception` table with
stable ids and money at risk in the reporting currency, and syncs the exception workflow
in the state store (new ones open, cleared ones auto-resolve, returning ones reopen).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tieout.config import LoadedProject
from tieout.engine import Warehouse
from tieout.reconcile.escalation import escalator
from tieout.reconcile.exceptions import current, find_exceptions
from tieout.state import StateStore
from tieout.state.exceptions import SyncResult, sync_cases

__all__ = ["ReconcileSummary", "run"]


@dataclass(frozen=True)
class ReconcileSummary:
    by_rule: dict[str, int]
    cases: SyncResult


def run(
    wh: Warehouse, project: LoadedProject, store: StateStore, as_of: dt.date
) -> ReconcileSummary:
    cfg = project.config
    rules = project.definitions.rules
    by_rule = find_exceptions(wh, rules, as_of, cfg.reporting_currency, cfg.ownership)
    cases = sync_cases(store, current(wh), as_of, escalator(cfg.escalation, as_of))
    return ReconcileSummary(by_rule, cases)
