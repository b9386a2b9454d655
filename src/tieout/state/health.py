"""Account health history: each run's score per customer, so a score has a trend and a
leadership meeting can see how an account got where it is."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, Numeric, String, select
from sqlalchemy.orm import Mapped, mapped_column

from tieout.state.models import Base
from tieout.state.store import StateStore


class AccountHealthScore(Base):
    __tablename__ = "account_health_score"

    account_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    as_of: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    score: Mapped[Decimal] = mapped_column(Numeric(9, 2))
    band: Mapped[str] = mapped_column(String(8))
    stage: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON)


def record_scores(
    store: StateStore, as_of: dt.date, scores: dict[str, tuple[Decimal, str, str, list[Any]]]
) -> dict[str, Decimal]:
    """Keep this as-of date's scores (a rerun replaces them); returns each account's score
    at its latest earlier as-of date."""
    with store.session() as s:
        previous: dict[str, Decimal] = {}
        rows = s.execute(
            select(AccountHealthScore.account_key, AccountHealthScore.score)
            .where(AccountHealthScore.as_of < as_of)
            .order_by(AccountHealthScore.account_key, AccountHealthScore.as_of)
        )
        for key, value in rows:
            previous[key] = value
        for key, (value, band, stage, reasons) in scores.items():
            s.merge(
                AccountHealthScore(
                    account_key=key,
                    as_of=as_of,
                    score=value,
                    band=band,
                    stage=stage,
                    reasons=reasons,
                )
            )
        return previous


def history(store: StateStore, account_key: str) -> list[AccountHealthScore]:
    with store.session() as s:
        rows = s.scalars(
            select(AccountHealthScore)
            .where(AccountHealthScore.account_key == account_key)
            .order_by(AccountHealthScore.as_of)
        )
        return list(rows)
