"""What the benchmark scripts share: the demo project at a scale, and a measured subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path


def demo_project(workdir: Path, scale: float, seed: int) -> Path:
    """The demo exports at this scale (generated once, then reused) as a tieout project."""
    from tieout.demo.generate import generate
    from tieout.demo.scaffold import write_demo_project

    project = workdir / f"scale-{scale:g}"
    if not (project / "truth.json").exists():
        started = time.perf_counter()
        generate(project, scale=scale, seed=seed)
        print(f"generated scale {scale:g} in {time.perf_counter() - started:.1f}s")
    write_demo_project(project)
    return project


def measure(code: str, *args: str) -> dict[str, object]:
    """Run `code` in a fresh Python (its own peak memory); its last line is a JSON result."""
    out = subprocess.run(
        [sys.executable, "-c", code, *args], check=True, capture_output=True, text=True
    ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))
