"""Metric query latency (p50 / p95) on the demo company at a given scale.

    .venv/bin/python benchmarks/metrics.py --scale 100

Uses the current snapshot of the benchmark project (run `benchmarks/daily_run.py` or
`tieout run` on it first): each question a dashboard asks, a headline and its drill-downs,
answered through the metrics layer (marts built by the run), repeated and timed in-process.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from tieout import pipeline
from tieout.config import load_project
from tieout.metrics import Period, compute, load_metrics

QUESTIONS = [
    ("revenue, one month (headline)", "revenue", [], "2026-09", None),
    ("revenue vs previous month", "revenue", [], "2026-09", "previous"),
    ("margin %, one month", "margin_pct", [], "2026-09", None),
    ("revenue by customer, one month", "revenue", ["customer"], "2026-09", None),
    ("revenue by region vs last year", "revenue", ["region"], "2026-09", "last-year"),
    ("margin by rep, year to date", "margin", ["rep"], "2026-09", "ytd"),
    ("margin % by month, one year", "margin_pct", ["month"], "2026", None),
    ("margin by job, one month (drill)", "margin", ["job"], "2026-09", None),
    ("revenue by product, one month", "revenue", ["product"], "2026-09", None),
    ("open pipeline at month end (balance)", "open_pipeline", [], "2026-09", None),
    ("receivables by customer (balance)", "receivables", ["customer"], "2026-09", None),
    ("open pipeline by month, one year", "open_pipeline", ["month"], "2026", None),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=100)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/tieout-bench"))
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    project = load_project(args.workdir / f"scale-{args.scale:g}")
    catalogue = load_metrics(project)
    currency = project.config.reporting_currency
    print(f"{'question':36}{'rows':>8}{'p50 ms':>9}{'p95 ms':>9}")
    with pipeline.snapshots(project).open_current() as wh:
        as_of = wh.scalar("SELECT max(as_of) FROM run_info")
        for label, name, by, period, compare in QUESTIONS:
            times, rows = [], 0
            for _ in range(args.repeat):
                started = time.perf_counter()
                result = compute(
                    wh,
                    catalogue,
                    name,
                    by=by,
                    period=Period.parse(period),
                    compare=compare,
                    currency=currency,
                    as_of=as_of,
                )
                times.append((time.perf_counter() - started) * 1000)
                rows = len(result.rows)
            times.sort()
            p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
            print(f"{label:36}{rows:>8,}{statistics.median(times):>9.1f}{p95:>9.1f}")


if __name__ == "__main__":
    main()
