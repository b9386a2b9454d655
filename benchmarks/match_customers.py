"""Customer linkage at 100k x 100k: time, peak memory, pairwise precision and recall.

    .venv/bin/python benchmarks/match_customers.py --records 100000

A CRM export of N distinct companies and a finance export naming them the way finance
does (suffixes swapped or dropped, '&' for 'and', case, punctuation, one-edit typos, a
share of them missing), linked by tieout's customer matcher (normalisation, exact routes,
Splink) beside an exact-name join. Names only: no job evidence, so this is the hard case.
Run by hand; the figures go in the README.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

from tieout.demo.names import PREFIXES, ROOTS, SECTORS
from tieout.engine import Warehouse
from tieout.match.customers import link_customers
from tieout.match.sqlfiles import load_macros
from tieout.model import TABLES
from tieout.state import StateStore

SUFFIXES = ("Ltd", "Limited", "PLC", "LLP", "GmbH", "Inc", "LLC", "BV")
TOWNS = ("Leeds", "Bristol", "York", "Derby", "Bath", "Hull", "Perth", "Truro", "Ely", "Wells")


def companies(n: int, rng: np.random.Generator) -> list[str]:
    """n distinct names; the same words recur, as they do in a real customer base."""
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < n:
        p, r, s = rng.choice(PREFIXES), rng.choice(ROOTS), rng.choice(SECTORS)
        town = f" ({rng.choice(TOWNS)})" if rng.random() < 0.5 else ""
        extra = f" {rng.choice(SECTORS)}" if rng.random() < 0.5 else ""
        name = f"{p}{r} {s}{extra}{town} {rng.choice(SUFFIXES)}"
        key = name.rsplit(" ", 1)[0].lower()
        if key not in seen:
            seen.add(key)
            names.append(name)
    return names


def finance_spelling(name: str, rng: np.random.Generator) -> str:
    words = name.split(" ")
    roll = rng.random()
    if roll < 0.3:
        words = words[:-1]  # suffix dropped
    elif roll < 0.5:
        words[-1] = {"Ltd": "Limited", "Limited": "LTD."}.get(words[-1], words[-1].upper())
    text = " ".join(words)
    if rng.random() < 0.15:  # one-edit typo away from the first letter
        i = int(rng.integers(1, len(text) - 1))
        op = rng.integers(0, 3)
        text = (
            text[:i] + text[i + 1 :]
            if op == 0
            else (
                text[:i] + text[i] + text[i:]
                if op == 1
                else text[:i] + text[i + 1] + text[i] + text[i + 2 :]
            )
        )
    if rng.random() < 0.1:
        text = text.upper()
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    crm = companies(args.records, rng)
    present = rng.random(args.records) < 0.95
    finance = [(i, finance_spelling(crm[i], rng)) for i in range(args.records) if present[i]]
    truth = {f"xero|contact|{i}": f"salesforce|Account|{i}" for i, _ in finance}

    with tempfile.TemporaryDirectory() as tmp:
        wh = Warehouse(Path(tmp) / "bench.duckdb")
        for table in TABLES:
            wh.create_model_table(table)
        rows = [("salesforce", "Account", str(i), n) for i, n in enumerate(crm)]
        rows += [("xero", "contact", str(i), n) for i, n in finance]
        wh.register_arrow(
            "_bench_accounts",
            pa.table(
                {
                    "s": [r[0] for r in rows],
                    "o": [r[1] for r in rows],
                    "n": [r[2] for r in rows],
                    "name": [r[3] for r in rows],
                }
            ),
        )
        wh.execute(
            "INSERT INTO account (id, name, source_system, source_object, native_id, load_id, "
            "source_file, source_row) SELECT s || n, name, s, o, n, 'bench', 'bench', 0 "
            "FROM _bench_accounts"
        )
        store = StateStore(f"sqlite:///{tmp}/state.db", Path(tmp))
        store.upgrade()
        load_macros(wh)
        started = time.perf_counter()
        result = link_customers(wh, store, Path(tmp) / "models", retrain=True)
        seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
        linked = dict(
            wh.query(
                "SELECT unique_id, anchor_id FROM _match_customer_links WHERE anchor_id IS NOT NULL"
            )
        )
        exact = dict(
            wh.query(
                "SELECT o.unique_id, min(a.unique_id) FROM _match_customer o "
                "JOIN _match_customer a ON a.is_anchor AND lower(a.name) = lower(o.name) "
                "WHERE NOT o.is_anchor GROUP BY o.unique_id"
            )
        )
    print(f"{args.records:,} CRM accounts x {len(finance):,} finance contacts")
    print(f"{'':28}{'precision':>10}{'recall':>10}{'F1':>8}")
    for name, got in (("tieout customer matcher", linked), ("exact name join", exact)):
        correct = sum(1 for k, v in got.items() if truth.get(k) == v)
        p = correct / len(got) if got else 1.0
        r = correct / len(truth)
        print(f"{name:28}{p:>10.4f}{r:>10.4f}{2 * p * r / (p + r):>8.4f}")
    print(f"matcher: {seconds:.1f}s wall, peak RSS {peak:.2f} GiB, {result.in_review} in review")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
