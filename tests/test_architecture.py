"""Layout rules a newcomer can rely on."""

from __future__ import annotations

import ast
from pathlib import Path

import tieout

PACKAGE = Path(tieout.__file__).parent
STAGE_ORDER = ["ingest", "match", "operations", "metrics", "plan", "reconcile", "accounts"]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_only_engine_imports_duckdb() -> None:
    offenders = [
        str(p.relative_to(PACKAGE))
        for p in PACKAGE.rglob("*.py")
        if "engine" not in p.relative_to(PACKAGE).parts
        and any(m == "duckdb" or m.startswith("duckdb.") for m in _imports(p))
    ]
    assert offenders == []


def test_no_pandas_in_the_data_path() -> None:
    offenders = [
        str(p.relative_to(PACKAGE))
        for p in PACKAGE.rglob("*.py")
        if any(m.split(".")[0] in ("pandas", "polars") for m in _imports(p))
    ]
    assert offenders == []


def test_stages_do_not_import_later_stages_or_shells() -> None:
    for i, stage in enumerate(STAGE_ORDER):
        folder = PACKAGE / stage
        if not folder.exists():
            continue
        forbidden = {
            f"tieout.{s}" for s in [*STAGE_ORDER[i + 1 :], "cli", "serve", "pipeline", "reports"]
        }
        for path in folder.rglob("*.py"):
            bad = {m for m in _imports(path) if any(m.startswith(f) for f in forbidden)}
            assert not bad, f"{path.relative_to(PACKAGE)} imports {bad}"
