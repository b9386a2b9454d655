"""A sales rep sees their own accounts only, on every page and API path: the web project's
Acme (owned by the CRM user "sales") plus Globex, owned by someone else, with its own job,
invoice, time, unbilled work order and a quarantined invoice row. Every GET route the app
has is asked for as sales, with Globex's ids where it takes one; no answer may name Globex."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from support import invoke, write_project
from tieout import pipeline
from tieout.config import load_project
from tieout.config.access import ROLES
from tieout.serve import create_app
from tieout.state.users import add_user, issue_token
from web_project import FILES, PASSWORD, YML

GLOBEX = "001Dn000009GGGgIAO"
FILES_TWO = {
    **FILES,
    "Account.csv": FILES["Account.csv"] + f"{GLOBEX},Globex Corp,005Dn000002BBBbIAO\n",
    "User.csv": FILES["User.csv"] + "005Dn000002BBBbAAA,,Olivia Other\n",
    "WorkOrder.csv": FILES["WorkOrder.csv"]
    # completed 5 Jan, invoiced by GX-1; and 00000092 completed 2 Jan and never invoiced
    + f"0WODn00000GGGGGOA5,00000091,{GLOBEX},Globex install,Completed,"
    "2026-01-02T09:00:00Z,900.00,GBP,2026-01-05T17:00:00Z,\n"
    f"0WODn00000HHHHHOA5,00000092,{GLOBEX},Globex audit,Completed,"
    "2026-01-02T09:00:00Z,700.00,GBP,2026-01-02T17:00:00Z,\n",
    "invoices.csv": FILES["invoices.csv"]
    + "Globex Corp,GX-1,WO-00000091,15/01/2026,900.00,DEV,Install,9,100.00,,GBP,"
    "Sales invoice,Authorised\n"
    # an unreadable date: quarantined, and its raw text names Globex
     + "Globex Corp,GX-2,WO-00000091,someday,50.00,DEV,Extra,1,50.00,,GBP,"
    "Sales invoice,Authorised\n",
    "time.csv": FILES["time.csv"]
    + "2026-01-03,Globex Corp,Globex install,WO-00000091,Build,,6,Yes,Yes,Gil,Green,,100,600,"
    "50,300.00,British Pound - GBP\n",
}
# what no answer to sales may contain (Globex's golden key and ids are added once known)
MARKERS = ["Globex", "GX-1", "GX-2", "00000091", "00000092", GLOBEX]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_project(tmp_path_factory.mktemp("scope"), YML, FILES_TWO)
    code, out = invoke(CliRunner(), "run", "-p", str(root))
    assert code == 0, out
    store = pipeline.state_store(load_project(root))
    for role in ROLES:
        add_user(store, role, role, PASSWORD, None)
    store.close()
    return root


@pytest.fixture(scope="module")
def client(project: Path) -> Iterator[TestClient]:
    with TestClient(create_app(load_project(project))) as c:
        yield c


def _token(project: Path, role: str) -> dict[str, str]:
    store = pipeline.state_store(load_project(project))
    try:
        return {"Authorization": f"Bearer {issue_token(store, role, ['view'])}"}
    finally:
        store.close()


@pytest.fixture(scope="module")
def globex(project: Path, client: TestClient) -> dict[str, str]:
    """Globex's ids as an admin finds them: its account, a case, its job and records."""
    admin = _token(project, "admin")
    get = lambda path: client.get(path, headers=admin).json()  # noqa: E731
    (account,) = [a for a in get("/api/v1/accounts")["items"] if a["name"] == "Globex Corp"]
    key = account["account_key"]
    cases = get(f"/api/v1/exceptions?account_key={key}")["items"]
    jobs = [r for r in get("/api/v1/metrics/margin?by=job")["rows"] if "00000091" in r["label"]]
    job = get("/api/v1" + jobs[0]["href"])
    found = {
        "account_key": key,
        "case_id": cases[0]["id"],
        "job_key": job["job_key"],
        "invoice_line": job["billing"][0]["id"],
        "work_order": job["work_orders"][0]["id"],
    }
    MARKERS.extend([key, found["case_id"], found["job_key"]])
    return found


def _paths(client: TestClient, ids: dict[str, str]) -> Iterator[str]:
    """Every GET route of the app, with Globex's ids filled in (a record route once per
    kind of record); the public ones (login, the chart library) name nobody's data."""
    values = {**ids, "name": "margin", "fmt": "csv", "sha256": "0" * 64}
    for route in iter_route_contexts(client.app.routes):  # type: ignore[attr-defined]
        if not isinstance(route.original_route, APIRoute) or "GET" not in (route.methods or ()):
            continue
        path = str(route.path)
        if path in ("/login", "/vendor/vega.js"):
            continue
        if "{record_id}" in path:
            for record in ("invoice_line", "work_order"):
                yield path.replace("{record_id}", ids[record])
            continue
        filled = re.sub(r"{(\w+)}", lambda m: values[m.group(1)], path)
        for query in _queries(filled):
            yield filled + query


def _queries(path: str) -> list[str]:
    if path.endswith("/metrics/margin"):
        return ["?by=customer", "?by=job", "?by=customer&format=csv", "?by=job&format=xlsx"]
    if path.endswith("/accounts"):
        return ["", "?format=csv"]
    return [""]


def _leaks(response: Any) -> list[str]:
    body = response.content.decode("utf-8", "replace")
    return [m for m in MARKERS if m in body]


def test_a_sales_rep_sees_no_other_reps_customer_on_any_path(
    project: Path, client: TestClient, globex: dict[str, str]
) -> None:
    """Every GET path as sales: refused (403/404) or answered without Globex. Admin, asked
    the same, does see Globex on most of them, so the paths do reach its data."""
    sales, admin = _token(project, "sales"), _token(project, "admin")
    paths = list(_paths(client, globex))
    leaking, refused, shown_to_admin = [], [], 0
    for path in paths:
        r = client.get(path, headers=sales)
        if r.status_code in (403, 404):
            refused.append(path)
        else:
            assert r.status_code == 200, (path, r.status_code, r.text[:300])
            if _leaks(r):
                leaking.append((path, _leaks(r)))
        shown_to_admin += bool(_leaks(client.get(path, headers=admin)))
    print(
        f"\nsales: {len(paths) - len(leaking)} of {len(paths)} GET paths scoped, "
        f"{len(refused)} refused; admin sees Globex on {shown_to_admin}"
    )
    assert leaking == []
    assert shown_to_admin >= 20, "the walk reaches Globex's data"


def test_sales_still_sees_its_own_customer(client: TestClient, project: Path) -> None:
    sales = _token(project, "sales")
    accounts = client.get("/api/v1/accounts", headers=sales).json()["items"]
    assert [a["name"] for a in accounts] == ["Acme Ltd"]
    split = client.get("/api/v1/metrics/margin?by=customer", headers=sales).json()
    assert [r["label"] for r in split["rows"]] == ["Acme Ltd"] and split["total"] is None
    (job,) = client.get("/api/v1/metrics/margin?by=job", headers=sales).json()["rows"]
    found = client.get("/api/v1" + job["href"], headers=sales).json()
    record = client.get(f"/api/v1/records/{found['billing'][0]['id']}", headers=sales)
    assert record.status_code == 200 and record.json()["row"]["invoice_number"] == "INV-1"


def test_company_wide_answers_are_refused_to_sales_not_to_finance(
    client: TestClient, project: Path
) -> None:
    sales, finance = _token(project, "sales"), _token(project, "finance")
    for path in (
        "/board.pdf",
        "/api/v1/quarantine",
        "/api/v1/quarantine.csv",
        "/api/v1/match-reviews",
    ):
        assert client.get(path, headers=sales).status_code == 403, path
        assert client.get(path, headers=finance).status_code == 200, path
    quarantine = client.get("/api/v1/quarantine", headers=finance).json()
    assert any("GX-2" in (q["raw_text"] or "") for q in quarantine["items"])


def test_the_open_exceptions_figure_counts_a_reps_own(client: TestClient, project: Path) -> None:
    """The overview's figure counted every customer's exceptions for sales too, while its link
    listed their own: now both are their own."""
    counts = {}
    for role in ("sales", "admin"):
        headers = _token(project, role)
        card = client.get("/", headers=headers).text.split('id="card-exceptions"')[1]
        figure = int(card.split('class="value">')[1].split("<")[0])
        listed = client.get("/api/v1/exceptions?status=active", headers=headers).json()["total"]
        assert figure == listed, role
        counts[role] = figure
    assert counts["sales"] < counts["admin"]
