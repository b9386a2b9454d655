"""Escalation: an exception that is old, large or on a key customer gets a higher severity
and, when the rule says so, a new owner (leadership)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from tieout.config.project import EscalationRule

ORDER = {"low": 0, "medium": 1, "high": 2, "critical": 3}

Escalate = Callable[[dict[str, Any], dt.date], tuple[str, str | None]]


def escalator(rules: list[EscalationRule], as_of: dt.date) -> Escalate:
    def escalate(row: dict[str, Any], first_seen: dt.date) -> tuple[str, str | None]:
        severity, owner = str(row["severity"]), row["owner"]
        for rule in rules:
            if rule.min_age_days is not None and (as_of - first_seen).days < rule.min_age_days:
                continue
            amount = row.get("amount_at_risk")
            if rule.min_amount is not None and (
                amount is None or Decimal(amount) < Decimal(str(rule.min_amount))
            ):
                continue
            if rule.tier is not None and (row.get("account_tier") or "") != rule.tier.lower():
                continue
            if ORDER[rule.severity] > ORDER.get(severity, 0):
                severity = rule.severity
            if rule.owner:
                owner = rule.owner
        return severity, owner

    return escalate
