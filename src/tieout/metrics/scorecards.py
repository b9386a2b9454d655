"""Scorecards: what each function is measured on. Every metric has an owner function; a
function scored mostly on another function's metrics (professional services on bookings
instead of utilisation and on-time delivery) is measured on work it does not control, so
the lint warns."""

from __future__ import annotations

from dataclasses import dataclass

from tieout.config.metrics import Catalogue


@dataclass(frozen=True)
class ScorecardWarning:
    function: str
    text: str


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
