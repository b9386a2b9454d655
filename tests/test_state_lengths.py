"""Text longer than its column is refused with the field and its limit, on SQLite (which would
store it silently) and on PostgreSQL (which answered with a driver error, a 500 on the web)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from tieout.errors import UsageError
from tieout.state import AuditEvent, StateStore
from tieout.state.exceptions import assign, sync_cases
from tieout.state.models import ExceptionCase


def _case(case_id: str, account_key: str | None = None) -> dict[str, Any]:
    return {
        "id": case_id,
        "rule": "unbilled_work",
        "severity": "high",
        "owner": "finance",
        "account_key": account_key,
        "amount_at_risk": Decimal("10.00"),
        "detail": "case",
        "source_refs": "[]",
    }


@pytest.fixture
def store(state_url: str, tmp_path: Path) -> StateStore:
    store = StateStore(state_url, tmp_path)
    store.upgrade()
    sync_cases(store, [_case("EX-1")], dt.date(2026, 3, 31), lambda row, first: ("high", "fin"))
    return store


def _entries(store: StateStore) -> int:
    with store.session() as s:
        return int(s.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def test_a_240_character_assignee_is_refused_naming_field_and_limit(store: StateStore) -> None:
    before = _entries(store)
    with pytest.raises(UsageError, match=r"assigned_to is 240 characters long; .* at most 200"):
        assign(store, "EX-1", to="a" * 240, by="fin1")
    assign(store, "EX-1", to="b" * 200, by="fin1")  # the limit itself is fine
    with store.session() as s:
        case = s.get(ExceptionCase, "EX-1")
        assert case is not None and case.assigned_to == "b" * 200
    assert _entries(store) == before + 1  # the refused action left no entry
    store.close()


def test_bulk_writes_are_checked_too(store: StateStore) -> None:
    before = _entries(store)
    with pytest.raises(UsageError, match=r"account_key is 41 characters long; .* at most 40"):
        sync_cases(
            store,
            [_case("EX-1"), _case("EX-2", account_key="k" * 41)],
            dt.date(2026, 4, 30),
            lambda row, first: ("high", "fin"),
        )
    with store.session() as s:
        assert s.get(ExceptionCase, "EX-2") is None
    assert _entries(store) == before
    store.close()


def test_an_over_long_actor_is_refused(store: StateStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIEOUT_USER", "x" * 201)
    with pytest.raises(UsageError, match=r"actor is 201 characters long; audit_log.actor"):
        store.audit("exception.viewed", "exception", "EX-1", {})
    store.close()
