"""Issue 17's attacks, re-run against a fresh demo project; one line per attack with its
figures and REFUSED (the attack did not work), DETECTED (`tieout audit verify` caught it,
exit 1) or FAILED (it worked).

    .venv/bin/python benchmarks/attacks.py [--workdir /tmp/tieout-attacks] [--no-postgres]

Run by hand (about 3 minutes on two otherwise idle cores). Generates `tieout demo --seed 5
--scale 0.2`, adds users and tokens through the state store, then:

- concurrent writers: `tieout serve --workers 4`, 20 client threads x 20 actions (comment
  and assign on open exceptions, each thread with its own finance user's bearer token);
  actions answered 200 against entries in the audit log, then `tieout audit verify`. On the
  SQLite store, and on PostgreSQL (a throwaway cluster from tests/pg.py, the store moved
  there with `tieout state copy` and state.url set in tieout.yml) when its server is
  installed;
- tampering with the state store as someone with write access to it would (both stores): the
  newest entry, the newest 30 and every entry deleted with the head row fixed up, an actor
  rewritten and the chain recomputed, a case set to `waived` without an entry;
- a `columns:` expression reading /etc/passwd; a cookie session's API POST without the
  CSRF header; a sales rep asking for another rep's customers; `TIEOUT_USER=viewer1
  tieout exceptions waive`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
from sqlalchemy import func, select, text

from tieout import pipeline
from tieout.config import load_project
from tieout.serve.data import owned_accounts
from tieout.state import Base
from tieout.state.audit import entry_hash
from tieout.state.models import AuditEvent, ExceptionCase
from tieout.state.store import StateStore
from tieout.state.users import add_user, issue_token, users

TIEOUT = str(Path(sys.executable).with_name("tieout"))
PASSWORD = "attack bench password"
CLIENTS, EACH, WORKERS = 20, 20, 4
GREP_PASSWD = "root:x:0:0"
LINES: list[str] = []


def report(attack: str, figures: str, verdict: str) -> None:
    line = f"{attack:<50} {figures:<92} {verdict}"
    LINES.append(line)
    print(line, flush=True)


def cli(root: Path, *args: str, env: dict[str, str] | None = None, stdin: str = "") -> Any:
    return subprocess.run(
        [TIEOUT, *args, "-p", str(root)],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "500", **(env or {})},  # rich: one line per message
        check=False,
    )


@contextmanager
def opened(root: Path) -> Iterator[StateStore]:
    store = pipeline.state_store(load_project(root))
    try:
        yield store
    finally:
        store.close()


def user_token(root: Path, name: str, role: str, scopes: list[str] | None = None) -> str:
    """A bearer token of `name` (added with `role` and PASSWORD when new)."""
    loaded = load_project(root)
    with opened(root) as store:
        if name not in {u.name for u in users(store)}:
            add_user(store, name, role, PASSWORD, None)
        allowed = loaded.config.access.roles.get(role, [])
        return issue_token(store, name, allowed if scopes is None else scopes)


def open_cases(root: Path) -> list[str]:
    with opened(root) as store, store.session() as s:
        query = select(ExceptionCase.id).where(ExceptionCase.status == "open")
        return list(s.scalars(query.order_by(ExceptionCase.id)))


def verify(root: Path) -> tuple[int, str]:
    """`tieout audit verify`: exit code and its first line (the verdict or first problem)."""
    done = cli(root, "audit", "verify")
    first = (done.stdout + done.stderr).strip().splitlines()
    said = " ".join(first[0].split()).replace(f"{root}/", "") if first else ""
    said = re.sub(r" \(\d{4}-\d\d-\d\dT[^)]*\)", "", said)  # a checkpoint's time
    return done.returncode, said


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(root: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """`tieout serve --workers 4` on a free loopback port, stopped afterwards."""
    port = _free_port()
    args = [TIEOUT, "serve", "-p", str(root), "--port", str(port), "--workers", str(WORKERS)]
    log = (root / "serve.log").open("w")
    proc = subprocess.Popen(
        args, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})},
        start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(base + "/login", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"tieout serve did not start: see {root / 'serve.log'}")
            time.sleep(0.3)
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # the server we started and its workers
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


# --- (a) concurrent writers -------------------------------------------------------------


def concurrent_writers(
    root: Path,
    store_kind: str,
    env: dict[str, str] | None = None,
    then: Callable[[str], None] | None = None,
) -> None:
    """400 actions at once; `then(base_url)` runs against the same server afterwards."""
    writers = [f"writer{i:02d}" for i in range(CLIENTS)]
    tokens = {w: user_token(root, w, "finance", ["view", "exceptions.act"]) for w in writers}
    cases = open_cases(root)
    with opened(root) as store, store.session() as s:
        before = s.scalar(select(func.count()).select_from(AuditEvent)) or 0
    answered: dict[int, int] = {}
    failures: list[str] = []
    lock = threading.Lock()

    def client(t: int, base: str) -> None:
        headers = {"Authorization": f"Bearer {tokens[writers[t]]}"}
        with httpx.Client(base_url=base, headers=headers, timeout=60) as http:
            for i in range(EACH):
                case = cases[(t * EACH + i) % len(cases)]
                if i % 2:
                    body = {"to": writers[t]}
                    r = http.post(f"/api/v1/exceptions/{case}/assign", json=body)
                else:
                    body = {"reason": f"bench note {t}-{i}"}
                    r = http.post(f"/api/v1/exceptions/{case}/comment", json=body)
                with lock:
                    answered[r.status_code] = answered.get(r.status_code, 0) + 1
                    if r.status_code != 200:
                        failures.append(f"{r.status_code} {r.text[:120]}")

    with serving(root, env) as base:
        started = time.perf_counter()
        threads = [threading.Thread(target=client, args=(t, base)) for t in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started
        with opened(root) as store, store.session() as s:
            recorded = s.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(
                    AuditEvent.actor.in_(writers),
                    AuditEvent.action.in_(["exception.comment", "exception.assign"]),
                )
            )
            after = s.scalar(select(func.count()).select_from(AuditEvent)) or 0
        code, said = verify(root)  # while the workers still hold the store open
        sent, ok = CLIENTS * EACH, answered.get(200, 0)
        lost = ok - (recorded or 0)
        figures = (
            f"{sent} sent by {CLIENTS} clients to {WORKERS} workers in {seconds:.1f}s: {ok} ok, "
            f"{recorded} recorded ({after - before} new entries), {lost} lost; verify exit "
            f"{code}: {said.split(',')[0]}"
        )
        good = ok == sent and lost == 0 and code == 0
        report(f"(a) concurrent writers, {store_kind}", figures, "REFUSED" if good else "FAILED")
        if failures:
            print(f"    first failures: {failures[:3]}")
        if code:
            print(f"    verify: {said}")
        if then is not None:
            then(base)


# --- (b) tampering with the store -------------------------------------------------------


def _truncate(db: Any, count: int | None) -> None:
    """Delete the newest `count` entries (None: all) and set the head to what is left."""
    if count is None:
        db.execute(text("DELETE FROM audit_log"))
    else:
        db.execute(
            text(
                "DELETE FROM audit_log WHERE id IN "
                "(SELECT id FROM audit_log ORDER BY id DESC LIMIT :n)"
            ),
            {"n": count},
        )
    last = db.scalar(text("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1"))
    left = db.scalar(text("SELECT count(*) FROM audit_log"))
    db.execute(
        text("UPDATE audit_head SET seq = :seq, hash = :hash"),
        {"seq": left, "hash": last or "0" * 64},
    )


def _rechain(db: Any) -> None:
    """Make a writer's comment someone else's, then recompute every hash and the head."""
    log = Base.metadata.tables["audit_log"]
    victim = db.scalar(
        select(log.c.id).where(log.c.action == "exception.comment").order_by(log.c.id).limit(1)
    )
    db.execute(log.update().where(log.c.id == victim).values(actor="mallory"))
    prev = "0" * 64
    for row in db.execute(select(log).order_by(log.c.id)).mappings().all():
        prev_hash, prev = prev, entry_hash(prev, SimpleNamespace(**row))
        db.execute(log.update().where(log.c.id == row["id"]).values(prev_hash=prev_hash, hash=prev))
    db.execute(text("UPDATE audit_head SET hash = :hash"), {"hash": prev})


def _waive(db: Any) -> None:
    case = db.scalar(
        text("SELECT id FROM exception_case WHERE status = 'open' ORDER BY id LIMIT 1")
    )
    db.execute(
        text("UPDATE exception_case SET status = 'waived', reason = 'ok' WHERE id = :id"),
        {"id": case},
    )


TAMPERS: list[tuple[str, Callable[[Any], None]]] = [
    ("newest entry deleted, head fixed", lambda db: _truncate(db, 1)),
    ("newest 30 deleted, head fixed", lambda db: _truncate(db, 30)),
    ("every entry deleted, head reset", lambda db: _truncate(db, None)),
    ("actor rewritten, chain recomputed", _rechain),
    ("case set to 'waived' directly", _waive),
]


def tampering(root: Path, kind: str, restore: Callable[[], None]) -> None:
    """Each tamper on the store as it is now (`restore()` puts it back before the next)."""
    with opened(root) as store, store.session() as s:
        entries = s.scalar(select(func.count()).select_from(AuditEvent))
    for name, tamper in TAMPERS:
        with opened(root) as store, store.engine.begin() as db:
            tamper(db)
        code, said = verify(root)
        report(
            f"(b) {name}, {kind}",
            f"{entries} entries before; verify exit {code}: {said[:150]}",
            "DETECTED" if code == 1 else "FAILED",
        )
        restore()
    code, _ = verify(root)
    assert code == 0, "the untouched store no longer verifies"


def tampering_sqlite(root: Path) -> None:
    db_file = root / ".tieout" / "state.db"
    pristine = root / "state.pristine.db"
    with sqlite3.connect(db_file) as src, sqlite3.connect(pristine) as dst:
        src.backup(dst)

    def restore() -> None:
        for extra in ("", "-wal", "-shm"):
            Path(f"{db_file}{extra}").unlink(missing_ok=True)
        shutil.copyfile(pristine, db_file)

    tampering(root, "SQLite", restore)


def tampering_postgres(root: Path, server: Any, url: str) -> None:
    """The database copied aside as a template, and copied back after each tamper."""
    name = url.rsplit("/", 1)[1]

    def copy(source: str, target: str) -> None:
        with server_conn(server) as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname IN (:a, :b) AND pid <> pg_backend_pid()"
                ),
                {"a": source, "b": target},
            )
            conn.execute(text(f"DROP DATABASE IF EXISTS {target}"))
            conn.execute(text(f"CREATE DATABASE {target} TEMPLATE {source}"))

    copy(name, "pristine")
    tampering(root, "PostgreSQL", lambda: copy("pristine", name))


# --- (c) config SQL reading a file ------------------------------------------------------


def config_sql(root: Path) -> None:
    yml = root / "tieout.yml"
    original = yml.read_text(encoding="utf-8")
    column = (
        '  columns:\n    account:\n      name: "coalesce((SELECT name FROM '
        "read_text('/etc/passwd') AS t(id, name)), name)\"\n"
    )
    anchor = "  preset: salesforce.account\n"
    assert anchor in original
    runs_before = cli(root, "runs", "-f", "json").stdout
    yml.write_text(original.replace(anchor, anchor + column, 1), encoding="utf-8")
    try:
        done = cli(root, "run")
    finally:
        yml.write_text(original, encoding="utf-8")
    said = " ".join((done.stdout + done.stderr).split()).replace(f"{root}/", "")
    new_runs = cli(root, "runs", "-f", "json").stdout != runs_before
    leaked = GREP_PASSWD in done.stdout + done.stderr + cli(root, "accounts").stdout
    figures = (
        f"tieout run exit {done.returncode}, new run: {new_runs}, leaked: {leaked}: {said[:120]}"
    )
    ok = done.returncode == 2 and not new_runs and not leaked
    report("(c) columns: read_text('/etc/passwd')", figures, "REFUSED" if ok else "FAILED")


# --- (d) CSRF, (e) sales scope ------------------------------------------------------------


def csrf(root: Path, base: str, case: str) -> None:
    user_token(root, "fin1", "finance")
    with httpx.Client(base_url=base, timeout=30) as web:
        page = web.get("/login").text
        token = re.search(r'name="csrf" value="([^"]+)"', page)
        assert token, "no CSRF field on /login"
        form = {"name": "fin1", "password": PASSWORD, "csrf": token.group(1)}
        assert web.post("/login", data=form).status_code == 303, "fin1 could not log in"
        forged = web.post(f"/api/v1/exceptions/{case}/ack", json={})
        status = web.get(f"/api/v1/exceptions/{case}").json()["case"]["status"]
        meta = re.search(r'name="tieout-csrf" content="([^"]+)"', web.get("/").text)
        assert meta, "no tieout-csrf meta on the overview"
        honest = web.post(
            f"/api/v1/exceptions/{case}/ack", json={}, headers={"X-Tieout-CSRF": meta.group(1)}
        )
    figures = (
        f"cookie POST .../ack without X-Tieout-CSRF: {forged.status_code}, case still "
        f"{status}; with the header: {honest.status_code}"
    )
    ok = forged.status_code == 403 and status == "open" and honest.status_code == 200
    report("(d) JSON API CSRF, cookie session", figures, "REFUSED" if ok else "FAILED")


def sales_scope(root: Path, base: str) -> None:
    loaded = load_project(root)
    with pipeline.snapshots(loaded).open_current() as wh:
        reps = wh.query(
            """
            SELECT p.name, count(DISTINCT x.golden_key) AS n
            FROM xref x
            JOIN account a ON a.source_system = x.source_system
                 AND a.source_object = x.source_object AND a.native_id = x.native_id
            JOIN person p ON p.source_system = a.source_system AND p.native_id = a.owner_native_id
            WHERE x.entity_type = 'customer' AND x.method = 'master'
            GROUP BY p.name ORDER BY n DESC, p.name LIMIT 1
            """
        )
        rep = str(reps[0][0])
        own = owned_accounts(wh, rep)
    admin = {"Authorization": f"Bearer {user_token(root, 'admin', 'admin')}"}
    sales = {"Authorization": f"Bearer {user_token(root, rep, 'sales', ['view'])}"}
    with httpx.Client(base_url=base, timeout=60) as http:
        split = "/api/v1/metrics/margin?by=customer&limit=1000"
        everyone = http.get(split, headers=admin).json()["rows"]
        mine = http.get(split, headers=sales).json()["rows"]
        strangers = [r for r in mine if r["key"] not in own]
        jobs = http.get("/api/v1/metrics/margin?by=job&limit=1000", headers=admin).json()["rows"]
        record = job_path = None
        for row in jobs:
            job = http.get("/api/v1" + row["href"], headers=admin).json()
            customer = job.get("customer") or {}
            if job["billing"] and not own & {str(v) for v in customer.values()}:
                job_path, record = row["href"], job["billing"][0]["id"]
                break
        assert record is not None, "no other rep's billed job found"
        asked_record = http.get(f"/api/v1/records/{record}", headers=sales).status_code
        asked_job = http.get(f"/api/v1{job_path}", headers=sales).status_code
        asked_csv = http.get(split.replace("?", ".csv?"), headers=sales)
    figures = (
        f"{rep} (owns {len(own)}): margin by customer {len(mine)} rows of {len(everyone)}, "
        f"{len(strangers)} not theirs; another rep's record {asked_record}, job {asked_job}"
    )
    ok = not strangers and asked_record in (403, 404) and asked_job in (403, 404)
    report("(e) sales rep reads another rep's data", figures, "REFUSED" if ok else "FAILED")
    del asked_csv


# --- (f) the CLI ----------------------------------------------------------------------------


def cli_waive(root: Path, case: str) -> None:
    token = user_token(root, "viewer1", "viewer")
    env = {"TIEOUT_USER": "viewer1", "TIEOUT_TOKEN": ""}
    named = cli(root, "exceptions", "waive", case, "--reason", "x", env=env)
    env = {"TIEOUT_TOKEN": token}
    tokened = cli(root, "exceptions", "waive", case, "--reason", "x", env=env)
    status = open_cases(root).count(case)
    said = " ".join(tokened.stderr.split() or tokened.stdout.split())
    figures = (
        f"TIEOUT_USER=viewer1: exit {named.returncode}; viewer1's token: exit "
        f"{tokened.returncode} ({said[:70]}); case still open: {bool(status)}"
    )
    ok = named.returncode == 2 and tokened.returncode == 2 and status == 1
    report("(f) CLI waive as viewer1", figures, "REFUSED" if ok else "FAILED")


# --- PostgreSQL ---------------------------------------------------------------------------


def server_conn(server: Any) -> Any:
    import pg

    return pg._connected(server.url())


def on_postgres(root: Path) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    import pg  # the tests' throwaway cluster

    try:
        cluster = pg.server()
        server = cluster.__enter__()
    except BaseException as exc:  # pytest.skip when the server is not installed
        report("(a) concurrent writers, PostgreSQL", f"not run: {exc}", "FAILED")
        return
    try:
        url = server.database()
        bare = url.replace(f":{pg.quote(pg.PASSWORD, safe='')}@", "@")
        env = {"TIEOUT_STATE_PASSWORD": pg.PASSWORD}
        done = cli(root, "state", "copy", "--to", bare, env=env)
        assert done.returncode == 0, done.stdout + done.stderr
        with (root / "tieout.yml").open("a", encoding="utf-8") as yml:
            yml.write(f"state:\n  url: '{bare}'\n")
        os.environ.update(env)  # for this script's own store sessions
        concurrent_writers(root, "PostgreSQL", env)
        tampering_postgres(root, server, url)
    finally:
        cluster.__exit__(None, None, None)


def main() -> None:
    args = argparse.ArgumentParser()
    args.add_argument("--workdir", type=Path, default=Path("/tmp/tieout-attacks"))
    args.add_argument("--from-demo", type=Path, help="copy this demo instead of generating one")
    args.add_argument("--no-postgres", action="store_true")
    opts = args.parse_args()
    started = time.perf_counter()
    shutil.rmtree(opts.workdir, ignore_errors=True)
    opts.workdir.mkdir(parents=True)
    root = opts.workdir / "demo"
    if opts.from_demo:
        shutil.copytree(opts.from_demo, root)
    else:
        demo = [TIEOUT, "demo", "--seed", "5", "--scale", "0.2", "--out", str(root)]
        made = subprocess.run(demo, capture_output=True, text=True, check=False)
        if made.returncode:
            raise SystemExit(f"tieout demo failed:\n{(made.stdout + made.stderr)[-2000:]}")
    on_pg = opts.workdir / "demo-pg"
    shutil.copytree(root, on_pg)
    print(
        f"demo ready in {time.perf_counter() - started:.0f}s; {dt.datetime.now(dt.UTC):%F %T} UTC"
    )

    def web_attacks(base: str) -> None:
        csrf(root, base, open_cases(root)[0])
        sales_scope(root, base)

    concurrent_writers(root, "SQLite", then=web_attacks)
    cli_waive(root, open_cases(root)[0])
    config_sql(root)
    tampering_sqlite(root)
    if not opts.no_postgres:
        on_postgres(on_pg)
    print(f"done in {time.perf_counter() - started:.0f}s")
    failed = sum(line.endswith("FAILED") for line in LINES)
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
