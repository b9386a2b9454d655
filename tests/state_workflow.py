"""A state store with some of every kind of workflow record a team leaves behind: runs and
their anchors, users and a token, exception cases worked (assigned, acknowledged, commented,
waived with approval), a signed-off close, a match decision, a leadership decision, metric
versions, golden members, health scores. Written through the state layer's own functions,
so every change is audited."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from tieout.state import StateStore
from tieout.state import decisions as leadership
from tieout.state.closes import prepare_close, sign_off
from tieout.state.exceptions import act, assign, comment, decide_waiver, sync_cases
from tieout.state.health import record_scores
from tieout.state.matching import (
    Membership,
    ReviewItem,
    decide,
    review_id,
    save_members,
    sync_reviews,
)
from tieout.state.metric_versions import register
from tieout.state.users import add_user, issue_token

AS_OF = dt.date(2026, 3, 31)


def case(case_id: str, at_risk: str = "250.00") -> dict[str, Any]:
    return {
        "id": case_id,
        "rule": "unbilled_work",
        "severity": "high",
        "owner": "finance",
        "account_key": "ACME",
        "amount_at_risk": Decimal(at_risk),
        "detail": "work order completed, not invoiced",
        "source_refs": "[]",
    }


def fill(store: StateStore) -> None:
    store.start_run("20260331-000000-000", AS_OF)
    store.finish_run("20260331-000000-000", status="succeeded", rows=(10, 9, 1))
    add_user(store, "fin1", "finance", "correct horse battery", "fin1@example.com")
    add_user(store, "fin2", "finance", "correct horse battery", None)
    issue_token(store, "fin1", ["view"])
    sync_cases(
        store, [case("EX-1"), case("EX-2"), case("EX-3")], AS_OF, lambda r, f: ("high", "fin")
    )
    assign(store, "EX-1", to="fin1", by="fin2")
    act(store, "EX-1", "ack", None, by="fin1")
    comment(store, "EX-2", "credit note on its way", by="fin1")
    act(store, "EX-3", "waive", "goodwill", by="fin1", approval_above=Decimal("100"))
    decide_waiver(store, "EX-3", approve=True, by="fin2")
    prepare_close(
        store,
        "2026-03",
        figures={"billed": "300.00"},
        currency="GBP",
        as_of=AS_OF,
        run_id=None,
        by="fin1",
    )
    sign_off(store, "2026-03", by="fin2", live={"billed": "300.00"})
    sync_reviews(store, "customer", [ReviewItem("crm|Account|1", "xero|Contact|9", 0.71, "name")])
    decide(store, review_id("customer", "crm|Account|1", "xero|Contact|9"), "accept", by="fin1")
    request = leadership.raise_request(
        store,
        account_key="ACME",
        question="Keep the discount?",
        options=["yes", "no"],
        owner="ceo",
        due_date=AS_OF,
        amount=Decimal("1200.00"),
        by="fin1",
    )
    leadership.decide(
        store, request.id, decision="yes", rationale="strategic account", by="ceo", leaders=[]
    )
    register(store, [("margin", 1, "d" * 32, "metrics/margin.yml")])
    save_members(store, "customer", [Membership("crm|Account|1", "C-1", "master")])
    record_scores(store, AS_OF, {"ACME": (Decimal("62.5"), "amber", "open exceptions", [])})
