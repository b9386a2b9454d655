"""Account health: one explainable score per customer. Each signal takes points off 100 (per
occurrence, up to a cap), so every point lost has a reason; the points can differ by
lifecycle stage and segment (`health:` in tieout.yml).

Open exceptions move health too, so the account view cannot tell a kinder story than the
exception queue: each rule declares what an open exception of it does (`health:` in its
YAML, tuned in tieout.yml), points off and a band cap by severity (by default high keeps
the band at amber at most, critical at red). The reason names the exceptions by id."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tieout.config.operating import (
    CapBand,
    ExceptionEffect,
    HealthConfig,
    HealthSignal,
    Severity,
)

REASONS = {
    "sla_breaches": "{n} SLA breach(es) on tickets opened in the last {window} days",
    "open_escalations": "{n} escalated ticket(s) open",
    "aged_cases": "{n} ticket(s) open for more than {aged} days",
    "onboarding_late": "{n} onboarding milestone(s) past due",
    "onboarding_blocked": "{n} onboarding milestone(s) blocked",
    "overdue_receivables": "{n} invoice(s) unpaid more than {overdue} days after due",
    "low_margin": "12-month margin {margin} % is below {floor} %",
    "renewal_without_pipeline": "renews in {renewal} days with no open pipeline",
}
BANDS = ("red", "amber", "green")  # worst first
# account_health worst first: by band (a cap can hold a high score at amber), then score
WORST_FIRST = "CASE band WHEN 'red' THEN 0 WHEN 'amber' THEN 1 ELSE 2 END, score, name"
SEVERITIES: tuple[Severity, ...] = ("low", "medium", "high", "critical")
NAMED = 3  # exception ids a reason's text names; its `exceptions` list has them all
HIGH_ON = {"strategic": "the account is strategic", "renewal": "it renews within {days} days"}


@dataclass(frozen=True)
class OpenException:
    """An exception case that is open, acknowledged or waiting for a waiver's approval."""

    id: str
    rule: str
    severity: str


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
    exceptions: Sequence[OpenException] = (),
    effects: Mapping[str, ExceptionEffect] | None = None,
) -> Health:
    """The score from the signals less each open exception's points; the band from the
    score, then held at or below the worst cap of an open exception."""
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
    reasons: list[dict[str, Any]] = []
    for name, signal in scorecard(cfg, stage, signals.get("tier")).items():
        n = counts[name]
        points = min(signal.points * n, signal.cap)
        if n and points:
            total -= points
            text = REASONS[name].format(n=n, **words)
            reasons.append(
                {"signal": name, "count": n, "points": points_value(-points), "text": text}
            )
    account = {"strategic": signals.get("tier") == "strategic", "renewal": stage == "renewal"}
    for reason in exception_reasons(exceptions, effects or {}, cfg, account):
        total += Decimal(str(reason["points"]))
        reasons.append(reason)
    total = max(total, Decimal(0))
    band = "green" if total >= cfg.green else "amber" if total >= cfg.amber else "red"
    for reason in reasons:
        if reason.get("cap") and BANDS.index(reason["cap"]) < BANDS.index(band):
            band = reason["cap"]
    reasons.sort(
        key=lambda r: (BANDS.index(r.get("cap") or "green"), r["points"], r["signal"], r["text"])
    )
    return Health(total, band, stage, reasons)


def exception_reasons(
    exceptions: Sequence[OpenException],
    effects: Mapping[str, ExceptionEffect],
    cfg: HealthConfig,
    account: Mapping[str, bool],
) -> list[dict[str, Any]]:
    """One reason per rule with open exceptions that cost points or cap the band: its points
    (negative), the cap, the severity that set it (raised to high by `high_on` when the
    account is strategic or renewing) and every exception id, worst first."""
    by_rule: dict[str, list[OpenException]] = {}
    for e in exceptions:
        by_rule.setdefault(e.rule, []).append(e)
    high = SEVERITIES.index("high")
    reasons: list[dict[str, Any]] = []
    for rule, found in sorted(by_rule.items()):
        effect = effects.get(rule, ExceptionEffect())
        caps: Mapping[Severity, CapBand] = (
            cfg.exception_caps if effect.caps is None else effect.caps
        )
        why = [k for k in effect.high_on if account.get(k)]
        worst = max(_rank(e.severity) for e in found)
        rank = max(worst, high) if why else worst
        severity = SEVERITIES[rank]
        cap = caps.get(severity)
        points = effect.points * len(found)
        if effect.max_points is not None:
            points = min(points, effect.max_points)
        if not points and cap is None:
            continue
        ids = [e.id for e in sorted(found, key=lambda e: (-_rank(e.severity), e.id))]
        more = f" and {len(ids) - NAMED} more" if len(ids) > NAMED else ""
        text = f"{rule} open: {', '.join(ids[:NAMED])}{more}"
        because = None
        if rank > worst:
            because = " and ".join(HIGH_ON[k].format(days=cfg.renewal_days) for k in why)
        if cap:
            text += f" ({severity}{f' as {because}' if because else ''}: {cap} at best)"
        reasons.append(
            {
                "signal": "exception",
                "rule": rule,
                "count": len(ids),
                "points": points_value(-points),
                "severity": severity,
                "because": because,  # why it counts as high, when only high_on made it so
                "cap": cap,
                "exceptions": ids,
                "text": text,
            }
        )
    return reasons


def _rank(severity: str) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else 0
