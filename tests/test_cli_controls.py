"""The CLI's write commands authenticate (a token or a password) and meet the web's rules:
the role x action matrix, the waiver approval limit on waive and resolve, a rep's own
accounts, and the two-person rules. Real CLI, real state store."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

import test_close
import test_reconcile
from cli_users import PASSWORD, token_for
from support import copy_project, invoke
from tieout.cli.main import app

LIMIT = "access: {waive_approval_above: 1000}\n"  # the unbilled work (1,700) is over it


@pytest.fixture(scope="module")
def books_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("controls") / "books"
    test_reconcile._project(root, test_reconcile.XERO_ROWS)
    (root / "tieout.yml").write_text((root / "tieout.yml").read_text("utf-8") + LIMIT, "utf-8")
    code, out = invoke(CliRunner(), "run", "-p", str(root))
    assert code == 0, out
    return root


@pytest.fixture
def books(books_run: Path, tmp_path: Path) -> Path:
    """The book after its run (run once for the module): each test's own copy."""
    return copy_project(books_run, tmp_path / "books")


def _case(cli: CliRunner, root: Path, rule: str) -> dict[str, str]:
    code, out = invoke(
        cli, "exceptions", "--rule", rule, "--status", "all", "-p", str(root), "-f", "json"
    )
    assert code == 0, out
    found: dict[str, str] = json.loads(out)[0]
    return found


def _as(monkeypatch: pytest.MonkeyPatch, token: str | None) -> None:
    if token is None:
        monkeypatch.delenv("TIEOUT_TOKEN", raising=False)
    else:
        monkeypatch.setenv("TIEOUT_TOKEN", token)


def _audit_actors(root: Path, action: str) -> list[str]:
    with sqlite3.connect(root / ".tieout" / "state.db") as db:
        rows = db.execute("SELECT actor FROM audit_log WHERE action = ? ORDER BY id", [action])
        return [r[0] for r in rows]


def test_a_viewer_cannot_waive_and_naming_someone_proves_nothing(
    books: Path, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    unbilled = _case(cli, books, "unbilled_work")["id"]
    waive = ("exceptions", "waive", unbilled, "-p", str(books), "--reason", "fine")
    monkeypatch.setenv("TIEOUT_USER", "fin2")  # a name in the environment is not a login
    result = CliRunner().invoke(app, list(waive))
    assert result.exit_code == 2 and "TIEOUT_TOKEN" in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)

    _as(monkeypatch, token_for(books, "viewer1", "viewer"))
    code, out = invoke(cli, *waive)
    assert code == 2 and "viewer1 (role viewer) may not exceptions.waive" in out, out
    _as(monkeypatch, "deadbeef.not-a-token")
    code, out = invoke(cli, *waive)
    assert code == 2 and "not a live token" in out, out
    assert _case(cli, books, "unbilled_work")["status"] == "open"
    assert _audit_actors(books, "exception.waive") == []


def test_waive_and_resolve_over_the_limit_take_two_people(
    books: Path, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    unbilled = _case(cli, books, "unbilled_work")["id"]  # 1,700 at risk, limit 1,000
    duplicate = _case(cli, books, "duplicate_invoice")["id"]  # 425 at risk
    ceo = token_for(books, "ceo", "leadership")  # may waive, may not approve
    ops = token_for(books, "opsie", "ops")  # may act (resolve), may not waive
    fin = token_for(books, "fin1", "finance")  # may approve
    p = ("-p", str(books))

    _as(monkeypatch, ceo)
    code, out = invoke(cli, "exceptions", "waive", unbilled, *p, "--reason", "goodwill")
    assert code == 0 and "waiver_requested" in out, out
    code, out = invoke(cli, "exceptions", "approve-waiver", unbilled, *p)
    assert code == 2 and "may not exceptions.approve" in out, out
    code, out = invoke(cli, "exceptions", "waive", duplicate, *p, "--reason", "one bill")
    assert code == 0 and "waived" in out, out  # under the limit: alone

    _as(monkeypatch, fin)
    code, out = invoke(cli, "exceptions", "approve-waiver", unbilled, *p)
    assert code == 0 and "waived" in out, out
    assert _audit_actors(books, "exception.waiver_approved") == ["fin1"]

    invoice = _case(cli, books, "invoice_without_work")["id"]  # 425: resolve under the limit
    _as(monkeypatch, ops)
    code, out = invoke(cli, "exceptions", "resolve", invoice, *p, "--reason", "fixed")
    assert code == 0 and "resolved" in out, out
    code, out = invoke(cli, "exceptions", "waive", invoice, *p, "--reason", "x")
    assert code == 2 and "may not exceptions.waive" in out, out


def test_a_resolve_over_the_limit_waits_and_its_requester_cannot_approve_it(
    books: Path, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    unbilled = _case(cli, books, "unbilled_work")["id"]
    p = ("-p", str(books))
    _as(monkeypatch, token_for(books, "opsie", "ops"))
    code, out = invoke(cli, "exceptions", "resolve", unbilled, *p)
    assert code == 2 and "over the approval limit" in out, out
    code, out = invoke(cli, "exceptions", "resolve", unbilled, *p, "--reason", "billed by hand")
    assert code == 0 and "resolve_requested" in out, out
    code, out = invoke(cli, "exceptions", "approve-waiver", unbilled, *p)
    assert code == 2 and "may not exceptions.approve" in out, out
    _as(monkeypatch, token_for(books, "fin1", "finance"))
    assert invoke(cli, "exceptions", "approve-waiver", unbilled, *p)[0] == 0
    assert _case(cli, books, "unbilled_work")["status"] == "resolved"


def test_a_rep_acts_only_on_their_own_accounts(
    books: Path, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    unbilled = _case(cli, books, "unbilled_work")["id"]  # Contoso: no rep of ours owns it
    _as(monkeypatch, token_for(books, "sam", "sales"))
    for args in (("ack", unbilled), ("comment", unbilled, "--text", "mine?")):
        code, out = invoke(cli, "exceptions", *args, "-p", str(books))
        assert code == 2 and f"no exception '{unbilled}'" in out, out
    assert _case(cli, books, "unbilled_work")["status"] == "open"


def test_one_shell_cannot_prepare_and_sign_off_a_close(
    tmp_path: Path, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = test_close._project(tmp_path)
    assert invoke(cli, "run", "-p", str(root))[0] == 0
    period = ("--period", "2026-09", "-p", str(root))
    fin1 = token_for(root, "fin1", "finance")
    token_for(root, "fin2", "finance")

    # the attack: a made-up preparer, then anyone's name as the signer
    monkeypatch.setenv("TIEOUT_USER", "nobody")
    code, out = invoke(cli, "close", "prepare", *period, "--by", "nobody")
    assert code == 2 and "no password given" in out, out
    result = CliRunner().invoke(app, ["close", "prepare", *period, "--by", "nobody"], input="x\n")
    assert result.exit_code == 2 and "cannot log in as nobody" in result.output, result.output

    _as(monkeypatch, fin1)
    assert invoke(cli, "close", "prepare", *period)[0] == 0
    code, out = invoke(cli, "close", "signoff", *period)
    assert code == 2 and "different person" in out, out
    code, out = invoke(cli, "close", "signoff", *period, "--by", "fin2")
    assert code == 2 and "fin1's token" in out, out
    _as(monkeypatch, token_for(root, "vic", "viewer"))
    code, out = invoke(cli, "close", "signoff", *period)
    assert code == 2 and "may not close.signoff" in out, out

    _as(monkeypatch, None)  # fin2 at a terminal: a password, asked for
    signoff = ["close", "signoff", *period, "--user", "fin2"]
    result = CliRunner().invoke(app, signoff, input="wrong password\n")
    assert result.exit_code == 2 and "cannot log in as fin2" in result.output
    result = CliRunner().invoke(app, signoff, input=PASSWORD + "\n")
    assert result.exit_code == 0 and "signed off by fin2 (prepared by fin1)" in result.output
    assert _audit_actors(root, "close.prepare") == ["fin1"]
    assert _audit_actors(root, "close.signoff") == ["fin2"]


def test_user_administration_needs_an_admin_once_there_are_users(
    tmp_path: Path, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = test_reconcile._project(tmp_path, test_reconcile.XERO_ROWS)
    add = ("users", "add", "--role", "admin", "--password-stdin", "-p", str(root))
    first = CliRunner().invoke(app, [*add, "root"], input=PASSWORD + "\n")
    assert first.exit_code == 0, first.output  # the first user needs nobody's say-so
    monkeypatch.setenv("TIEOUT_USER", "root")
    second = CliRunner().invoke(app, [*add, "mallory"], input=PASSWORD + "\n")
    assert second.exit_code == 2 and "TIEOUT_TOKEN" in second.output, second.output

    _as(monkeypatch, token_for(root, "vic", "viewer"))
    code, out = invoke(cli, "tokens", "issue", "root", "--scope", "users.admin", "-p", str(root))
    assert code == 2 and "may not users.admin" in out, out
    code, out = invoke(cli, "tokens", "issue", "vic", "--scope", "view", "-p", str(root))
    assert code == 0, out  # a token of one's own

    _as(monkeypatch, token_for(root, "root", "admin"))
    monkeypatch.setenv("TIEOUT_USER", "someone else")
    assert invoke(cli, "users", "disable", "vic", "-p", str(root))[0] == 0
    assert _audit_actors(root, "user.disable") == ["root"]
