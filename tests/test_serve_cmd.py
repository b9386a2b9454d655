"""`tieout serve` behind an SSO proxy: the app, not uvicorn, decides which proxy to believe.

uvicorn rewrites the client's address from X-Forwarded-For when the request comes from
127.0.0.1 (its --forwarded-allow-ips default). A proxy on the same host that adds the header,
as proxies do, then looked like its client to the app, so access.trusted_proxies never
matched and the trusted header was refused. `tieout serve` turns uvicorn's handling off;
access.trusted_proxies is the one list that says whose headers count."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from support import write_project
from tieout import pipeline
from tieout.cli.main import app
from tieout.config import load_project
from tieout.state.users import add_user

YML = "name: proxied\naccess:\n  trusted_proxies: ['127.0.0.1']\n  trusted_header: X-Remote-User\n"
PASSWORD = "correct horse battery"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = write_project(tmp_path, YML, {})
    store = pipeline.state_store(load_project(root))
    add_user(store, "ann", "finance", PASSWORD, None)
    store.close()
    return root


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(root: Path) -> Iterator[str]:
    """`tieout serve --workers 1` on a free loopback port, in its own process."""
    port = _free_port()
    tieout = str(Path(sys.executable).with_name("tieout"))
    args = [tieout, "serve", "-p", str(root), "--port", str(port), "--workers", "1"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(base + "/login", timeout=1)
                break
            except httpx.HTTPError:
                assert proc.poll() is None, "tieout serve exited"
                assert time.monotonic() < deadline, "tieout serve did not start"
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(20)


def test_a_proxy_on_loopback_that_forwards_its_client_is_believed(served: str) -> None:
    """The proxy at 127.0.0.1 forwards a request from 203.0.113.9 for ann."""
    headers = {"X-Remote-User": "ann", "X-Forwarded-For": "203.0.113.9"}
    assert httpx.get(served + "/api/v1/snapshot", headers=headers).status_code == 200
    # without the header: nobody
    assert httpx.get(served + "/api/v1/snapshot").status_code == 401


@pytest.mark.parametrize("workers", ["1", "3"])
def test_serve_leaves_forwarded_headers_to_the_app(
    root: Path, monkeypatch: pytest.MonkeyPatch, workers: str
) -> None:
    """Both ways of starting uvicorn (one worker in-process, several from the factory)."""
    import uvicorn

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: calls.append(kw))
    monkeypatch.delenv("TIEOUT_PROJECT", raising=False)
    monkeypatch.delenv("TIEOUT_HTTPS_ONLY", raising=False)
    result = CliRunner().invoke(app, ["serve", "-p", str(root), "--workers", workers])
    assert result.exit_code == 0, result.output
    (kwargs,) = calls
    assert kwargs["proxy_headers"] is False
