"""The web app under load: 20 clients on loopback for 60 seconds against a demo project.

    .venv/bin/python benchmarks/serve.py --scale 100 [--clients 20] [--seconds 60]

Uses the demo project `daily_run.py` built (generated and run if missing). Starts `tieout
serve` in its own process (one uvicorn worker), adds a viewer user and a token, then each
client logs in and loops over a fixed mix of pages and API reads. Prints p50 / p95 per kind
and every error; the goals are p95 under 300 ms for pages and 100 ms for API reads, with
zero errors. Figures go in the README.
"""

from __future__ import annotations

import argparse
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from bench_common import demo_project

PASSWORD = "benchmark password"
PAGES = [
    "/",
    "/exceptions",
    "/accounts?health=red",
    "/exceptions?page=5",
    "/metrics/margin?by=job",
    "{job}",
    "/exceptions/{case}",
]
API = [
    "/api/v1/snapshot",
    "/api/v1/exceptions?limit=50",
    "/api/v1/exceptions?rule=unbilled_work&limit=50&offset=100",
    "/api/v1/accounts?health=red",
    "/api/v1{job}",
    "/api/v1/exceptions/{case}",
]


def main() -> None:
    args = argparse.ArgumentParser()
    args.add_argument("--scale", type=float, default=100)
    args.add_argument("--seed", type=int, default=7)
    args.add_argument("--clients", type=int, default=20)
    args.add_argument("--seconds", type=float, default=60)
    args.add_argument("--workdir", type=Path, default=Path("/tmp/tieout-bench"))
    opts = args.parse_args()
    project = demo_project(opts.workdir, opts.scale, opts.seed)
    tieout = str(Path(sys.executable).with_name("tieout"))
    if not (project / ".tieout" / "warehouse" / "CURRENT").exists():
        subprocess.run([tieout, "run", "-p", str(project)], check=True)
    subprocess.run(
        [
            tieout,
            "users",
            "add",
            "bench",
            "--role",
            "viewer",
            "--password-stdin",
            "-p",
            str(project),
        ],
        input=PASSWORD + "\n",
        text=True,
        check=False,
        capture_output=True,
    )
    token = subprocess.run(
        [tieout, "tokens", "issue", "bench", "--scope", "view", "-p", str(project)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    port = _free_port()
    server = subprocess.Popen(
        [tieout, "serve", "--port", str(port), "-p", str(project)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(base)
        ids = _drill_targets(base, token)
        samples: dict[str, list[float]] = {"page": [], "api": []}
        by_path: dict[str, list[float]] = {}
        errors: list[str] = []
        stop = time.monotonic() + opts.seconds
        threads = [
            threading.Thread(
                target=_client, args=(base, token, ids, i, stop, samples, by_path, errors)
            )
            for i in range(opts.clients)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        server.terminate()
        server.wait()
    print(f"{opts.clients} clients, {opts.seconds:g} s, scale {opts.scale:g}")
    for kind, goal in (("page", 300), ("api", 100)):
        ms = sorted(x * 1000 for x in samples[kind])
        p95 = _p95(ms)
        print(
            f"  {kind:5} {len(ms):6d} requests  p50 {statistics.median(ms):7.1f} ms  "
            f"p95 {p95:7.1f} ms  (goal {goal} ms)"
        )
    print("  p95 by path (ms):")
    for path, times in sorted(by_path.items(), key=lambda kv: -_p95(kv[1])):
        print(f"    {_p95([t * 1000 for t in times]):7.1f}  {path}")
    print(f"  errors: {len(errors)}")
    for e in errors[:10]:
        print("   ", e)


def _drill_targets(base: str, token: str) -> dict[str, list[str]]:
    """40 jobs (the month's lowest margins) and 40 exceptions to open, as people would: each
    request picks another, so nothing is answered from a warm cache of one record."""
    with httpx.Client(
        base_url=base, timeout=120, headers={"Authorization": f"Bearer {token}"}
    ) as c:
        rows = c.get("/api/v1/metrics/margin?by=job&limit=40").json()["rows"]
        items = c.get("/api/v1/exceptions?limit=40").json()["items"]
    return {"job": [r["href"] for r in rows], "case": [e["id"] for e in items]}


def _client(
    base: str,
    token: str,
    ids: dict[str, list[str]],
    n: int,
    stop: float,
    samples: dict[str, list[float]],
    by_path: dict[str, list[float]],
    errors: list[str],
) -> None:
    with (
        httpx.Client(base_url=base, timeout=30) as web,
        httpx.Client(
            base_url=base, timeout=30, headers={"Authorization": f"Bearer {token}"}
        ) as api,
    ):
        page = web.get("/login").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page)
        web.post(
            "/login",
            data={"name": "bench", "password": PASSWORD, "csrf": csrf.group(1) if csrf else ""},
        )
        i = n
        while time.monotonic() < stop:
            for kind, client, paths in (("page", web, PAGES), ("api", api, API)):
                pick = {k: v[(i * 7 + n) % len(v)] for k, v in ids.items()}
                path = paths[i % len(paths)].format(**pick)
                started = time.perf_counter()
                try:
                    r = client.get(path)
                    ok = r.status_code == 200
                except httpx.HTTPError as exc:
                    ok, r = False, None
                    errors.append(f"{path}: {exc}")
                samples[kind].append(time.perf_counter() - started)
                by_path.setdefault(paths[i % len(paths)], []).append(samples[kind][-1])
                if not ok and r is not None:
                    errors.append(f"{path}: HTTP {r.status_code}")
            i += 1


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(int(len(ordered) * 0.95) - 1, 0)] if ordered else float("nan")


def _wait(base: str) -> None:
    for _ in range(100):
        try:
            if httpx.get(base + "/login", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not start")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


if __name__ == "__main__":
    main()
