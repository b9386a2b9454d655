"""The differential suite: the demo company through the whole pipeline on DuckDB and on Spark
local[2], every canonical table, mart, `xref`, `job`, `ticket_sla` and `exception` compared
as multisets with ids equal.

Normalisation is declared here and nowhere else:
- numbers compare to 10 significant digits (a DECIMAL's scale, DOUBLE against DECIMAL:
  tieout.engine.compare.value);
- lists listed in UNORDERED compare as multisets (DuckDB's list_distinct and
  list(DISTINCT) define no order);
- Splink's outputs compare at decision level: the links (which records, which method),
  not the probability digits (COLUMNS_NOT_COMPARED).

TIEOUT_DIFF_SCALE (default 0.3) and TIEOUT_DIFF_SEEDS (default "7") choose the companies;
TIEOUT_DIFF_RUNS="duckdb_project,spark_project" compares two projects already run instead
(benchmarks/spark_cost.py leaves such a pair).
A Spark run of the demo at scale 0.3 takes tens of minutes on 2 cores: `./dev test --fast`
skips this file (slow, spark).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tieout.engine.compare import canonical

pytestmark = [pytest.mark.spark, pytest.mark.slow]
pytest.importorskip("pyspark")

SCALE = float(os.environ.get("TIEOUT_DIFF_SCALE", "0.3"))
SEEDS = [int(s) for s in os.environ.get("TIEOUT_DIFF_SEEDS", "7").split(",")]
RUNS = os.environ.get("TIEOUT_DIFF_RUNS")

# Splink's probabilities: the same links are required, not the same digits (Spark's random
# sampling for u and its floating point sums differ from DuckDB's)
COLUMNS_NOT_COMPARED: dict[str, set[str]] = {
    "xref": {"confidence"},
    "job": {"confidence", "evidence"},
    # when someone approved the plan: each project's own state (the clock), not a result
    "plan_target": {"approved_at"},
}
# list columns whose element order neither engine defines
UNORDERED: dict[str, set[str]] = {}
# tables a run keeps that are not results: the run's own id, Splink's scratch tables and
# the job models' score cache, whose fingerprints are each engine's own (md5_number is a
# number in DuckDB, hex text on Spark; see tieout.engine.dialect md5_fingerprint)
NOT_RESULTS = ("run_info", "__splink__", "job_score_")


def _project(root: Path, engine: str) -> None:
    if engine == "spark":
        with (root / "tieout.yml").open("a", encoding="utf-8") as fh:
            fh.write("\nwarehouse:\n  engine: spark\nspark:\n  master: local[2]\n")


def _run(root: Path) -> Path:
    from tieout import pipeline
    from tieout.cli.demo_cmd import _approve_plans
    from tieout.config import load_project

    project = load_project(root)
    _approve_plans(project)
    summary = pipeline.run(project)
    return pipeline.snapshots(project).path_for(summary.run_id)


def _current(root: Path) -> Path:
    from tieout import pipeline
    from tieout.config import load_project

    snaps = pipeline.snapshots(load_project(root))
    current = snaps.current_id()
    assert current is not None, f"{root} has no finished run"
    return snaps.path_for(current)


@pytest.fixture(scope="module", params=SEEDS, ids=[f"seed{s}" for s in SEEDS])
def snapshots(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, Path]]:
    if RUNS:
        duck_run, spark_run = (_current(Path(p)) for p in RUNS.split(","))
        yield duck_run, spark_run
        return
    if shutil.which("java") is None:
        pytest.skip("Spark needs Java")
    from tieout.demo.generate import generate
    from tieout.demo.scaffold import write_demo_project

    base = tmp_path_factory.mktemp(f"differential-{request.param}")
    duck, spark = base / "duckdb", base / "spark"
    generate(duck, scale=SCALE, seed=request.param)
    write_demo_project(duck)
    shutil.copytree(duck, spark)
    _project(spark, "spark")
    yield _run(duck), _run(spark)


def _tables(path: Path) -> dict[str, list[tuple[str, str]]]:
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute(
            "SELECT table_name, column_name, data_type FROM duckdb_columns() "
            "WHERE database_name = current_database() AND schema_name = 'main' "
            "AND NOT internal ORDER BY table_name, column_index"
        ).fetchall()
    out: dict[str, list[tuple[str, str]]] = {}
    for table, column, dtype in rows:
        out.setdefault(str(table), []).append((str(column), str(dtype)))
    return out


def compared_tables(names: set[str]) -> list[str]:
    """Every canonical table, mart, xref, job, ticket_sla and exception, and whatever else
    a run leaves that is a result (facts, operations, plan, accounts)."""
    from tieout.model import TABLES

    wanted = {t.name for t in TABLES} | {"xref", "job", "ticket_sla", "exception"}
    wanted |= {n for n in names if n.startswith("mart_") or n == "metric_mart"}
    wanted |= {n for n in names if not n.startswith(NOT_RESULTS)}
    return sorted(wanted)


def _rows(con: Any, table: str, columns: list[str]) -> list[tuple[Any, ...]]:
    cols = ", ".join(f'"{c}"' for c in columns)
    return [tuple(r) for r in con.execute(f'SELECT {cols} FROM "{table}"').fetchall()]


def table_differences(duck: Path, spark: Path) -> dict[str, str]:
    """Each compared table that differs, and how."""
    want, got = _tables(duck), _tables(spark)
    problems: dict[str, str] = {}
    with (
        duckdb.connect(str(duck), read_only=True) as a,
        duckdb.connect(str(spark), read_only=True) as b,
    ):
        for table in compared_tables(set(want) | set(got)):
            if table not in want or table not in got:
                problems[table] = f"only in {'DuckDB' if table in want else 'Spark'}'s snapshot"
                continue
            names_a = [c for c, _ in want[table]]
            names_b = [c for c, _ in got[table]]
            if [n.lower() for n in names_a] != [n.lower() for n in names_b]:
                problems[table] = f"columns {names_a} against {names_b}"
                continue
            skip = COLUMNS_NOT_COMPARED.get(table, set())
            columns = [c for c in names_a if c not in skip]
            unordered = UNORDERED.get(table, set())
            order = [c not in unordered for c in columns]
            ra = _normalised(_rows(a, table, columns), order)
            rb = _normalised(_rows(b, table, columns), order)
            if ra != rb:
                missing, extra = ra - rb, rb - ra
                sample = next(iter(missing or extra), ())
                problems[table] = (
                    f"{sum(ra.values())} rows against {sum(rb.values())}; "
                    f"{sum(missing.values())} missing, {sum(extra.values())} extra on Spark, "
                    f"e.g. {dict(zip(columns, sample, strict=False))}"
                )
    return problems


def _normalised(rows: list[tuple[Any, ...]], order: list[bool]) -> Any:
    """Rows as a multiset, each list column in its declared order semantics."""
    from collections import Counter

    ordered = canonical(rows)
    if all(order):
        return ordered
    out: Counter[tuple[Any, ...]] = Counter()
    for row in rows:
        out[
            tuple(
                next(iter(canonical([(v,)], list_order=keep)))[0]
                for v, keep in zip(row, order, strict=True)
            )
        ] += 1
    return out


def test_every_result_table_is_the_same_on_spark(snapshots: tuple[Path, Path]) -> None:
    duck, spark = snapshots
    problems = table_differences(duck, spark)
    assert problems == {}, "\n".join(f"{t}: {p}" for t, p in sorted(problems.items()))


def test_the_suite_compares_what_the_issue_names(snapshots: tuple[Path, Path]) -> None:
    duck, _ = snapshots
    names = compared_tables(set(_tables(duck)))
    for table in ("xref", "job", "ticket_sla", "exception", "invoice_line", "metric_mart"):
        assert table in names
    assert sum(n.startswith("mart_") for n in names) >= 20
