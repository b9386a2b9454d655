"""Every warehouse statement of a small demo run, replayed on Spark: does it run, and does it
give DuckDB's data?

    SPARK_LOCAL_IP=127.0.0.1 .venv/bin/python benchmarks/spark_replay.py --scale 0.05

1. Record: `tieout demo` at a small scale with a recorder on the warehouse. For the first
   run of each distinct statement it keeps the statement (its values already bound), every
   table it reads as it was just before (Parquet), and what DuckDB made of it: a query's
   rows, or the written table's content afterwards.
2. Replay each distinct statement, in order, on Spark local[2] against exactly those inputs
   (so one failure never hides the statements after it), twice: through plain
   `sqlglot.transpile(read="duckdb", write="spark")` (the baseline) and through tieout's
   engine layer (tieout.engine.dialect: operations plus portability rewrites).
3. Compare each result with DuckDB's as a multiset of rows (numbers to 10 significant
   digits, lists in order). Figures go to stdout and, with --write, spark_replay_result.txt.

Values are bound as literals before any engine sees a statement (binding is not a dialect
question: tieout.engine.bind), so both modes replay the same text. Both
modes split a statement into an operation the same way (a CREATE TABLE AS runs its query);
only the engine layer turns UPDATE and DELETE into a query and defines macros.
"""

from __future__ import annotations

import argparse
import datetime as dt
import pickle
import re
import shutil
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import sqlglot
from sqlglot import exp

from tieout.engine import Warehouse
from tieout.engine.compare import canonical
from tieout.engine.dialect import (
    Append,
    CreateTable,
    DefineMacro,
    Drop,
    EngineOnly,
    Materialize,
    Operation,
    Query,
    Replace,
    Translator,
)
from tieout.engine.dialect.operations import operation
from tieout.engine.spark import SparkSQL, session

HERE = Path(__file__).parent


# -- recording ------------------------------------------------------------------------------


@dataclass
class Record:
    index: int
    sql: str
    inputs: dict[str, str] = field(default_factory=dict)  # table -> Parquet file
    result: str | None = None  # Parquet: a query's rows or the written table afterwards
    target: str | None = None
    problem: str | None = None  # why an input or result could not be kept
    caller: str = ""  # the tieout module that sent it
    catalog: list[str] | None = None  # DuckDB's tables, for a statement that lists them


# Warehouse methods that pass a stage's statement through; any other sends its own SQL
# (seal, indexes, CSV parsing, COPY): engine plumbing, each engine has its own way
PASS_THROUGH = {
    "execute",
    "query",
    "query_dicts",
    "scalar",
    "count",
    "create_temp_table",
    "drop_table",
    "run_script",
    "create_model_table",
}


def _caller() -> str:
    frame = sys._getframe(2)
    entry = ""  # the outermost Warehouse method: the one tieout code called
    while frame is not None and frame.f_globals.get("__name__") == "tieout.engine.warehouse":
        entry = frame.f_code.co_name
        frame = frame.f_back  # type: ignore[assignment]
    if entry not in PASS_THROUGH:
        return f"tieout.engine.warehouse.{entry}"
    while frame is not None:
        name = str(frame.f_globals.get("__name__", ""))
        if name.startswith("tieout.") and not name.startswith("tieout.engine"):
            return name
        frame = frame.f_back  # type: ignore[assignment]
    return "?"


def _parse(sql: str) -> exp.Expr | None:
    try:
        return sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.ParseError:
        return None


def _name(table: exp.Table) -> str:
    return ".".join(p.name for p in table.parts).lower()


def input_tables(tree: exp.Expr | None) -> list[str]:
    if tree is None:
        return []
    ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
    names: list[str] = []
    for table in tree.find_all(exp.Table):
        if isinstance(table.this, exp.Func) or not table.name:
            continue
        name = _name(table)
        if name not in ctes and name not in names:
            names.append(name)
    return names


def write_targets(tree: exp.Expr | None) -> list[str]:
    if isinstance(tree, exp.Create | exp.Insert | exp.Update | exp.Delete):
        target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
        return [_name(target)] if isinstance(target, exp.Table) else []
    if isinstance(tree, exp.Drop):
        return [_name(t) for t in tree.args.get("tables") or [] if isinstance(t, exp.Table)]
    return []


def _quoted(name: str) -> str:
    return ".".join(f'"{p}"' for p in name.split("."))


class Recorder:
    """Keeps the first run of each distinct statement with its inputs and DuckDB's result."""

    def __init__(self, out: Path) -> None:
        self.out = out
        (out / "tables").mkdir(parents=True, exist_ok=True)
        self.records: list[Record] = []
        self.seen: set[str] = set()
        self.executions = 0
        self._trees: dict[str, exp.Expr | None] = {}
        self._dumped: dict[str, str] = {}  # table written by a recorded statement -> dump
        self._pending: Record | None = None
        self._files = 0

    def _tree(self, sql: str) -> exp.Expr | None:
        if sql not in self._trees:
            self._trees[sql] = _parse(sql)
        return self._trees[sql]

    def _dump(self, wh: Warehouse, name: str) -> str | None:
        if name in self._dumped:
            return self._dumped[name]
        table = wh.arrow(f"SELECT * FROM {_quoted(name)}")
        self._files += 1
        path = self.out / "tables" / f"{self._files:05d}-{name}.parquet"
        pq.write_table(table, path)
        self._dumped[name] = str(path)
        return str(path)

    def before(self, wh: Warehouse, sql: str) -> None:
        self.executions += 1
        self._pending = None
        if sql in self.seen:
            return
        self.seen.add(sql)
        tree = self._tree(sql)
        rec = Record(len(self.records), sql, caller=_caller())
        if "duckdb_tables()" in sql:
            names = wh.arrow("SELECT table_name FROM duckdb_tables()").column(0).to_pylist()
            rec.catalog = [str(n) for n in names]
        for name in input_tables(tree):
            try:
                path = self._dump(wh, name)
            except Exception:  # a CTE of a subquery, a table made by this very statement
                continue
            if path:
                rec.inputs[name] = path
            if name not in self._written:
                self._dumped.pop(name, None)  # registered data or Splink's: dump it each time
        self._pending = rec

    @property
    def _written(self) -> set[str]:
        return {t for r in self.records for t in ([r.target] if r.target else [])}

    def after(self, wh: Warehouse, sql: str) -> None:
        tree = self._tree(sql)
        targets = write_targets(tree)
        for name in targets:
            self._dumped.pop(name, None)
        rec, self._pending = self._pending, None
        if rec is None:
            return
        try:
            if isinstance(tree, exp.Query):
                self._files += 1
                path = self.out / "tables" / f"{self._files:05d}-result.parquet"
                pq.write_table(wh.arrow(sql), path)
                rec.result = str(path)
            elif targets and not isinstance(tree, exp.Drop):
                rec.target = targets[0]
                rec.result = self._dump(wh, targets[0])
        except Exception as exc:
            rec.problem = f"result not kept: {type(exc).__name__}: {exc}"
        self.records.append(rec)


def record(workdir: Path, scale: float, seed: int) -> list[Record]:
    from tieout.cli.demo_cmd import demo

    recorder = Recorder(workdir / "recording")
    Warehouse.recorder = recorder
    started = time.perf_counter()
    try:
        demo(scale=scale, seed=seed, out=workdir / "demo", force=True)
    finally:
        Warehouse.recorder = None
    print(
        f"recorded {len(recorder.records)} distinct statements of {recorder.executions} run "
        f"in {time.perf_counter() - started:.0f}s",
        flush=True,
    )
    (workdir / "recording" / "records.pickle").write_bytes(pickle.dumps(recorder.records))
    return recorder.records


# -- comparing ------------------------------------------------------------------------------


def duckdb_rows(path: str) -> list[tuple[Any, ...]]:
    table = pq.read_table(path)
    return [tuple(r.values()) for r in table.to_pylist()]


# -- replaying ------------------------------------------------------------------------------


@dataclass
class Outcome:
    index: int
    status: str  # ran, same, different, failed, engine, skipped
    detail: str = ""


class Transpiled(SparkSQL):
    """The baseline: sqlglot.transpile's Spark SQL for each query, nothing else."""

    def plan(self, sql: str) -> Operation:
        tree = sqlglot.parse_one(sql, read="duckdb")
        if isinstance(tree, exp.Update | exp.Delete | exp.Command) or (
            isinstance(tree, exp.Create) and str(tree.args.get("kind")).upper() == "MACRO"
        ):
            self.spark.sql(sqlglot.transpile(sql, read="duckdb", write="spark")[0])
            return EngineOnly(tree, "ran as transpiled")
        return operation(tree, self.columns)

    def generate(self, tree: exp.Expr) -> str:
        return tree.sql(dialect="spark")


def _first_line(exc: BaseException) -> str:
    java = getattr(exc, "java_exception", None)
    text = (str(java.toString()) if java is not None else str(exc)).strip().splitlines()
    line = text[0] if text else type(exc).__name__
    return f"{type(exc).__name__}: {line}"[:240]


def construct(error: str) -> str:
    """What a failure is about, for grouping: Spark's error class and the name it names."""
    cls = re.search(r"\[([A-Z_.]+)\]", error)
    named = re.search(r"(?:routine|function|column|table or view|name) [`'\"]?([\w.`]+)", error)
    key = cls.group(1) if cls else error.split(":")[0]
    if named:
        key += f" {named.group(1).strip('`')}"
    elif not cls:
        key = error[:90]
    return key


# Landing stays per file in DuckDB (CSV parsing with rejects, Parquet typing, date-layout
# sampling) and hands Parquet to the engine: its statements are not the engine's.
LANDING = (
    "tieout.ingest.land",
    "tieout.ingest.formats",
    "tieout.engine.warehouse.csv_to_parquet_strict",
    "tieout.engine.warehouse.parquet_to_varchar_parquet",
)


def replay(
    records: list[Record],
    spark: Any,
    store: Path,
    baseline: bool,
    only: set[int] | None = None,
    show_diff: bool = False,
) -> list[Outcome]:
    engine: SparkSQL = (Transpiled if baseline else SparkSQL)(spark, store)
    loaded: dict[str, str] = {}
    outcomes: list[Outcome] = []
    for rec in records:
        if rec.caller in LANDING:
            outcomes.append(Outcome(rec.index, "landing", rec.caller))
            continue
        if rec.caller.startswith("tieout.engine"):
            outcomes.append(Outcome(rec.index, "engine", rec.caller))
            continue
        if only and rec.index not in only and "MACRO" not in rec.sql.upper():
            continue
        if rec.problem:
            outcomes.append(Outcome(rec.index, "skipped", rec.problem))
            continue
        for name, path in rec.inputs.items():
            if "." in name or loaded.get(name) == path:
                continue
            engine.load_parquet(name, path)
            loaded[name] = path
        if rec.catalog is not None:
            engine.translator.catalog.tables = rec.catalog.copy
        try:
            op = engine.plan(rec.sql)
            if isinstance(op, EngineOnly):
                status = "ran" if op.what == "ran as transpiled" else "engine"
                outcomes.append(Outcome(rec.index, status, op.what))
                continue
            if isinstance(op, DefineMacro | Drop):
                outcomes.append(Outcome(rec.index, "ran", type(op).__name__))
                continue
            frame = engine.frame(op)
            assert frame is not None
            rows = frame.collect()
        except Exception as exc:
            outcomes.append(Outcome(rec.index, "failed", _first_line(exc)))
            continue
        if rec.result is None or not isinstance(
            op, Query | Materialize | Append | Replace | CreateTable
        ):
            outcomes.append(Outcome(rec.index, "ran"))
            continue
        expected = duckdb_rows(rec.result)
        want = canonical(expected)
        got = canonical(rows)
        if want == got:
            outcomes.append(Outcome(rec.index, "same"))
        elif canonical(expected, list_order=False) == canonical(rows, list_order=False):
            outcomes.append(Outcome(rec.index, "list order"))
        else:
            extra, missing = got - want, want - got
            if show_diff:
                print(f"#{rec.index} DuckDB only:", *list(missing)[:3], sep="\n  ")
                print(f"#{rec.index} Spark only:", *list(extra)[:3], sep="\n  ")
            sample = next(iter(missing or extra), ())
            outcomes.append(
                Outcome(
                    rec.index,
                    "different",
                    f"{sum(want.values())} rows in DuckDB, {sum(got.values())} in Spark; "
                    f"{sum(missing.values())} of DuckDB's not in Spark, e.g. {str(sample)[:160]}",
                )
            )
    return outcomes


def summary(label: str, records: list[Record], outcomes: list[Outcome]) -> list[str]:
    counts = Counter(o.status for o in outcomes)
    portable = len(outcomes) - counts["engine"] - counts["skipped"] - counts["landing"]
    run = counts["ran"] + counts["same"] + counts["different"] + counts["list order"]
    lines = [
        f"{label}: {len(outcomes)} distinct statements; {counts['landing']} landing "
        f"(per file, stays DuckDB), {counts['engine']} engine plumbing "
        f"(SET, ATTACH, CREATE INDEX, COPY: engine methods, not replayed), "
        f"{counts['skipped']} not kept; of {portable} for the engine: {run} run, "
        f"{counts['failed']} fail; {counts['same']} give DuckDB's data, "
        f"{counts['list order']} the same but for the order inside a list_distinct or "
        f"list(DISTINCT) (undefined in DuckDB), {counts['different']} different",
    ]
    failures: dict[str, list[Outcome]] = {}
    for o in outcomes:
        if o.status == "failed":
            failures.setdefault(construct(o.detail), []).append(o)
    for key, group in sorted(failures.items(), key=lambda kv: -len(kv[1])):
        lines.append(f"  fail x{len(group)} {key}: #{group[0].index} {group[0].detail}")
    for o in outcomes:
        if o.status == "different":
            head = " ".join(records[o.index].sql.split())[:100]
            lines.append(f"  different #{o.index} {head}: {o.detail}")
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scale", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/tieout-spark-replay"))
    ap.add_argument("--reuse", action="store_true", help="replay the last recording again")
    ap.add_argument("--only", choices=["baseline", "engine"], help="replay one mode")
    ap.add_argument("--show", type=int, nargs="*", help="print these statements and stop")
    ap.add_argument("--indices", type=int, nargs="*", help="replay only these statements")
    ap.add_argument("--diff", action="store_true", help="print rows that differ")
    ap.add_argument("--write", action="store_true", help="write spark_replay_result.txt")
    args = ap.parse_args(argv)

    saved = args.workdir / "recording" / "records.pickle"
    if args.reuse and saved.exists():
        records: list[Record] = pickle.loads(saved.read_bytes())
    else:
        shutil.rmtree(args.workdir, ignore_errors=True)
        records = record(args.workdir, args.scale, args.seed)
    if args.show is not None:
        for i in args.show:
            rec = records[i]
            print(f"#{i} inputs={list(rec.inputs)}\n{rec.sql}\n")
            if args.only != "baseline":
                try:
                    tr = Translator("spark")
                    for earlier in records[:i]:
                        if "MACRO" in earlier.sql.upper():
                            tr.plan(earlier.sql)
                    op = tr.plan(rec.sql, lambda t: ["?"])
                    query = getattr(op, "query", None)
                    print("->", tr.generate(query) if query is not None else op, "\n")
                except Exception as exc:
                    print("-> cannot translate:", _first_line(exc), "\n")
        return 0
    spark = session("local[2]", app="spark-replay")
    lines = [
        f"spark_replay.py: demo scale {args.scale:g}, seed {args.seed}; "
        f"Spark {spark.version} local[2], sqlglot {sqlglot.__version__}, "
        f"{dt.date.today().isoformat()}",
    ]
    try:
        for label, baseline in (("plain sqlglot.transpile", True), ("tieout engine layer", False)):
            if args.only and args.only != ("baseline" if baseline else "engine"):
                continue
            started = time.perf_counter()
            store = args.workdir / ("spark-baseline" if baseline else "spark-engine")
            outcomes = replay(records, spark, store, baseline, set(args.indices or []), args.diff)
            block = summary(label, records, outcomes)
            block[0] += f" ({time.perf_counter() - started:.0f}s)"
            print("\n".join(block), flush=True)
            lines.extend(block)
    finally:
        spark.stop()
    if args.write:
        (HERE / "spark_replay_result.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
