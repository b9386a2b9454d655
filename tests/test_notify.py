"""Owners hear about their new and escalated exceptions: a digest e-mail through a real local
SMTP server (aiosmtpd), never repeating an item; and `tieout run` posts a summary to a
webhook (a real local HTTP server)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from email import message_from_string
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from typer.testing import CliRunner

from support import invoke, write_project

ACME = "001Dn000004AAAaIAO"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Sink:
    def __init__(self) -> None:
        self.messages: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(envelope.content.decode("utf-8"))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Sink, int]]:
    sink, port = Sink(), _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, port
    controller.stop()


def _project(root: Path, port: int, milestones: list[str], webhook: str = "") -> Path:
    yml = f"""
name: notify
as_of: 2026-03-31
ownership: {{ps: PS team}}
notify:
  smtp: {{host: 127.0.0.1, port: {port}, starttls: false, from_address: tieout@example.com}}
  recipients: {{PS team: ps@example.com}}
  {f"webhook_url: {webhook}" if webhook else ""}
sources:
  - {{name: crm, path: Account.csv, preset: salesforce.account}}
  - {{name: onboarding, path: onboarding.csv, preset: canonical.onboarding_milestone,
     system: salesforce}}
"""
    rows = "".join(
        f"{m},{ACME},{m} milestone,2026-03-{10 + i:02d},,planned\n"
        for i, m in enumerate(milestones)
    )
    return write_project(
        root,
        yml,
        {
            "Account.csv": f"Id,Name\n{ACME},Acme Ltd\n",
            "onboarding.csv": "native_id,account_native_id,name,due_date,completed_at,status\n"
            + rows,
        },
    )


def test_digest_per_owner_without_repeats(tmp_path: Path, smtp: tuple[Sink, int]) -> None:
    sink, port = smtp
    cli = CliRunner()
    root = _project(tmp_path, port, ["M1", "M2"])
    assert invoke(cli, "run", "-p", str(root))[0] == 0
    code, out = invoke(cli, "notify", "digest", "-p", str(root))
    assert code == 0 and "1 digest(s) sent" in out, out
    (first,) = sink.messages
    mail = message_from_string(first)
    assert mail["To"] == "ps@example.com"
    assert mail["Subject"] == "tieout: 2 exception(s) new or escalated for PS team"
    assert "M1 milestone" in first and "M2 milestone" in first
    # nothing new: no second mail
    assert invoke(cli, "notify", "digest", "-p", str(root))[0] == 0
    assert len(sink.messages) == 1
    # a new overdue milestone: the next digest has only that one
    _project(tmp_path, port, ["M1", "M2", "M3"])
    assert invoke(cli, "run", "-p", str(root))[0] == 0
    assert invoke(cli, "notify", "digest", "-p", str(root))[0] == 0
    second = sink.messages[1]
    assert "M3 milestone" in second and "M1 milestone" not in second


def test_run_posts_a_summary_to_the_webhook(tmp_path: Path) -> None:
    received: list[dict[str, Any]] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return

    server = HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    try:
        root = _project(tmp_path, 25, ["M1"], webhook=url)
        code, out = invoke(CliRunner(), "run", "-p", str(root))
    finally:
        server.shutdown()
    assert code == 0, out
    (summary,) = received
    assert summary["as_of"] == "2026-03-31"
    assert summary["exceptions"]["by_rule"]["onboarding_overdue"] == 1
    assert summary["exceptions"]["new"] == 1


def test_a_failed_webhook_is_a_warning_not_a_failed_run(tmp_path: Path) -> None:
    root = _project(tmp_path, 25, ["M1"], webhook=f"http://127.0.0.1:{_free_port()}/hook")
    code, out = invoke(CliRunner(), "run", "-p", str(root))
    assert code == 0 and "warning" in out and "webhook" in out, out
