"""Commentary reworded by an OpenAI-compatible endpoint (a local stub speaking the protocol):
kept only when every number it writes is one the computed text contains."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from support import copy_project, invoke
from test_metrics import _project
from tieout import pipeline
from tieout.config import load_project
from tieout.state.models import AuditEvent

Reply = Callable[[str], str]


class _Stub(ThreadingHTTPServer):
    reply: Reply
    requests: list[dict[str, object]]


class _Handler(BaseHTTPRequestHandler):
    server: _Stub

    def do_POST(self) -> None:  # the one route the client calls
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append({"path": self.path, **body})
        text = self.server.reply(body["messages"][-1]["content"])
        payload = {
            "id": "chatcmpl-stub",
            "object": "chat.completion",
            "created": 0,
            "model": body["model"],
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def stub() -> Iterator[_Stub]:
    server = _Stub(("127.0.0.1", 0), _Handler)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


@pytest.fixture(scope="module")
def books(stub: _Stub, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """test_metrics' books with the stub as the commentary model, after one run (which asks
    the model nothing); shared, each test working on its own copy (`own_books`)."""
    root = _project(tmp_path_factory.mktemp("commentary"))
    port = stub.server_address[1]
    yml = root / "tieout.yml"
    yml.write_text(
        yml.read_text("utf-8")
        + f"commentary:\n  llm: {{url: 'http://127.0.0.1:{port}/v1', model: stub-1}}\n",
        "utf-8",
    )
    code, out = invoke(CliRunner(), "run", "-p", str(root))
    assert code == 0, out
    assert stub.requests == []
    return root


@pytest.fixture
def own_books(books: Path, stub: _Stub, tmp_path: Path) -> Path:
    stub.requests = []  # this test's requests only
    return copy_project(books, tmp_path / "books")


def _commentary(cli: CliRunner, root: Path) -> dict[str, object]:
    code, out = invoke(
        cli, "report", "commentary", "--period", "2026-09", "-p", str(root), "--json"
    )
    assert code == 0, out
    return dict(json.loads(out[out.index("{") :]))


def test_a_faithful_rewording_is_used(own_books: Path, stub: _Stub, cli: CliRunner) -> None:
    stub.reply = lambda text: "In short: " + text.replace("Of the change,", "Behind it,")
    root = own_books
    result = _commentary(cli, root)
    assert result["by_model"] is True and str(result["text"]).startswith("In short: Margin")
    (request,) = stub.requests
    assert request["path"] == "/v1/chat/completions" and request["model"] == "stub-1"


def test_a_made_up_number_is_refused_and_logged(
    own_books: Path, stub: _Stub, cli: CliRunner
) -> None:
    stub.reply = lambda text: text.replace("1,850.00", "1,900.00") + " Growth was 12 %."
    root = own_books
    result = _commentary(cli, root)
    assert result["by_model"] is False
    assert result["rejected_numbers"] == ["1,900.00", "12"]
    assert "1,850.00" in str(result["text"])  # the computed text stands
    store = pipeline.state_store(load_project(root))
    with store.session() as s:
        events = s.query(AuditEvent).filter(AuditEvent.action == "commentary.llm_rejected").all()
        assert [e.detail["rejected"] for e in events] == [["1,900.00", "12"]]
    store.close()
