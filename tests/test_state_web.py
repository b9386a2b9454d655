"""The web app on a real PostgreSQL state store: a 240-character assignee, which
PostgreSQL's varchar(200) answered with a 500, is a 400 naming the field and its limit, and
the same action with a short name goes through."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from pg import Server
from state_workflow import AS_OF, case
from support import write_project
from tieout import pipeline
from tieout.config import load_project
from tieout.serve import create_app
from tieout.state.audit import history
from tieout.state.exceptions import sync_cases
from tieout.state.users import add_user
from tieout.state.verify import verify
from web_project import PASSWORD, api_headers, log_in


def test_an_over_long_assignee_is_a_400_on_postgresql(tmp_path: Path, pg_server: Server) -> None:
    root = write_project(tmp_path, f"name: web\nstate: {{url: '{pg_server.fresh()}'}}\n", {})
    store = pipeline.state_store(load_project(root))
    sync_cases(store, [case("EX-1")], AS_OF, lambda row, first: ("high", "finance"))
    add_user(store, "ops", "ops", PASSWORD, None)
    with TestClient(create_app(load_project(root))) as client:
        log_in(client, "ops")
        path, headers = "/api/v1/exceptions/EX-1/assign", api_headers(client)
        too_long = client.post(path, json={"to": "p" * 240}, headers=headers)
        assert too_long.status_code == 400, too_long.text
        assert too_long.json()["detail"] == (
            "assigned_to is 240 characters long; exception_case.assigned_to holds at most 200"
        )
        done = client.post(path, json={"to": "pat"}, headers=headers)
        assert done.status_code == 200 and done.json()["owner"] == "pat"
    actions = [e.action for e in history(store, "exception", ["EX-1"])]
    assert actions.count("exception.assign") == 1  # the refused one left no entry
    assert verify(store).problems == []
    store.close()
