"""The web app on a project that has not run yet: its data routes say so (409 with the
command to run), never a server error."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from cli_users import token_for
from support import write_project
from tieout.config import load_project
from tieout.serve import create_app

YML = """
name: fresh
as_of: 2026-10-31
sources:
  - {name: crm, path: Account.csv, preset: salesforce.account}
"""


def test_data_routes_before_the_first_run_say_to_run(tmp_path: Path) -> None:
    root = write_project(tmp_path, YML, {"Account.csv": "Id,Name\n001Dn000004AAAaIAO,Acme\n"})
    token = token_for(root, "ada", "admin")
    client = TestClient(create_app(load_project(root)), raise_server_exceptions=False)
    for path in ("/api/v1/runs", "/api/v1/plans"):
        answer = client.get(path, headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 409, (path, answer.text)
        assert "tieout run" in answer.json()["detail"]
