"""Metrics: every governed number from one versioned definition.

Entry point `compute(wh, catalogue, name, by=..., period=..., compare=..., currency=...,
as_of=...) -> MetricResult`; `load_metrics(project)` reads and checks the built-in
definitions (`definitions/*.yml`) and the project's own (`metric_files`).
"""

from tieout.metrics.definitions import DIMENSIONS, Catalogue, MetricDef, load_metrics
from tieout.metrics.query import Compare, MetricResult, Period, compute

__all__ = [
    "DIMENSIONS",
    "Catalogue",
    "Compare",
    "MetricDef",
    "MetricResult",
    "Period",
    "compute",
    "load_metrics",
]
