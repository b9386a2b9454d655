"""The Spark engine: DuckDB-dialect statements run on a Spark session through the dialect
layer, each table kept as Parquet files (a new version per write) behind a temp view.

Landing stays per file in DuckDB and hands Parquet over (`load_parquet`); serving stays
embedded (DuckDB reads the Parquet a Spark run leaves behind). pyspark is optional (the
`spark` extra) and imported only here, when a Spark engine is asked for.
"""

from __future__ import annotations

import copy
import os
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import sqlglot
from sqlglot import exp

from tieout.engine.dialect import (
    Append,
    CreateTable,
    DefineMacro,
    Drop,
    EngineOnly,
    Materialize,
    NotPortableError,
    Operation,
    Query,
    Replace,
    Translator,
)
from tieout.engine.dialect.literals import bind_parameters
from tieout.engine.dialect.spark_values import spark_type
from tieout.engine.warehouse import SQL, Warehouse, render

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

# Splink's similarity jar: the Java functions Splink's Spark backend calls, and what the
# jaro_winkler rewrite needs (name, Java class)
JAR_FUNCTIONS = (
    ("jaro_winkler", "uk.gov.moj.dash.linkage.JaroWinklerSimilarity"),
    ("jaro_sim", "uk.gov.moj.dash.linkage.JaroSimilarity"),
    ("damerau_levenshtein", "uk.gov.moj.dash.linkage.LevDamerauDistance"),
)


def session(
    master: str = "local[2]", *, app: str = "tieout", conf: Mapping[str, str] | None = None
) -> SparkSession:
    """A Spark session with UTC time, Splink's similarity jar and its functions."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession
    from pyspark.sql.types import DoubleType
    from splink.backends.spark import similarity_jar_location

    builder = (
        SparkSession.builder.master(master)
        .appName(app)
        .config("spark.jars", similarity_jar_location())
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.extraJavaOptions", "-Duser.timezone=UTC")
    )
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    for name, java_class in JAR_FUNCTIONS:
        spark.udf.registerJavaFunction(name, java_class, DoubleType())
    return spark


class SparkSQL:
    """DuckDB-dialect statements on a Spark session; tables are versioned Parquet folders
    under `store`, each behind a temp view of its name."""

    def __init__(self, spark: SparkSession, store: Path) -> None:
        self.spark = spark
        self.store = store
        self.translator = Translator(
            "spark", lists=self._is_list, tables=self.tables, columns=self._columns
        )
        self.variables: dict[str, Any] = {}
        self.written: set[str] = set()  # tables this session holds
        self.temporary: set[str] = set()  # of those, the scratch ones
        self.last: Operation | None = None
        self._versions: dict[str, int] = {}

    def tables(self) -> list[str]:
        return [t.name for t in self.spark.catalog.listTables()]

    def _columns(self, table: str) -> list[str] | None:
        return self.columns(table) if self.exists(table) else None

    def _is_list(self, table: str, column: str) -> bool | None:
        from pyspark.sql.types import ArrayType

        if not self.exists(table):
            return None
        for field in self.spark.table(_quoted(table)).schema.fields:
            if field.name.lower() == column.lower():
                return isinstance(field.dataType, ArrayType)
        return None

    # tables ----------------------------------------------------------------------------
    def exists(self, table: str) -> bool:
        return bool(self.spark.catalog.tableExists(table))

    def columns(self, table: str) -> list[str]:
        return list(self.spark.table(_quoted(table)).columns)

    def list_columns(self, table: str) -> dict[str, bool]:
        """The table's columns, each True when it holds a list."""
        from pyspark.sql.types import ArrayType

        return {
            f.name: isinstance(f.dataType, ArrayType)
            for f in self.spark.table(_quoted(table)).schema.fields
        }

    def load_parquet(self, table: str, path: Path | str) -> None:
        """Make a Parquet file or folder readable as `table` (as it is; not copied)."""
        self.spark.read.parquet(str(path)).createOrReplaceTempView(table)

    def write(self, table: str, frame: DataFrame) -> None:
        """Store the frame as the table's next version and point the view at it."""
        version = self._versions.get(table, 0) + 1
        path = self.store / table / f"v{version}"
        frame.write.mode("overwrite").parquet(str(path))
        self.spark.read.parquet(str(path)).createOrReplaceTempView(table)
        self.written.add(table)
        old = self.store / table / f"v{version - 1}"
        self._versions[table] = version
        if version > 1:
            shutil.rmtree(old, ignore_errors=True)

    def drop(self, table: str) -> None:
        self.spark.catalog.dropTempView(table)
        self.written.discard(table)
        self.temporary.discard(table)
        shutil.rmtree(self.store / table, ignore_errors=True)
        self._versions.pop(table, None)

    # statements ------------------------------------------------------------------------
    def plan(self, sql: str, params: Sequence[Any] = ()) -> Operation:
        return self.translator.plan(sql, params, self.variables, self.columns)

    def frame(self, op: Operation) -> DataFrame | None:
        """The rows a query answers, or a written table's new content (typed as the table
        for an append or replace); None for an operation that writes no rows."""
        if isinstance(op, Query | Materialize):
            return self.spark.sql(self.translator.generate(op.query))
        if isinstance(op, CreateTable):
            return self.spark.createDataFrame([], self.schema(op))
        if isinstance(op, Append):
            return self._append(op)
        if isinstance(op, Replace):
            old = self.spark.table(_quoted(op.table))
            new = self.spark.sql(self.translator.generate(op.query))
            return new if op.reshaped else _typed_as(new, old, list(old.columns))
        return None

    def _append(self, op: Append) -> DataFrame:
        from pyspark.sql import functions as fn

        old = self.spark.table(_quoted(op.table))
        new = self.spark.sql(self.translator.generate(op.query))
        names = list(old.columns)
        if not op.by_name:  # by position: the query's own names may repeat ("NULL")
            new = new.toDF(*[f"_c{i}" for i in range(len(new.columns))])
        if op.by_name:
            given = {c.lower(): c for c in new.columns}
            cols = [
                fn.col(f"`{given[n.lower()]}`") if n.lower() in given else fn.lit(None)
                for n in names
            ]
        elif op.columns is not None:
            at = {c.lower(): i for i, c in enumerate(op.columns)}
            cols = [
                fn.col(f"_c{at[n.lower()]}") if n.lower() in at else fn.lit(None) for n in names
            ]
        else:
            if len(new.columns) != len(names):
                raise NotPortableError(
                    f"INSERT INTO {op.table}: {len(new.columns)} columns for {len(names)}"
                )
            cols = [fn.col(f"`{c}`") for c in new.columns]
        named = [c.alias(f"_t{i}") for i, c in enumerate(cols)]  # unique names to cast by
        return old.unionAll(_typed_as(new.select(*named), old, names))

    def schema(self, op: CreateTable) -> str:
        return ", ".join(
            f"`{name}` {spark_type(dtype).sql(dialect='spark')}" for name, dtype in op.columns
        )

    def run(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], list[Any]]:
        """Run one statement: (column names, rows) for a query, nothing for the rest."""
        op = self.last = self.plan(sql, params)
        if isinstance(op, Query):
            frame = self.spark.sql(self.translator.generate(op.query))
            return list(frame.columns), [tuple(r) for r in frame.collect()]
        if isinstance(op, Drop):
            for table in op.tables:
                self.drop(table)
        elif (
            isinstance(op, Materialize | CreateTable) and op.if_not_exists and self.exists(op.table)
        ):
            pass
        elif isinstance(op, Materialize | CreateTable | Append | Replace):
            content = self.frame(op)
            assert content is not None
            self.write(op.table, content)
            if isinstance(op, Materialize | CreateTable):
                (self.temporary.add if op.temporary else self.temporary.discard)(op.table)
        elif isinstance(op, EngineOnly):
            raise NotPortableError(f"{op.what} has no portable meaning: use the engine's method")
        else:
            assert isinstance(op, DefineMacro)
        return [], []


def _typed_as(frame: DataFrame, like: DataFrame, names: list[str]) -> DataFrame:
    """The frame's columns, by position, cast to `like`'s types and named as its columns
    (what an INSERT or UPDATE does to a value of another type)."""
    from pyspark.sql import functions as fn

    return frame.select(
        *[
            fn.col(f"`{c}`").cast(field.dataType).alias(name)
            for c, field, name in zip(frame.columns, like.schema.fields, names, strict=True)
        ]
    )


def _quoted(table: str) -> str:
    return ".".join(f"`{part}`" for part in table.split("."))


class SparkWarehouse(Warehouse):
    """A run's warehouse on Spark (`warehouse.engine: spark`), used by stages exactly as the
    DuckDB one: each statement goes through the dialect layer to Spark. Landing stays on an
    embedded DuckDB (this object's own connection): CSV and Parquet typing per file, and any
    query that reads only landed files or registered Arrow data (date-layout sampling), so
    a file is read the same way whatever the engine. close() leaves every persistent table
    in a DuckDB snapshot file at `path`: serving stays embedded."""

    engine_name = "spark"
    reads_snapshots = False  # earlier snapshots are DuckDB files, read by serving

    def __init__(
        self,
        path: Path,
        *,
        master: str = "local[2]",
        conf: Mapping[str, str] | None = None,
        memory_limit: str | None = None,
    ) -> None:
        super().__init__(None, memory_limit=memory_limit)
        self.path = path  # the snapshot file close() writes
        store = path.parent / f"{path.name}.spark"
        shutil.rmtree(store, ignore_errors=True)
        self.engine = SparkSQL(session(master, conf=conf), store)
        # Splink's Spark backend breaks long lineages with checkpoints
        self.engine.spark.sparkContext.setCheckpointDir(str(store / "_checkpoints"))
        self._arrow: set[str] = set()
        self._indexes: list[tuple[str, str]] = []
        self._landing = False

    def cursor(self) -> Warehouse:
        return self  # one Spark session serves every thread

    def _run(self, sql: SQL, params: Sequence[Any] | None) -> tuple[list[str], list[Any]]:
        text, args = render(sql), list(params or [])
        if self._landing or self._files_only(text, args):
            return super()._run(text, args)
        if (recorder := Warehouse.recorder) is not None:
            recorder.before(self, text, args)
        out = self.engine.run(text, args)
        if isinstance(self.engine.last, DefineMacro):
            super()._run(text, args)  # landing-side queries may call it too
        if recorder is not None:
            recorder.after(self, text, args)
        return out

    def _files_only(self, sql: str, params: Sequence[Any]) -> bool:
        """A query reading nothing but Parquet files and registered Arrow data."""
        try:
            tree = sqlglot.parse_one(bind_parameters(sql, params), read="duckdb")
        except (sqlglot.ParseError, ValueError):
            return False
        if not isinstance(tree, exp.Query):
            return False
        ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
        for table in tree.find_all(exp.Table):
            if isinstance(table.this, exp.ReadParquet):
                continue
            name = table.name.lower()
            if name not in ctes and name not in self._arrow:
                return False
        return True

    def arrow(self, sql: SQL, params: Sequence[Any] | None = None) -> pa.Table:
        text, args = render(sql), list(params or [])
        if self._landing or self._files_only(text, args):
            return super().arrow(text, args)
        op = self.engine.plan(text, args)
        if not isinstance(op, Query):
            raise NotPortableError("arrow() takes a query")
        return self.engine.spark.sql(self.engine.translator.generate(op.query)).toArrow()

    def run_script(self, script: str, variables: dict[str, Any] | None = None) -> None:
        self.set_variables(variables or {})
        for statement in self._con.extract_statements(script):
            self._run(statement.query, None)

    def set_variables(self, variables: dict[str, Any]) -> None:
        super().set_variables(variables)
        self.engine.variables.update(variables)

    def create_index(self, table: str, column: str) -> None:
        self._indexes.append((table, column))  # made on the snapshot file by close()

    def splink_api(self) -> Any:
        from splink import SparkAPI

        return SparkAPI(spark_session=self.engine.spark)  # type: ignore[no-untyped-call]

    def splink_settings(self, settings: Any, table: str) -> dict[str, Any]:
        """The settings with every comparison level's condition and blocking rule
        generated for Spark by the dialect layer (a saved DuckDB model is not read here:
        its SQL is DuckDB's, and its file is another engine's)."""
        from splink import SettingsCreator

        if isinstance(settings, SettingsCreator):
            out = settings.create_settings_dict("duckdb")
        else:
            out = copy.deepcopy(settings)
        if out.get("sql_dialect") == "spark":
            return dict(out)
        for comparison in out.get("comparisons", []):
            for level in comparison["comparison_levels"]:
                if str(level["sql_condition"]).strip().upper() != "ELSE":
                    level["sql_condition"] = self.splink_condition(level["sql_condition"], table)
        for rule in out.get("blocking_rules_to_generate_predictions", []):
            rule["blocking_rule"] = self.splink_condition(rule["blocking_rule"], table)
            if "sql_dialect" in rule:
                rule["sql_dialect"] = "spark"
        out["sql_dialect"] = "spark"
        return dict(out)

    def splink_condition(self, sql: str, table: str) -> str:
        return self.engine.translator.condition(sql, self.engine.list_columns(table))

    def register_arrow(self, name: str, data: pa.Table) -> None:
        super().register_arrow(name, data)
        self.engine.spark.createDataFrame(data).createOrReplaceTempView(name)
        self._arrow.add(name.lower())

    def unregister(self, name: str) -> None:
        super().unregister(name)
        self.engine.spark.catalog.dropTempView(name)
        self._arrow.discard(name.lower())

    def attach(self, path: Path, alias: str) -> None:
        raise NotPortableError("reading another snapshot is for the embedded (DuckDB) warehouse")

    def csv_to_parquet_strict(
        self, src: Path, dest: Path, rejects: Path, *, delimiter: str, columns: int, footer: bool
    ) -> tuple[int, int, int] | None:
        self._landing = True
        try:
            return super().csv_to_parquet_strict(
                src, dest, rejects, delimiter=delimiter, columns=columns, footer=footer
            )
        finally:
            self._landing = False

    def parquet_to_varchar_parquet(self, src: Path, dest: Path) -> list[str]:
        self._landing = True
        try:
            return super().parquet_to_varchar_parquet(src, dest)
        finally:
            self._landing = False

    def close(self) -> None:
        """Write the persistent tables into the DuckDB snapshot file, then stop Spark."""
        try:
            if self.engine.written:
                self._export()
        finally:
            self.engine.spark.stop()
            shutil.rmtree(self.engine.store, ignore_errors=True)
            super().close()

    def _export(self) -> None:
        import duckdb

        with duckdb.connect(str(self.path)) as con:
            con.execute("SET TimeZone = 'UTC'").fetchall()
            for table in sorted(self.engine.written - self.engine.temporary):
                data = _naive_times(self.engine.spark.table(_quoted(table)).toArrow())
                con.register("_spark_table", data)
                con.execute(f'CREATE TABLE "{table}" AS SELECT * FROM _spark_table').fetchall()
                con.unregister("_spark_table")
            for table, column in self._indexes:
                con.execute(
                    f'CREATE INDEX IF NOT EXISTS "{table}_by_{column}" ON "{table}" ("{column}")'
                ).fetchall()


def _naive_times(table: pa.Table) -> pa.Table:
    """Spark's time stamps (UTC, zoned in Arrow) as the plain TIMESTAMP columns DuckDB's
    snapshot has."""
    for i, field in enumerate(table.schema):
        if pa.types.is_timestamp(field.type) and field.type.tz is not None:
            naive = table.column(i).cast(pa.timestamp(field.type.unit))
            table = table.set_column(i, field.name, naive)
    return table
