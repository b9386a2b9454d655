"""What `warehouse.engine: spark` costs: `tieout run` on the demo, DuckDB against Spark
local[2], wall time and peak memory of the whole process tree (the CLI and Spark's JVM).

    SPARK_LOCAL_IP=127.0.0.1 .venv/bin/python benchmarks/spark_cost.py --scale 1 [--write]

The demo is generated once per scale under --workdir, copied into one project per engine
(the Spark one with `warehouse.engine: spark`, `spark.master: local[2]`), and each project
gets one `tieout run` in its own process. Peak memory is the largest sum of the resident
set sizes of the run's process and all its descendants, sampled every 0.2 s from /proc
(/usr/bin/time -v reports only the largest single process, not the CLI plus the JVM).
The projects are kept, so the differential suite can compare their snapshots
(TIEOUT_DIFF_RUNS, tests/test_engine_differential.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench_common import demo_project

HERE = Path(__file__).parent
RESULT = HERE / "spark_cost_result.txt"
CLI = str(Path(sys.executable).parent / "tieout")


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _tree_rss(pid: int) -> int:
    """Resident bytes of the process and every descendant."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            continue
        todo += _children(p)
    return total


def measured_run(project: Path) -> tuple[float, int, int]:
    """(wall seconds, peak tree RSS bytes, exit code) of one `tieout run`."""
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1"}
    started = time.perf_counter()
    with (project / "run.log").open("w") as log:
        proc = subprocess.Popen(
            [CLI, "run", "--project", str(project)], stdout=log, stderr=subprocess.STDOUT, env=env
        )
        peak = 0
        while proc.poll() is None:
            peak = max(peak, _tree_rss(proc.pid))
            time.sleep(0.2)
    return time.perf_counter() - started, peak, proc.returncode


def engine_project(demo: Path, workdir: Path, engine: str) -> Path:
    project = workdir / f"{demo.name}-{engine}"
    shutil.rmtree(project, ignore_errors=True)
    shutil.copytree(demo, project, ignore=shutil.ignore_patterns(".tieout", "models"))
    if engine == "spark":
        with (project / "tieout.yml").open("a", encoding="utf-8") as fh:
            fh.write("\nwarehouse:\n  engine: spark\nspark:\n  master: local[2]\n")
    return project


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/tieout-spark-cost"))
    parser.add_argument("--engines", default="duckdb,spark")
    parser.add_argument("--write", action="store_true", help="append to spark_cost_result.txt")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    demo = demo_project(args.workdir, args.scale, args.seed)
    lines = []
    for engine in args.engines.split(","):
        project = engine_project(demo, args.workdir, engine)
        seconds, peak, code = measured_run(project)
        line = (
            f"scale {args.scale:g} seed {args.seed} {engine}: tieout run {seconds:.1f} s, "
            f"peak {peak / 2**20:,.0f} MiB (process tree), exit {code} ({project})"
        )
        print(line, flush=True)
        lines.append(line)
    if args.write:
        load = os.getloadavg()[0]
        with RESULT.open("a", encoding="utf-8") as fh:
            fh.write(
                f"{dt.date.today()}, {os.cpu_count()} cores shared with other work "
                f"(load {load:.1f} at the end):\n"
            )
            fh.writelines(f"  {line}\n" for line in lines)


if __name__ == "__main__":
    main()
