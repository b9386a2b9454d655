"""Account health: one explainable score per customer. Each signal takes points off 100 (per
occurrence, up to a cap), so every point lost has a reason; the points can differ by
lifecycle stage and segment (`health:` in tieout.yml)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tieout.config.operating import HealthConfig, HealthSignal

REASONS = {
    "sla_breaches": "{n} SLA breach(es) on tickets opened in the last {window} days",
    "open_escalations": "{n} escalated ticket(s) open",
    "aged_cases": "{n} ticket(s) open for more than {aged} days",
    "repeat_issues": "{n} repeat issue(s) in the last 30 days",
    "onboarding_late": "{n} onboarding milestone(s) past due",
    "onboarding_blocked": "{n} onboarding milestone(s) blocked",
    "unbilled_work": "{n} completed work order(s) not billed",
    "overdue_receivables": "{n} invoice(s) unpaid more than {overdue} days after due",
    "low_margin": "12-month margin {margin} % is below {floor} %",
    "renewal_without_pipeline": "renews in {renewal} days with no open pipeline",
}


def points_value(value: Decimal) -> int | float:
    """Points as a JSON number: whole points stay whole."""
    return int(value) if value == value.to_integral_value() else float(value)


@dataclass(frozen=True)
class Health:
    score: Decimal
    band: str
    stage: str
    reasons: list[dict[str, Any]]


def stage_of(signals: dict[str, Any], cfg: HealthConfig, days_since_start: int | None) -> str:
    renewal = signals.get("renewal_days")
    if renewal is not None and 0 < renewal <= cfg.renewal_days:
        return "renewal"
    new = days_since_start is not None and days_since_start <= cfg.onboarding_days
    return "onboarding" if new or signals.get("onboarding_open", 0) > 0 else "steady"


def scorecard(cfg: HealthConfig, stage: str, tier: str | None) -> dict[str, HealthSignal]:
    """The default signals, then the stage's overrides, then the segment's."""
    card = dict(cfg.signals)
    if stage in cfg.stages:
        card.update(cfg.stages[stage].signals)
    if tier and tier in cfg.segments:
        card.update(cfg.segments[tier].signals)
    return card


def score(
    signals: dict[str, Any],
    cfg: HealthConfig,
    *,
    margin_pct: Decimal | None,
    days_since_start: int | None,
) -> Health:
    stage = stage_of(signals, cfg, days_since_start)
    counts = {name: int(signals.get(name) or 0) for name in REASONS}
    low = margin_pct is not None and margin_pct < cfg.margin_floor_pct
    counts["low_margin"] = int(low)
    counts["renewal_without_pipeline"] = int(
        stage == "renewal" and (signals.get("open_pipeline") or 0) <= 0
    )
    words = {
        "window": cfg.window_days,
        "aged": cfg.aged_days,
        "overdue": cfg.overdue_days,
        "margin": margin_pct,
        "floor": cfg.margin_floor_pct,
        "renewal": signals.get("renewal_days"),
    }
    total = Decimal(100)
    reasons = []
    for name, signal in scorecard(cfg, stage, signals.get("tier")).items():
        n = counts[name]
        points = min(signal.points * n, signal.cap)
        if n and points:
            total -= points
            text = REASONS[name].format(n=n, **words)
            reasons.append(
                {"signal": name, "count": n, "points": points_value(-points), "text": text}
            )
    total = max(total, Decimal(0))
    band = "green" if total >= cfg.green else "amber" if total >= cfg.amber else "red"
    reasons.sort(key=lambda r: (r["points"], r["signal"]))
    return Health(total, band, stage, reasons)
