"""Shared by test_fuzz_csv and test_kill_run: exact CSV bytes, tiny projects, load logs.

The tests compute what they expect from what they wrote, so the writer here is deliberately
simple and independent of tieout: a field is quoted when it holds the delimiter, a quote or
a line break (or when asked to), quotes inside are doubled, and that is all.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from tieout import pipeline
from tieout.config import LoadedProject

QUOTE = b'"'


def csv_field(value: bytes, delim: bytes, *, force_quote: bool = False) -> bytes:
    if force_quote or any(ch in value for ch in (delim, QUOTE, b"\r", b"\n")):
        return QUOTE + value.replace(QUOTE, QUOTE + QUOTE) + QUOTE
    return value


def csv_record(fields: list[bytes], delim: bytes, *, force_quote: bool = False) -> bytes:
    """One record; a lone empty field is written as "" so the line is not blank."""
    if fields == [b""]:
        return QUOTE + QUOTE
    return delim.join(csv_field(f, delim, force_quote=force_quote) for f in fields)


def project_yml(sources: list[tuple[str, str, str]], *, retention: int | None = None) -> str:
    # fuzzed files are mostly dirt: every row must be accounted for, none may stop the run
    lines = ["name: fuzz", "as_of: 2026-10-31", "ingest: {max_quarantine_pct: 100}"]
    if retention is not None:
        lines += ["warehouse:", f"  retention: {retention}"]
    lines.append("sources:")
    for name, path, preset in sources:
        lines.append(f"  - {{name: {name}, path: '{path}', preset: {preset}}}")
    return "\n".join(lines) + "\n"


def write_project(
    root: Path,
    sources: list[tuple[str, str, str]],
    files: dict[str, bytes],
    *,
    retention: int | None = None,
) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "tieout.yml").write_text(project_yml(sources, retention=retention), encoding="utf-8")
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return root


def load_log(project: LoadedProject) -> dict[str, dict[str, Any]]:
    """The current snapshot's load_file table, keyed by file as tieout shows it."""
    with pipeline.snapshots(project).open_current() as wh:
        rows = wh.query_dicts("SELECT * FROM load_file")
    return {str(r["source_file"]): r for r in rows}


# canonical time_entry ------------------------------------------------------------------

TIME_ENTRY_HEADER = "native_id,entry_date,person_name,customer_name,notes,hours,billable,currency"


def time_entry_line(i: int) -> str:
    """Row i of a generated canonical time_entry file: always valid, ids unique per prefix."""
    day = dt.date(2026, 1, 1) + dt.timedelta(days=i % 300)
    hours = f"{(i % 37) * 0.25 + 0.25:.2f}"
    billable = "yes" if i % 3 else "no"
    who = f"Person {i % 50},Customer {i % 17}"
    return f"TE-{i:07d},{day.isoformat()},{who},note {i},{hours},{billable},GBP"


def write_time_entries(path: Path, first: int, count: int) -> None:
    """`count` valid rows numbered from `first`, written in blocks to keep memory flat."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(TIME_ENTRY_HEADER + "\n")
        block = 20_000
        for start in range(first, first + count, block):
            stop = min(start + block, first + count)
            fh.write("\n".join(time_entry_line(i) for i in range(start, stop)) + "\n")
