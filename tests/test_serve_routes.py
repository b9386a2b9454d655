"""Authorisation in one place, checked where it is declared: every route of the app (page or
API) names its permission as a dependency (serve/permits.py), and what each names is the
table below, written out by hand; the default role x action matrix is written out by hand
too. That replaces the 468 requests the role x endpoint matrix used to make; a few real
requests per role then prove the declarations are what answers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from pydantic import BaseModel

from support import copy_project, write_project
from tieout import pipeline
from tieout.config import load_project
from tieout.config.access import ACTIONS, ROLES, AccessConfig
from tieout.serve import create_app
from tieout.serve.actions import permission
from tieout.serve.permits import Permit
from tieout.state.exceptions import cases, comment
from tieout.state.users import issue_token

# one xdist group for the tests that copy the session's web_company (conftest.py): built once
pytestmark = pytest.mark.xdist_group("web-company")

# reachable by anyone: logging in and out, the docs, and static files (no one's data)
PUBLIC = {
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/logout"),
    ("GET", "/vendor/vega.js"),
    ("GET", "/static"),
    ("GET", "/api/docs"),
    ("HEAD", "/api/docs"),
    ("GET", "/api/v1/openapi.json"),
    ("HEAD", "/api/v1/openapi.json"),
}
CHOSEN = "the action named by action"  # ack/assign/comment/resolve, waive, approve/reject
COMPANY = "view (whole company)"  # refused to a role kept to its own accounts
ROUTES = {
    ("GET", "/"): "view",
    ("GET", "/exceptions"): "view",
    ("POST", "/exceptions/bulk"): CHOSEN,
    ("GET", "/exceptions/{case_id}"): "view",
    ("POST", "/exceptions/{case_id}"): CHOSEN,
    ("GET", "/exceptions/{case_id}/files/{sha256}"): "view",
    ("GET", "/accounts"): "view",
    ("GET", "/accounts/{account_key}"): "view",
    ("GET", "/metrics/{name}"): "view",
    ("GET", "/jobs/{job_key}"): "view",
    ("GET", "/records/{record_id}"): "view",
    ("GET", "/definitions"): "view",
    ("GET", "/board.pdf"): COMPANY,
    ("GET", "/plan"): "view",
    ("POST", "/plan/{plan}/versions/{version}/approve"): "plan.approve",
    ("POST", "/plan/{plan}/explain"): "plan.edit",
    ("GET", "/scorecards"): "view",
    ("GET", "/close"): "view",
    ("POST", "/close/{period}/signoff"): "close.signoff",
    ("GET", "/data"): "view",
    ("POST", "/data/reviews/{review_id}"): "match.review",
    ("GET", "/api/v1/snapshot"): "view",
    ("GET", "/api/v1/exceptions"): "view",
    ("GET", "/api/v1/exceptions.{fmt}"): "view",
    ("GET", "/api/v1/exceptions/{case_id}"): "view",
    ("POST", "/api/v1/exceptions/bulk"): CHOSEN,
    ("POST", "/api/v1/exceptions/{case_id}/{action}"): CHOSEN,
    ("GET", "/api/v1/accounts"): "view",
    ("GET", "/api/v1/accounts/{account_key}"): "view",
    ("GET", "/api/v1/metrics/{name}"): "view",
    ("GET", "/api/v1/jobs/{job_key}"): "view",
    ("GET", "/api/v1/records/{record_id}"): "view",
    ("GET", "/api/v1/definitions"): "view",
    ("GET", "/api/v1/plans"): "view",
    ("GET", "/api/v1/plans/{name}/variance"): "view",
    ("POST", "/api/v1/plans/{name}/versions/{version}/approve"): "plan.approve",
    ("POST", "/api/v1/plans/{name}/explain"): "plan.edit",
    ("GET", "/api/v1/funnel"): "view",
    ("GET", "/api/v1/scorecards"): "view",
    ("GET", "/api/v1/close"): "view",
    ("GET", "/api/v1/close.{fmt}"): "view",
    ("POST", "/api/v1/close/{period}/signoff"): "close.signoff",
    ("GET", "/api/v1/runs"): "view",
    ("GET", "/api/v1/quarantine"): COMPANY,
    ("GET", "/api/v1/quarantine.{fmt}"): COMPANY,
    ("GET", "/api/v1/match-reviews"): COMPANY,
    ("POST", "/api/v1/match-reviews/{review_id}/{decision}"): "match.review",
}
# the default matrix, by hand: which roles may take each action
OPERATORS = set(ROLES) - {"viewer"}
ALLOWED = {
    "view": set(ROLES),
    "exceptions.act": OPERATORS,
    "exceptions.waive": {"admin", "leadership", "finance"},
    "exceptions.approve": {"admin", "finance"},
    "plan.edit": {"admin", "sales", "marketing"},
    "plan.approve": {"admin", "leadership", "sales"},
    "decisions.raise": OPERATORS,
    "decisions.decide": {"admin", "leadership"},
    "close.signoff": {"admin", "finance"},
    "match.review": {"admin", "finance", "ops"},
    "users.admin": {"admin"},
}
EXCEPTION_ACTIONS = {
    "ack": "exceptions.act",
    "resolve": "exceptions.act",
    "assign": "exceptions.act",
    "comment": "exceptions.act",
    "waive": "exceptions.waive",
    "approve": "exceptions.approve",
    "reject": "exceptions.approve",
}


def _permits(dependant: Dependant) -> Iterator[Permit]:
    for dep in dependant.dependencies:
        if isinstance(dep.call, Permit):
            yield dep.call
        yield from _permits(dep)


def _declared(app: FastAPI) -> dict[tuple[str, str], str | None]:
    """Every route and method of the app with what its Permit says (None: nothing)."""
    found: dict[tuple[str, str], str | None] = {}
    for route in iter_route_contexts(app.routes):
        original = route.original_route
        needs = list(_permits(original.dependant)) if isinstance(original, APIRoute) else []
        for method in sorted(route.methods or {"GET"}):
            found[method, str(route.path)] = needs[0].describe() if needs else None
            assert len(needs) <= 1, f"{method} {route.path} declares {len(needs)} permissions"
    return found


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    """The app of an empty project: routes and their dependencies need no snapshot."""
    root = write_project(tmp_path_factory.mktemp("routes"), "name: routes\nsources: []\n", {})
    return create_app(load_project(root))


def test_every_route_declares_its_permission(app: FastAPI) -> None:
    declared = _declared(app)
    undeclared = sorted(k for k, v in declared.items() if v is None and k not in PUBLIC)
    assert undeclared == [], "routes without Depends(permits(...))"
    assert sorted(k for k in PUBLIC if declared.get(k, "absent") is not None) == []


def test_each_route_needs_what_the_table_says(app: FastAPI) -> None:
    declared = {k: v for k, v in _declared(app).items() if k not in PUBLIC}
    assert declared == ROUTES


def test_the_default_role_matrix() -> None:
    access = AccessConfig()
    assert set(ALLOWED) == set(ACTIONS)
    actual = {a: {r for r in ROLES if access.allows(r, a)} for a in ACTIONS}
    assert actual == ALLOWED
    assert access.own_accounts_only == ["sales"]


def test_each_exception_action_needs_its_permission() -> None:
    assert {a: permission(a) for a in EXCEPTION_ACTIONS} == EXCEPTION_ACTIONS


@pytest.fixture(scope="module")
def project(web_company: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_project(web_company, tmp_path_factory.mktemp("routes-live") / "project")


@pytest.fixture(scope="module")
def live(project: Path) -> Iterator[TestClient]:
    with TestClient(create_app(load_project(project))) as c:
        yield c


def test_every_get_route_answers_an_admin(project: Path, live: TestClient) -> None:
    """One request per GET route (not per role): each answers the admin with a 2xx."""
    admin = {"Authorization": f"Bearer {_token(project, 'admin', list(ACTIONS))}"}
    (account,) = live.get("/api/v1/accounts", headers=admin).json()["items"]
    (row,) = live.get("/api/v1/metrics/margin?by=job", headers=admin).json()["rows"]
    job = live.get("/api/v1" + row["href"], headers=admin).json()
    ids = {
        "case_id": _case(project),
        "account_key": account["account_key"],
        "name": "margin",
        "job_key": job["job_key"],
        "record_id": job["billing"][0]["id"],
        "fmt": "xlsx",
    }
    store = pipeline.state_store(load_project(project))
    folder = pipeline.attachments(load_project(project))
    note = comment(
        store, ids["case_id"], "proof", by="admin", attachment=("p.txt", b"x"), folder=folder
    )
    store.close()
    ids["sha256"] = str(note.file_sha256)
    gets = [p for (m, p), need in ROUTES.items() if m == "GET"]
    for path in gets:
        plan = path.replace("/plans/{name}/", "/plans/joint-2026/")
        url = plan.format(**ids)
        r = live.get(url, headers=admin)
        assert 200 <= r.status_code < 300, (url, r.status_code, r.text[:200])


@pytest.mark.parametrize("role", ROLES)
def test_a_few_real_requests_per_role(project: Path, live: TestClient, role: str) -> None:
    """Each role with a token of every scope: it reads, and it may ack, waive and approve
    exactly as the matrix says; a role kept to its own accounts is refused the board pack."""
    headers = {"Authorization": f"Bearer {_token(project, role, list(ACTIONS))}"}
    case = _case(project)
    assert live.get("/api/v1/exceptions", headers=headers).status_code == 200
    for action, body in (("ack", {}), ("waive", {"reason": f"{role} says fine"})):
        r = live.post(f"/api/v1/exceptions/{case}/{action}", json=body, headers=headers)
        need = EXCEPTION_ACTIONS[action]
        assert r.status_code == (200 if role in ALLOWED[need] else 403), (action, r.text)
    r = live.post(f"/api/v1/exceptions/{case}/reject", json={}, headers=headers)
    allowed = role in ALLOWED["exceptions.approve"]
    assert r.status_code in ((200, 400) if allowed else (403,)), r.text  # 400: nothing waits
    board = live.get("/board.pdf", headers=headers)
    assert board.status_code == (403 if role == "sales" else 200)


def test_anonymous_callers_are_sent_to_log_in_or_refused(live: TestClient) -> None:
    for method, path in ROUTES:
        url = path.replace("{", "").replace("}", "")
        r = live.request(method, url, follow_redirects=False)
        if path.startswith("/api/"):
            assert r.status_code == 401, (method, path, r.status_code)
        else:
            assert r.status_code in (303, 403), (method, path, r.status_code)  # 403: no CSRF


def _token(project: Path, role: str, scopes: list[str]) -> str:
    store = pipeline.state_store(load_project(project))
    try:
        return issue_token(store, role, scopes)
    finally:
        store.close()


def _case(project: Path) -> str:
    store = pipeline.state_store(load_project(project))
    try:
        (case,) = cases(store, rule="unbilled_work", status=None, owner=None)
        return case.id
    finally:
        store.close()


def test_every_api_route_has_a_response_model(app: FastAPI) -> None:
    """The JSON API describes what it answers; only the file downloads (.csv, .xlsx) do not."""
    missing = []
    for route in iter_route_contexts(app.routes):
        original = route.original_route
        path = str(route.path)
        if not isinstance(original, APIRoute) or not path.startswith("/api/v1/"):
            continue
        model = original.response_model
        described = isinstance(model, type) and issubclass(model, BaseModel)
        if not described and not path.endswith(".{fmt}"):
            missing.append(path)
    assert missing == []
