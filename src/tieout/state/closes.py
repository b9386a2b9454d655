"""Period close workflow: prepare, sign off by a different person, then frozen for good."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tieout.errors import UsageError
from tieout.state.models import AuditEvent, PeriodClose
from tieout.state.store import StateStore, now


def get_close(store: StateStore, period: str) -> PeriodClose | None:
    with store.session() as s:
        return s.get(PeriodClose, period)


def prepare_close(
    store: StateStore,
    period: str,
    *,
    figures: dict[str, Any],
    currency: str,
    as_of: dt.date,
    run_id: str | None,
    by: str,
) -> PeriodClose:
    """Record the figures to be signed off; preparing again replaces them until sign-off."""
    with store.session() as s:
        close = s.get(PeriodClose, period)
        if close is not None and close.status == "signed_off":
            raise UsageError(
                f"{period} was signed off by {close.signed_off_by} on "
                f"{close.signed_off_at:%Y-%m-%d}: its figures are frozen; later changes show "
                "as post-close adjustments in `tieout close`"
            )
        if close is None:
            close = PeriodClose(period=period)
            s.add(close)
        close.status, close.currency, close.as_of, close.run_id = (
            "prepared",
            currency,
            as_of,
            run_id,
        )
        close.figures, close.prepared_by, close.prepared_at = figures, by, now()
        _audit(s, by, "close.prepare", period, {"as_of": as_of.isoformat(), "run_id": run_id})
        return close


def sign_off(store: StateStore, period: str, *, by: str, live: dict[str, Any]) -> PeriodClose:
    """Freeze the prepared figures: only someone else may sign, and only what is still true."""
    with store.session() as s:
        close = s.get(PeriodClose, period)
        if close is None:
            raise UsageError(f"{period} has not been prepared: run `tieout close prepare` first")
        if close.status == "signed_off":
            raise UsageError(f"{period} was already signed off by {close.signed_off_by}")
        if by == close.prepared_by:
            raise UsageError(f"{period} was prepared by {by}: a different person must sign it off")
        if close.figures != live:
            raise UsageError(
                f"the figures of {period} changed since {close.prepared_by} prepared them "
                f"(as of {close.as_of}): prepare it again, then sign off"
            )
        before = close.status
        close.status, close.signed_off_by, close.signed_off_at = "signed_off", by, now()
        _audit(
            s,
            by,
            "close.signoff",
            period,
            {
                "prepared_by": close.prepared_by,
                "before": {"status": before},
                "after": {"status": close.status},
            },
        )
        return close


def _audit(s: Any, who: str, action: str, period: str, detail: dict[str, Any]) -> None:
    s.add(
        AuditEvent(
            at=now(),
            actor=who,
            action=action,
            entity="period_close",
            entity_id=period,
            detail=detail,
        )
    )
