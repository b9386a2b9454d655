"""A run killed with SIGKILL half-way leaves the previous snapshot current and intact.

The first run loads a small file. The second run, through the real `tieout run` in its
own process, has a large file to load; once it has landed that file and is writing its
new snapshot, another process reads the current snapshot, and then the run is killed with
SIGKILL (no cleanup code runs). The previous snapshot must still be current, byte for
byte the same, and the next `tieout run` must succeed (the run lock dies with its process)
and become current.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from helpers_fuzz import write_project, write_time_entries
from tieout import pipeline
from tieout.config import LoadedProject, load_project
from tieout.engine import Warehouse

SMALL = 120
BIG = 300_000
TIEOUT = Path(sys.executable).with_name("tieout")
TABLES = ("time_entry", "quarantine", "load_file", "run_info")

# Imports tieout first, then waits for a line on stdin before reading, so the read itself
# takes milliseconds and happens while the run is known to be busy.
READER = """
import json, sys
from pathlib import Path
from tieout import pipeline
from tieout.config import load_project

project = load_project(Path(sys.argv[1]))
print("ready", flush=True)
sys.stdin.readline()
with pipeline.snapshots(project).open_current() as wh:
    print(json.dumps({
        "run_id": wh.scalar("SELECT run_id FROM run_info"),
        "time_entry": wh.count("time_entry"),
        "rows_read": wh.scalar("SELECT sum(rows_read) FROM load_file"),
    }), flush=True)
"""


def contents(project: LoadedProject) -> dict[str, list[tuple[Any, ...]]]:
    with pipeline.snapshots(project).open_current() as wh:
        return {t: wh.query(f'SELECT * FROM "{t}" ORDER BY ALL') for t in TABLES}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def wait_for(condition: Callable[[], bool], proc: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 120
    while not condition():
        if proc.poll() is not None:
            pytest.fail(f"the run ended (exit {proc.returncode}) before {what}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting until {what}")
        time.sleep(0.005)


def test_sigkill_mid_run_keeps_the_previous_snapshot(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", [("te", "exports/time*.csv", "canonical.time_entry")], {})
    write_time_entries(root / "exports" / "time_0.csv", 0, SMALL)
    project = load_project(root)
    first = pipeline.run(project)
    snaps = pipeline.snapshots(project)
    assert snaps.current_id() == first.run_id
    before = contents(project)
    assert len(before["time_entry"]) == SMALL
    first_file = snaps.path_for(first.run_id)
    first_digest = sha256(first_file)

    write_time_entries(root / "exports" / "time_1.csv", SMALL, BIG)
    landing = root / pipeline.WORK_DIR / "landing"
    landed_before = {d.name for d in landing.iterdir() if d.is_dir()}

    def writing_new_snapshot() -> bool:
        """The big file has landed and the new snapshot's temp database exists."""
        landed = {d.name for d in landing.iterdir() if d.is_dir() and not d.name.endswith(".tmp")}
        return bool(landed - landed_before) and any(snaps.directory.glob("*.duckdb.tmp"))

    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(root)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    log = (tmp_path / "killed-run.log").open("wb")  # a file: a full pipe would stall the run
    run: subprocess.Popen[bytes] | None = None
    try:
        assert reader.stdout is not None and reader.stdin is not None
        assert reader.stdout.readline().strip() == "ready"
        run = subprocess.Popen([str(TIEOUT), "run", "-p", str(root)], stdout=log, stderr=log)
        wait_for(writing_new_snapshot, run, "it started writing the new snapshot")
        reader.stdin.write("go\n")
        reader.stdin.flush()
        seen = json.loads(reader.stdout.readline())
        assert run.poll() is None, "the run finished before the read: make BIG larger"
        os.kill(run.pid, signal.SIGKILL)
        assert run.wait(timeout=30) == -signal.SIGKILL
    finally:
        if run is not None and run.poll() is None:
            run.kill()
            run.wait()
        reader.kill()
        reader.wait()
        log.close()
        for stream in (reader.stdin, reader.stdout):
            if stream:
                stream.close()

    # A reader in another process saw the first snapshot while the run was writing.
    assert seen == {"run_id": first.run_id, "time_entry": SMALL, "rows_read": SMALL}

    # The killed run got as far as a temp database, but CURRENT and its file are untouched.
    assert list(snaps.directory.glob("*.duckdb.tmp"))
    assert snaps.current_id() == first.run_id
    assert sha256(first_file) == first_digest
    assert contents(project) == before

    # The lock died with the process: it can be taken at once, and the next run goes
    # through and becomes current.
    with (root / pipeline.WORK_DIR / "run.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # BlockingIOError if still held
        fcntl.flock(lock, fcntl.LOCK_UN)
    done = subprocess.run(
        [str(TIEOUT), "run", "-p", str(root), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    files = {r["file"]: r for r in json.loads(done.stdout)}
    assert files["exports/time_1.csv"]["read"] == BIG
    assert files["exports/time_1.csv"]["accepted"] == BIG
    third = snaps.current_id()
    assert third not in (None, first.run_id)
    with snaps.open_current() as wh:
        assert wh.scalar("SELECT run_id FROM run_info") == third
        assert wh.count("time_entry") == SMALL + BIG
        assert wh.scalar("SELECT sum(rows_read) FROM load_file") == SMALL + BIG
    assert not list(snaps.directory.glob("*.duckdb.tmp*")), "stale temp snapshot left behind"
    with Warehouse(first_file, read_only=True) as wh:  # history is kept, still intact
        assert wh.count("time_entry") == SMALL
