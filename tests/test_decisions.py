"""Decision requests: raised by a person or by a threshold over account health, decided by a
leader (anyone else is refused), every step audited."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from cli_users import token_for
from support import invoke, write_project
from tieout import pipeline
from tieout.accounts.decisions import raise_by_thresholds
from tieout.config import load_project
from tieout.config.operating import DecisionsConfig, DecisionThreshold
from tieout.engine import Warehouse
from tieout.errors import ConfigError
from tieout.model.tables import TABLE_MAP
from tieout.state import StateStore
from tieout.state.decisions import decide, requests, threshold_id
from tieout.state.models import AuditEvent, DecisionRequest

YML = """
name: decisions
as_of: 2026-10-31
sources:
  - {name: crm, path: Account.csv, preset: salesforce.account}
decisions:
  leaders: [ceo, cfo]
"""
ACCOUNTS = "Id,Name,Website\n001Dn000004AAAaIAK,Northwind Traders Ltd,www.northwind.co.uk\n"
AS_OF = dt.date(2026, 10, 31)


def _ok(cli: CliRunner, *args: str) -> str:
    code, out = invoke(cli, *args)
    assert code == 0, out
    return out


def _agenda(cli: CliRunner, root: Path, *args: str) -> list[dict[str, object]]:
    return list(json.loads(_ok(cli, "decisions", "-p", str(root), "-f", "json", *args)))


def test_raise_and_decide_by_a_leader(
    tmp_path: Path, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_project(tmp_path, YML, {"Account.csv": ACCOUNTS})
    _ok(cli, "run", "-p", str(root))
    loaded = load_project(root)
    with pipeline.snapshots(loaded).open_current() as wh:
        key = str(wh.scalar("SELECT golden_key FROM xref WHERE entity_type = 'customer'"))
    # sam has the leadership role, but tieout.yml names the leaders who decide
    monkeypatch.setenv("TIEOUT_TOKEN", token_for(root, "sam", "leadership"))
    ask = ("decisions", "raise", "-p", str(root), "--question", "Discount the renewal?")
    code, out = invoke(cli, *ask, "--account", "NOPE", "--due", "2026-11-07")
    assert code == 2 and "no customer with account key 'NOPE'" in out
    code, out = invoke(cli, *ask, "--account", key, "--due", "next week")
    assert code == 2 and "--due must be a date" in out
    out = _ok(
        cli,
        *ask,
        "--account",
        key,
        "--option",
        "10 % off",
        "--option",
        "hold price",
        "--owner",
        "sales director",
        "--due",
        "2026-11-07",
        "--amount",
        "120000",
    )
    request_id = out.split(":")[0]
    (row,) = _agenda(cli, root, "--open")
    assert (row["id"], row["account_key"], row["status"], row["raised_by"]) == (
        request_id,
        key,
        "open",
        "sam",
    )
    assert (row["options"], row["amount_at_stake"], row["due_date"]) == (
        ["10 % off", "hold price"],
        "120000.00",
        "2026-11-07",
    )

    decide_it = ("decisions", "decide", request_id, "-p", str(root), "--decision", "hold price")
    code, out = invoke(cli, *decide_it, "--rationale", "margin")
    assert code == 2 and "sam is not a leader" in out
    monkeypatch.setenv("TIEOUT_TOKEN", token_for(root, "cfo", "leadership"))
    _ok(cli, *decide_it, "--rationale", "margin is thin already")
    monkeypatch.setenv("TIEOUT_TOKEN", token_for(root, "ceo", "leadership", ["view"]))
    code, out = invoke(cli, *decide_it, "--rationale", "again")
    assert code == 2 and "may not decisions.decide with this token" in out
    monkeypatch.setenv("TIEOUT_TOKEN", token_for(root, "ceo", "leadership"))
    code, out = invoke(cli, *decide_it, "--rationale", "again")
    assert code == 2 and "already decided by cfo" in out
    assert _agenda(cli, root, "--open") == []
    (row,) = _agenda(cli, root)
    assert (row["status"], row["decision"], row["rationale"], row["decided_by"]) == (
        "decided",
        "hold price",
        "margin is thin already",
        "cfo",
    )
    store = pipeline.state_store(loaded)
    with store.session() as s:
        trail = s.execute(
            select(AuditEvent.action, AuditEvent.actor).where(AuditEvent.entity == "decision")
        ).all()
    store.close()
    assert [tuple(t) for t in trail] == [("decision.raise", "sam"), ("decision.decide", "cfo")]


HEALTH = [  # account_key, band, tier, renewal_days, contract_value
    ("A", "red", "strategic", 30, Decimal("50000.00")),  # over the threshold
    ("B", "red", "strategic", 200, Decimal("9000.00")),  # renews too late to count
    ("C", "amber", "strategic", 20, Decimal("7000.00")),  # not red
    ("D", "red", "standard", 10, Decimal("3000.00")),  # not strategic
]


def _health(
    wh: Warehouse,
    rows: list[tuple[str, str, str, int, Decimal]],
    reasons: dict[str, list[dict[str, object]]] | None = None,
) -> None:
    wh.drop_table("account_health")
    wh.create_model_table(TABLE_MAP["account_health"])
    for key, band, tier, days, value in rows:
        wh.execute(
            "INSERT INTO account_health "
            "(account_key, band, tier, renewal_days, contract_value, reasons) "
            "VALUES (:key, :band, :tier, :days, :value, :reasons)",
            {
                "key": key,
                "band": band,
                "tier": tier,
                "days": days,
                "value": value,
                "reasons": json.dumps((reasons or {}).get(key, [])),
            },
        )


RED_STRATEGIC_RENEWAL = DecisionThreshold(
    name="red_strategic_renewal",
    when="band = 'red' AND tier = 'strategic' AND renewal_days <= 90",
    question="A red strategic account renews within 90 days: what do we do?",
    options=["executive sponsor call", "service recovery plan"],
)


def test_thresholds_raise_once_per_crossing(state_url: str, tmp_path: Path) -> None:
    store = StateStore(state_url, tmp_path)
    store.upgrade()
    thresholds = [RED_STRATEGIC_RENEWAL]
    with Warehouse(tmp_path / "health.duckdb") as wh:
        _health(wh, HEALTH)
        first = raise_by_thresholds(wh, store, thresholds, AS_OF)
        assert first == [threshold_id("red_strategic_renewal", "A")]
        assert raise_by_thresholds(wh, store, thresholds, AS_OF) == []  # open already
        (request,) = requests(store, open_only=True)
        assert (request.account_key, request.amount_at_stake, request.due_date) == (
            "A",
            Decimal("50000.00"),
            AS_OF + dt.timedelta(days=7),
        )
        assert request.raised_by == "threshold:red_strategic_renewal"
        assert request.options == thresholds[0].options

        decide(store, first[0], decision="sponsor call", rationale="r", by="ceo", leaders=[])
        assert raise_by_thresholds(wh, store, thresholds, AS_OF) == []  # decided, still red
        _health(wh, [("A", "green", "strategic", 30, Decimal("50000.00"))])
        assert raise_by_thresholds(wh, store, thresholds, AS_OF) == []  # recovered
        _health(wh, HEALTH)
        later = raise_by_thresholds(wh, store, thresholds, AS_OF + dt.timedelta(days=30))
        assert later == [threshold_id("red_strategic_renewal", "A", 2)]
        assert later[0] == first[0] + "-2"
    with store.session() as s:
        cleared = s.get(DecisionRequest, first[0])
        actions = s.scalars(select(AuditEvent.action).where(AuditEvent.entity == "decision"))
        assert cleared is not None and cleared.cleared_on == AS_OF
        assert list(actions) == [
            "decision.raise",
            "decision.decide",
            "decision.cleared",
            "decision.raise",
        ]
    store.close()


def test_by_default_red_and_strategic_amber_ask_leadership(state_url: str, tmp_path: Path) -> None:
    """An account that turns red, or a strategic one that turns amber, raises a request
    naming the open exceptions behind its band (those that cap it first)."""
    store = StateStore(state_url, tmp_path)
    store.upgrade()
    reasons = {
        "A": [  # strategic, held at amber by an open SLA breach
            {"signal": "sla_breaches", "points": -5, "text": "1 SLA breach(es)"},
            {"signal": "exception", "rule": "sla_breach_strategic", "points": 0,
             "cap": "amber", "exceptions": ["EX-AAAAAAAAAAAA"], "text": "..."},
        ],
        "D": [  # red on points, one exception costs points without a cap
            {"signal": "exception", "rule": "repeat_issue", "points": -5, "cap": None,
             "exceptions": ["EX-DDDDDDDDDDD2", "EX-DDDDDDDDDDD1"], "text": "..."},
            {"signal": "exception", "rule": "duplicate_invoice", "points": 0, "cap": "red",
             "exceptions": ["EX-DDDDDDDDDDD3"], "text": "..."},
        ],
    }  # fmt: skip
    with Warehouse(tmp_path / "health.duckdb") as wh:
        _health(wh, HEALTH, reasons)
        raised = raise_by_thresholds(wh, store, DecisionsConfig().thresholds, AS_OF)
    by_account = {r.account_key: r for r in requests(store, open_only=True)}
    # A: red strategic; B: red strategic; C: amber strategic; D: red standard
    assert sorted(raised) == sorted(
        [
            threshold_id("account_red", "A"),
            threshold_id("account_red", "B"),
            threshold_id("strategic_amber", "C"),
            threshold_id("account_red", "D"),
        ]
    )
    assert by_account["A"].exceptions == ["EX-AAAAAAAAAAAA"]
    assert by_account["B"].exceptions == []
    assert by_account["C"].question == "A strategic account turned amber: what do we do?"
    assert by_account["D"].exceptions == ["EX-DDDDDDDDDDD3", "EX-DDDDDDDDDDD2", "EX-DDDDDDDDDDD1"]
    store.close()


@pytest.mark.parametrize(
    ("when", "problem"),
    [
        ("band = 'red' AND colour = 'x'", "no column colour"),
        ('band = "red"', "no column red"),
        ("score < (SELECT 1)", "not a query"),
        ("band = 'red'; DROP TABLE account_health", "one condition"),
        ("band = = 'red'", "not valid SQL"),
    ],
)
def test_a_bad_threshold_is_a_config_error(tmp_path: Path, when: str, problem: str) -> None:
    yml = f"name: t\ndecisions:\n  thresholds:\n    - name: bad\n      when: {json.dumps(when)}\n"
    write_project(tmp_path, yml + "      question: '?'\n", {})
    with pytest.raises(ConfigError, match=problem) as caught:
        load_project(tmp_path)  # checked when tieout.yml loads, before any stage
    assert (caught.value.line, caught.value.key) == (5, "decisions.thresholds.0.when")
