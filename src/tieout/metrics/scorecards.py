"""Scorecards: what each function is measured on. Every metric has an owner function; a
function scored mostly on another function's metrics (professional services on bookings
instead of utilisation and on-time delivery) is measured on work it does not control, so
the lint warns."""

from __future__ import annotations

from dataclasses import dataclass

from tieout.errors import ConfigError
from tieout.metrics.definitions import Catalogue

DEFAULT_SCORECARDS: dict[str, list[str]] = {
    "sales": ["quoted_value", "sals", "sqls", "sql_rate", "lead_wins", "open_pipeline"],
    "marketing": ["leads", "mqls", "campaign_spend", "cost_per_mql", "pipeline_per_spend"],
    "service": [
        "sla_attainment",
        "escalation_rate",
        "reopen_rate",
        "repeat_rate",
        "open_cases",
        "csat",
        "service_cost",
    ],
    "ps": [
        "utilisation",
        "billable_utilisation",
        "on_time_delivery",
        "delivered_vs_quoted",
        "csat",
    ],
    "ops": ["over_committed_weeks", "on_time_delivery", "delivered_value"],
    "finance": ["revenue", "margin", "margin_pct", "billed_vs_delivered", "receivables"],
}


@dataclass(frozen=True)
class ScorecardWarning:
    function: str
    text: str


def scorecards(
    configured: dict[str, list[str]] | None, catalogue: Catalogue
) -> dict[str, list[str]]:
    """The project's scorecards (else the built-in ones), every metric checked."""
    cards = configured if configured is not None else DEFAULT_SCORECARDS
    for function, metrics in cards.items():
        for name in metrics:
            if name not in catalogue.metrics:
                raise ConfigError(
                    f"scorecard {function!r} names no metric {name!r} (see `tieout metrics list`)",
                    key=f"scorecards.{function}",
                )
    return cards


def lint_scorecards(cards: dict[str, list[str]], catalogue: Catalogue) -> list[ScorecardWarning]:
    """A warning for each function whose scorecard is mostly other functions' metrics."""
    warnings = []
    for function, metrics in cards.items():
        if not metrics:
            continue
        foreign = [m for m in metrics if catalogue.get(m).owner != function]
        if len(foreign) * 2 > len(metrics):
            owners = sorted({catalogue.get(m).owner for m in foreign})
            warnings.append(
                ScorecardWarning(
                    function,
                    f"{function} is scored mostly on other functions' metrics "
                    f"({', '.join(foreign)}: owned by {', '.join(owners)}); measure it on "
                    "what it controls",
                )
            )
    return warnings
