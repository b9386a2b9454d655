"""The state store's workflows behave the same on SQLite and on a real PostgreSQL (the
`state_url` fixture): the exception queue's life cycle, two-person waivers and resolves,
period closes, match decisions, plan approval; after each, the audit verify finds the log
intact and the tables equal to what it says (users and tokens: test_users.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from state_workflow import AS_OF, case
from tieout.errors import UsageError
from tieout.state import StateStore
from tieout.state.closes import get_close, prepare_close, sign_off
from tieout.state.exceptions import (
    act,
    assign,
    cases,
    comment,
    decide_waiver,
    notes,
    open_by_account,
    sync_cases,
)
from tieout.state.matching import ReviewItem, decide, decisions, review_id, reviews, sync_reviews
from tieout.state.plans import approve, content, explain, explanations, import_version
from tieout.state.verify import verify


@pytest.fixture
def store(state_url: str, tmp_path: Path) -> StateStore:
    store = StateStore(state_url, tmp_path)
    store.upgrade()
    return store


def _intact(store: StateStore) -> int:
    verdict = verify(store)
    assert verdict.problems == []
    store.close()
    return verdict.entries


def _statuses(store: StateStore) -> dict[str, str]:
    return {c.id: c.status for c in cases(store, rule=None, status=None, owner=None)}


def test_the_exception_queue_through_two_runs(store: StateStore) -> None:
    def escalate(row: object, first: dt.date) -> tuple[str, str | None]:
        return "high", "finance"

    sync_cases(store, [case("EX-1"), case("EX-2"), case("EX-3", "50.00")], AS_OF, escalate)
    assert _statuses(store) == {"EX-1": "open", "EX-2": "open", "EX-3": "open"}
    assign(store, "EX-1", to="fin1", by="fin2")
    act(store, "EX-1", "ack", None, by="fin1")
    comment(store, "EX-1", "credit note on its way", by="fin1")
    assert [c.id for c in cases(store, rule=None, status=None, owner="fin1")] == ["EX-1"]
    assert [n.text for n in notes(store, "EX-1")] == ["credit note on its way"]
    assert [c[0] for c in open_by_account(store)["ACME"]] == ["EX-1", "EX-2", "EX-3"]

    later = AS_OF + dt.timedelta(days=1)  # EX-2 no longer found: resolved by the run
    sync_cases(store, [case("EX-1"), case("EX-3", "50.00")], later, escalate)
    assert _statuses(store) == {"EX-1": "acknowledged", "EX-2": "resolved", "EX-3": "open"}
    sync_cases(store, [case("EX-1"), case("EX-2"), case("EX-3", "50.00")], later, escalate)
    assert _statuses(store)["EX-2"] == "open"  # came back
    assert _intact(store) == 3 + 3 + 2  # opened; assigned, acked, commented; resolved, reopened


def test_a_waiver_over_the_limit_takes_two_people(store: StateStore) -> None:
    sync_cases(store, [case("EX-1", "36000.00")], AS_OF, lambda r, f: ("high", "finance"))
    act(store, "EX-1", "waive", "goodwill", by="fin1", approval_above=Decimal("1000"))
    assert _statuses(store) == {"EX-1": "waiver_requested"}
    with pytest.raises(UsageError, match="someone else must decide it"):
        decide_waiver(store, "EX-1", approve=True, by="fin1")
    decide_waiver(store, "EX-1", approve=False, by="fin2", note="not yet")
    assert _statuses(store) == {"EX-1": "acknowledged"}
    act(store, "EX-1", "waive", "goodwill, agreed", by="fin1", approval_above=Decimal("1000"))
    decide_waiver(store, "EX-1", approve=True, by="fin2")
    assert _statuses(store) == {"EX-1": "waived"}
    _intact(store)


def test_a_resolve_over_the_limit_waits_for_approval(store: StateStore) -> None:
    """'resolve_requested' has 17 characters: PostgreSQL refused it in the old varchar(16)."""
    sync_cases(store, [case("EX-1", "36000.00")], AS_OF, lambda r, f: ("high", "finance"))
    act(store, "EX-1", "resolve", "billed by hand", by="ops1", approval_above=Decimal("1000"))
    assert _statuses(store) == {"EX-1": "resolve_requested"}
    decide_waiver(store, "EX-1", approve=True, by="fin1")
    assert _statuses(store) == {"EX-1": "resolved"}
    _intact(store)


def test_a_close_is_prepared_then_signed_off_by_someone_else(store: StateStore) -> None:
    figures = {"billed": "300.00", "unbilled": "120.50"}
    prepare_close(
        store, "2026-03", figures=figures, currency="GBP", as_of=AS_OF, run_id=None, by="fin1"
    )
    with pytest.raises(UsageError, match="a different person must sign it off"):
        sign_off(store, "2026-03", by="fin1", live=figures)
    sign_off(store, "2026-03", by="fin2", live=figures)
    close = get_close(store, "2026-03")
    assert close is not None and close.status == "signed_off" and close.figures == figures
    with pytest.raises(UsageError, match="frozen"):
        prepare_close(
            store, "2026-03", figures={}, currency="GBP", as_of=AS_OF, run_id=None, by="fin1"
        )
    _intact(store)


def test_match_decisions_are_kept(store: StateStore) -> None:
    pairs = [("crm|Account|1", "xero|Contact|9"), ("crm|Account|2", "xero|Contact|8")]
    sync_reviews(store, "customer", [ReviewItem(m, a, 0.7, "name") for m, a in pairs])
    decide(store, review_id("customer", *pairs[0]), "accept", "same company", by="fin1")
    decide(store, review_id("customer", *pairs[1]), "reject", by="fin1")
    assert sorted(decisions(store, "customer")) == [(*pairs[0], "accept"), (*pairs[1], "reject")]
    sync_reviews(store, "customer", [])  # no longer proposed: nothing open
    assert reviews(store, "customer") == []
    _intact(store)


def test_a_plan_is_approved_by_someone_else_and_explained(store: StateStore) -> None:
    plan = {
        "plan": "joint",
        "title": "Joint plan",
        "cadence": "monthly",
        "review_day": 5,
        "variance_threshold_pct": 10,
        "targets": [
            {
                "period": "2026-03",
                "metric": "won_amount",
                "dimension": None,
                "member": None,
                "value": Decimal("125000.5"),
            },
        ],
        "commitments": [
            {
                "campaign": "spring",
                "metric": "mql",
                "value": Decimal("40"),
                "committed_by": "marketing",
            },
        ],
    }
    version, new = import_version(store, plan, digest="a" * 64, source="joint.yml", author="mk1")
    assert new and version.version == 1
    assert (
        import_version(store, plan, digest="a" * 64, source="joint.yml", author="mk1")[1] is False
    )
    with pytest.raises(UsageError):
        approve(store, "joint", None, by="mk1")  # not by its author
    approve(store, "joint", None, by="fin1")
    found = content(store, "joint")
    assert found.version.status == "approved" and found.targets[0].value == Decimal("125000.5")
    key = ("2026-03", "won_amount", None, None)
    explain(store, "joint", key, text="two deals slipped to April", by="sales1")
    assert explanations(store, "joint")[key].text == "two deals slipped to April"
    _intact(store)
