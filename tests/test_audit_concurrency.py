"""Many processes acting at once lose no action and fork no chain: 8 processes x 25 actions
(assign, acknowledge, comment, plain entries) against one state store, started together,
then `audit verify` must find the chain intact, every entry there and every case as its
last action left it. Run on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from tieout.state import StateStore
from tieout.state.exceptions import act, assign, comment, sync_cases
from tieout.state.models import AuditEvent, ExceptionCase, ExceptionNote
from tieout.state.verify import verify

WORKERS, ACTIONS = 8, 25


def _case_id(worker: int, action: int) -> str:
    return f"EX-{worker}-{action}"


def _worker(url: str, root: str, worker: int, start: Any, failures: Any) -> None:
    """One process: its own store (engine, connections), 25 actions, each its own
    transaction, as web workers and CLI commands do."""
    store = StateStore(url, Path(root))
    start.wait()
    for i in range(ACTIONS):
        case_id, who = _case_id(worker, i), f"user{worker}"
        try:
            match i % 4:
                case 0:
                    assign(store, case_id, to=who, by=who)
                case 1:
                    act(store, case_id, "ack", None, by=who)
                case 2:
                    comment(store, case_id, f"looked at {case_id}", by=who)
                case _:
                    store.audit("exception.viewed", "exception", case_id, {"by": who})
        except Exception as exc:  # counted, not raised: the parent reports lost actions
            failures.put(f"{case_id}: {type(exc).__name__}: {exc}")
    store.close()


def test_concurrent_writers_lose_nothing_and_keep_one_chain(state_url: str, tmp_path: Path) -> None:
    store = StateStore(state_url, tmp_path)
    store.upgrade()
    found = [
        {
            "id": _case_id(w, i),
            "rule": "unbilled_work",
            "severity": "high",
            "owner": "finance",
            "account_key": None,
            "amount_at_risk": Decimal("10.00"),
            "detail": "case",
            "source_refs": "[]",
        }
        for w in range(WORKERS)
        for i in range(ACTIONS)
    ]
    sync_cases(store, found, dt.date(2026, 3, 31), lambda row, first: ("high", "finance"))
    with store.session() as s:
        before = s.scalar(select(func.count()).select_from(AuditEvent))
    store.close()  # no connection of the parent's is open across the fork

    # forked, not spawned (as test_state_postgres.py's migrators): each child opens its own
    # store after the fork, and is spared importing tieout again (~2 CPU-s a child)
    fork = mp.get_context("fork")
    start, failures = fork.Barrier(WORKERS), fork.Queue()
    procs = [
        fork.Process(target=_worker, args=(state_url, str(tmp_path), w, start, failures))
        for w in range(WORKERS)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=300)
    lost = []
    while not failures.empty():
        lost.append(failures.get())
    assert lost == [], lost
    assert [p.exitcode for p in procs] == [0] * WORKERS

    store = StateStore(state_url, tmp_path)
    verdict = verify(store)
    assert verdict.problems == [], verdict.problems[:5]
    assert verdict.entries == before + WORKERS * ACTIONS
    with store.session() as s:
        cases = {c.id: c for c in s.scalars(select(ExceptionCase))}
        notes = s.scalar(select(func.count()).select_from(ExceptionNote))
        prevs = s.scalar(select(func.count(func.distinct(AuditEvent.prev_hash))))
    assert prevs == verdict.entries  # no two entries chained to the same one
    assert notes == WORKERS * len(range(2, ACTIONS, 4))
    for w in range(WORKERS):
        assert {cases[_case_id(w, i)].assigned_to for i in range(0, ACTIONS, 4)} == {f"user{w}"}
        assert {cases[_case_id(w, i)].status for i in range(1, ACTIONS, 4)} == {"acknowledged"}
    store.close()
