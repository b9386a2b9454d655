"""The web app on a real PostgreSQL state store, end to end: a run raises the exceptions
(bulk writes), people act on them through the JSON API, and a 240-character assignee, which
PostgreSQL's varchar(200) answered with a 500, is a 400 naming the field and its limit."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import web_project
from pg import Server
from support import invoke
from tieout.config import load_project
from tieout.serve import create_app


def test_the_web_app_on_postgresql(
    tmp_path: Path, pg_server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = pg_server.fresh()
    monkeypatch.setattr(web_project, "YML", web_project.YML + f"state: {{url: '{url}'}}\n")
    root = web_project.build(tmp_path)
    with TestClient(create_app(load_project(root))) as client:
        web_project.log_in(client, "ops")
        items = client.get("/api/v1/exceptions?rule=unbilled_work").json()["items"]
        case = items[0]["id"]
        headers = web_project.api_headers(client)
        path = f"/api/v1/exceptions/{case}/assign"
        too_long = client.post(path, json={"to": "p" * 240}, headers=headers)
        assert too_long.status_code == 400, too_long.text
        assert "assigned_to is 240 characters long" in too_long.json()["detail"]
        assert "at most 200" in too_long.json()["detail"]
        assert client.post(path, json={"to": "pat"}, headers=headers).status_code == 200
        assert client.get("/api/v1/exceptions?owner=pat").json()["total"] == 1
    code, out = invoke(CliRunner(), "audit", "verify", "-p", str(root))
    assert code == 0 and "audit log intact" in out, out
