"""A throwaway PostgreSQL for tests: Debian's server (./dev test installs it), a fresh cluster
in a temporary folder, listening on a free loopback port only and asking for a password,
stopped afterwards.

A cluster takes about a second to start, a database in it a few tens of milliseconds: tests
share one cluster per pytest process (the `pg_server` fixture in conftest.py; under xdist
that is one per worker) and each gets a database of its own."""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import Connection, column, create_engine, inspect, select, table, text

from tieout.state import Base, StateStore

PASSWORD = "s3cret:p@ss/word"  # over TCP the server asks for it (scram-sha-256), as in production


def _bin(name: str) -> str | None:
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    return str(found[-1]) if found else shutil.which(name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A running cluster. `database()` makes a new, empty database in it (a few hundred
    milliseconds); `fresh()` hands out one database at the newest schema, emptied of every
    row the tests wrote (tens of milliseconds): what most tests need."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._names = itertools.count(1)
        self._fresh: tuple[str, dict[str, list[dict[str, Any]]]] | None = None

    def url(self, database: str = "postgres", *, password: bool = True) -> str:
        login = f"tieout:{quote(PASSWORD, safe='')}" if password else "tieout"
        return f"postgresql+psycopg://{login}@127.0.0.1:{self.port}/{database}"

    def database(self) -> str:
        name = f"t{next(self._names)}"
        with _connected(self.url()) as conn:
            conn.execute(text(f"CREATE DATABASE {name}"))
        return self.url(name)

    def fresh(self) -> str:
        """The shared migrated database as the migrations left it: the previous test's
        connections ended, every table emptied and every sequence restarted, the rows the
        migrations seed put back."""
        if self._fresh is None:
            url = self.database()
            with tempfile.TemporaryDirectory() as root:
                store = StateStore(url, Path(root))
                store.upgrade()
                store.close()
            with _connected(url) as conn:
                names = set(inspect(conn).get_table_names()) - {"alembic_version"}
                seeded = {
                    name: [
                        dict(r)
                        for r in conn.execute(select(text("*")).select_from(table(name))).mappings()
                    ]
                    for name in sorted(names)
                }
            self._fresh = (url, seeded)
            return url
        url, seeded = self._fresh
        with _connected(url) as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
            dependants_first = [t.name for t in reversed(Base.metadata.sorted_tables)]
            for name in sorted(seeded, key=dependants_first.index):
                conn.execute(table(name).delete())  # on a few rows far quicker than TRUNCATE
            conn.execute(
                text(
                    "SELECT setval(c.oid, 1, false) FROM pg_class c "
                    "WHERE c.relkind = 'S' AND pg_table_is_visible(c.oid)"
                )
            )
            for name, rows in seeded.items():
                if rows:
                    conn.execute(table(name, *(column(c) for c in rows[0])).insert(), rows)
        return url


@contextmanager
def _connected(url: str) -> Iterator[Connection]:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


@contextmanager
def server() -> Iterator[Server]:
    """A new cluster; skips the test when the server is not installed. initdb refuses to run
    as root, so as root the cluster belongs to `postgres` (in a folder of its own under
    /tmp: pytest's folders are private to root)."""
    initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
    if initdb is None or pg_ctl is None:
        pytest.skip("PostgreSQL is not installed (./dev test installs Debian's postgresql)")
    pytest.importorskip("psycopg")
    folder = Path(tempfile.mkdtemp(prefix="tieout-pg-"))
    data = folder / "data"
    data.mkdir()
    run_as: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
        shutil.chown(data, "postgres")
        run_as = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    secret = folder / "password"
    secret.write_text(PASSWORD)
    if run_as:
        shutil.chown(secret, "postgres")
    auth = ["--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={secret}"]
    init = [*run_as, initdb, "-D", str(data), "-U", "tieout", *auth, "--no-sync"]
    subprocess.run(init, check=True, capture_output=True)
    options = f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off"
    log = str(folder / "server.log")  # the server must not hold our pipes open
    start = [*run_as, pg_ctl, "-D", str(data), "-o", options, "-l", log, "-w", "start"]
    subprocess.run(start, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield Server(port)
    finally:
        stop = [*run_as, pg_ctl, "-D", str(data), "-m", "immediate", "stop"]
        subprocess.run(stop, check=True, capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)
