"""Score job linkage and the billing rules on the blind company (run by hand).

.venv/bin/python benchmarks/blind_score.py [--src DIR] SEED [SEED ...]

Each seed's company is written by benchmarks/blind_company/generate.py (its author never
read tieout's code; its truth is what it planted), run through the real CLI, and scored:
pairwise precision / recall / F1 of work order -> quote, invoice line -> work order,
time entry -> work order and customer pairs, and each rule's exceptions against the
planted cases. `--src` scores another checkout's code (e.g. a git worktree of an older
commit) on the same company.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from itertools import combinations
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RULES = (
    "unbilled_work",
    "invoice_without_work",
    "duplicate_invoice",
    "price_variance",
    "discount_after_quote",
    "scope_drift",
    "unpriced_change",
    "margin_below_floor",
)
DUMP = """
import json, sys
from pathlib import Path
from tieout import pipeline
from tieout.config import load_project
with pipeline.snapshots(load_project(Path(sys.argv[1]))).open_current() as wh:
    wq = wh.query(
        "SELECT DISTINCT w.native_id, q.native_id FROM job j JOIN work_order w "
        "ON w.id = j.work_order_id JOIN quote q ON q.id = j.quote_id")
    lw = wh.query(
        "SELECT l.source_file, l.source_row, w.native_id FROM job j JOIN invoice_line l "
        "ON l.id = j.invoice_line_id JOIN work_order w ON w.id = j.work_order_id")
    tw = wh.query(
        "SELECT t.source_file, t.source_row, w.native_id FROM job_time jt JOIN time_entry t "
        "ON t.id = jt.time_entry_id JOIN work_order w ON w.id = jt.work_order_id")
    cust = wh.query(
        "SELECT golden_key, source_system, native_id FROM xref WHERE entity_type = 'customer'")
print(json.dumps({"wq": wq, "lw": lw, "tw": tw, "customers": cust}, default=str))
"""


def _prf(found: set[object], truth: set[object]) -> str:
    tp = len(found & truth)
    p = tp / len(found) if found else 1.0
    r = tp / len(truth) if truth else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return f"P {p:.3f} R {r:.3f} F1 {f:.3f} ({tp} of {len(truth)} found, {len(found)} raised)"


def _tieout(src: Path, *args: str) -> str:
    """The command's output; a run that stopped (exit 2, or 1 naming the failed stage) ends
    the benchmark, since scoring the previous snapshot would report the old code's links."""
    env = {**os.environ, "PYTHONPATH": str(src), "COLUMNS": "200"}
    code = "from tieout.cli.main import app; app()"
    done = subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, check=False
    )
    said = done.stdout + done.stderr
    if done.returncode == 2 or (done.returncode == 1 and "stage failed" in said):
        sys.exit(f"tieout {' '.join(args)} failed (exit {done.returncode}):\n{said[-2000:]}")
    return done.stdout


def _customer_pairs(groups: dict[str, set[tuple[str, str]]]) -> set[frozenset[tuple[str, str]]]:
    return {frozenset(p) for g in groups.values() for p in combinations(sorted(g), 2)}


def score_seed(seed: int, src: Path, work: Path) -> None:
    out = work / f"blind{seed}"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks/blind_company/generate.py"),
            "--seed",
            str(seed),
            "--out",
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    _tieout(src, "run", "-p", str(out))
    env = {**os.environ, "PYTHONPATH": str(src)}
    dumped = subprocess.run(
        [sys.executable, "-c", DUMP, str(out)], env=env, capture_output=True, text=True, check=True
    )
    got = json.loads(dumped.stdout)
    truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    exceptions = json.loads(_tieout(src, "exceptions", "-p", str(out), "-f", "json") or "[]")

    print(f"seed {seed}")
    print(
        "  work order -> quote    ",
        _prf({tuple(p) for p in got["wq"]}, {tuple(p) for p in truth["work_order_quote"]}),
    )
    want_lines = {(t["file"], t["row"], wo) for t, wo in truth["invoice_line_work_order"]}
    print("  invoice line -> WO     ", _prf({tuple(p) for p in got["lw"]}, want_lines))
    want_time = {(t["file"], t["row"], wo) for t, wo in truth["time_entry_work_order"]}
    print("  time entry -> WO       ", _prf({tuple(p) for p in got["tw"]}, want_time))
    ours: dict[str, set[tuple[str, str]]] = {}
    for key, system, native in got["customers"]:
        ours.setdefault(key, set()).add((system, native))
    theirs = {c["key"]: {tuple(r) for r in c["records"]} for c in truth["customers"]}
    known = set().union(*theirs.values())
    ours = {k: v & known for k, v in ours.items()}
    print("  customer pairs         ", _prf(_customer_pairs(ours), _customer_pairs(theirs)))
    also = truth.get("also_acceptable", {})
    for rule in RULES:
        planted = truth["anomalies"].get(rule, [])
        keys = [{a["record"], a.get("invoice_number")} - {None} for a in planted]
        if rule == "duplicate_invoice":  # the copy or its original
            keys = [k | {a["related"][0]} for k, a in zip(keys, planted, strict=True)]
        raised = [
            {r["native_id"] for r in e["source_refs"]} for e in exceptions if e["rule"] == rule
        ]
        ok_extra = set(also.get(rule, []))
        right = sum(1 for refs in raised if any(refs & k for k in keys) or refs & ok_extra)
        caught = sum(1 for k in keys if any(refs & k for refs in raised))
        p = right / len(raised) if raised else 1.0
        r = caught / len(keys) if keys else 1.0
        print(
            f"  {rule:<22} P {p:.3f} R {r:.3f} ({caught} of {len(keys)} planted, "
            f"{len(raised)} raised)"
        )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("seeds", nargs="+", type=int)
    parser.add_argument("--src", type=Path, default=ROOT / "src")
    parser.add_argument("--keep", type=Path, help="keep each company in this folder")
    args = parser.parse_args()
    if args.keep:
        for seed in args.seeds:
            score_seed(seed, args.src, args.keep)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            score_seed(seed, args.src, Path(tmp))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
