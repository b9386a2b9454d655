"""Metrics: every governed number from one versioned definition.

Entry point `run(wh, project, as_of) -> MetricsSummary` builds the marts in a run;
`compute(wh, catalogue, name, by=..., period=..., compare=..., currency=..., as_of=...)`
answers one question. The definitions (`definitions/*.yml` and the project's own
`metric_files`) are loaded and checked with the project: `project.definitions.metrics`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tieout.config import LoadedProject
from tieout.config.metrics import DIMENSIONS, Catalogue, MetricDef
from tieout.engine import Warehouse
from tieout.metrics.marts import build_marts
from tieout.metrics.query import MetricResult, compute
from tieout.periods import Compare, Period

__all__ = [
    "DIMENSIONS",
    "Catalogue",
    "Compare",
    "MetricDef",
    "MetricResult",
    "MetricsSummary",
    "Period",
    "compute",
    "load_metrics",
    "run",
]


@dataclass(frozen=True)
class MetricsSummary:
    marts: int
    skipped: dict[str, str]  # metric -> why it has no mart


def load_metrics(project: LoadedProject) -> Catalogue:
    """The project's catalogue, loaded and checked with the project (scripts ask for it by
    this name)."""
    return project.definitions.metrics


def run(wh: Warehouse, project: LoadedProject, as_of: dt.date) -> MetricsSummary:
    catalogue = project.definitions.metrics
    skipped = build_marts(wh, catalogue, project.config.reporting_currency, as_of)
    built = [m for m in catalogue.metrics.values() if m.fact and m.name not in skipped]
    return MetricsSummary(len(built), skipped)
