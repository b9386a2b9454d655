"""Ingest throughput and peak memory at a given demo scale, beside a bare DuckDB read_csv.

    .venv/bin/python benchmarks/ingest.py --scale 100

Each measurement runs in a fresh process (so peak RSS is its own): first tieout's full
ingest of the demo exports (decode, land, type, validate, quarantine, canonical tables),
then DuckDB reading the same CSV files with read_csv and nothing else. Run by hand;
the figures go in the README.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from bench_common import demo_project, measure

TIEOUT_RUN = """
import json, resource, sys, time
from pathlib import Path
from tieout import pipeline
from tieout.config import load_project
t = time.perf_counter()
summary = pipeline.run(load_project(Path(sys.argv[1])))
print(json.dumps({"seconds": summary.stage_seconds["ingest"], "rows": summary.ingest.rows_read,
                  "run_seconds": time.perf_counter() - t,
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

BARE_DUCKDB = """
import json, resource, sys, time
import duckdb
files = json.loads(sys.argv[1])
con = duckdb.connect()
t = time.perf_counter()
rows = 0
for f in files:
    for encoding in ("utf-8", "latin-1"):  # the Excel re-saved Xero file is cp1252
        try:
            rows += con.execute(
                f"SELECT count(*) FROM read_csv('{f}', all_varchar = true, "
                f"ignore_errors = true, encoding = '{encoding}')"
            ).fetchall()[0][0]
            break
        except duckdb.Error:
            continue
print(json.dumps({"seconds": time.perf_counter() - t, "rows": rows,
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=100)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/tieout-bench"))
    args = parser.parse_args()

    project = demo_project(args.workdir, args.scale, args.seed)
    shutil.rmtree(project / ".tieout", ignore_errors=True)  # measure a cold ingest

    csvs = sorted(str(p) for p in (project / "exports").rglob("*.csv"))
    size_mib = sum(Path(p).stat().st_size for p in csvs) / 2**20
    bare = measure(BARE_DUCKDB, json.dumps(csvs))
    tieout = measure(TIEOUT_RUN, str(project))
    warm = measure(TIEOUT_RUN, str(project))

    print(f"\n{len(csvs)} CSV files, {size_mib:,.0f} MiB, scale {args.scale:g}\n")
    print(f"{'':34}{'rows':>12}{'seconds':>10}{'rows/s':>12}{'peak MiB':>10}")
    print("(tieout seconds are the ingest stage; peak memory is the whole run, match included)")
    for name, m in (
        ("tieout run, cold (all files read)", tieout),
        ("tieout run, warm (landing cached)", warm),
        ("bare DuckDB read_csv (no checks)", bare),
    ):
        rate = m["rows"] / m["seconds"]
        print(
            f"{name:34}{m['rows']:>12,.0f}{m['seconds']:>10.1f}{rate:>12,.0f}{m['peak_mib']:>10,.0f}"
        )
    print(f"whole run, cold: {tieout['run_seconds']:.1f}s; warm: {warm['run_seconds']:.1f}s")


if __name__ == "__main__":
    main()
