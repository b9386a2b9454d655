"""Spark sessions and DuckDB-dialect SQL on them: each statement through the dialect layer,
each table a versioned Parquet folder behind a temp view (spark.py's warehouse runs on it)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
from tieout.engine.dialect.spark_values import spark_type

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
        for field in self.spark.table(quoted_table(table)).schema.fields:
            if field.name.lower() == column.lower():
                return isinstance(field.dataType, ArrayType)
        return None

    # tables ----------------------------------------------------------------------------
    def exists(self, table: str) -> bool:
        return bool(self.spark.catalog.tableExists(table))

    def columns(self, table: str) -> list[str]:
        return list(self.spark.table(quoted_table(table)).columns)

    def list_columns(self, table: str) -> dict[str, bool]:
        """The table's columns, each True when it holds a list."""
        from pyspark.sql.types import ArrayType

        return {
            f.name: isinstance(f.dataType, ArrayType)
            for f in self.spark.table(quoted_table(table)).schema.fields
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
    def plan(self, sql: str) -> Operation:
        """What a statement does; its values are already bound into it (literals.bind)."""
        return self.translator.plan(sql, self.columns)

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
            old = self.spark.table(quoted_table(op.table))
            new = self.spark.sql(self.translator.generate(op.query))
            return new if op.reshaped else _typed_as(new, old, list(old.columns))
        return None

    def _append(self, op: Append) -> DataFrame:
        from pyspark.sql import functions as fn

        old = self.spark.table(quoted_table(op.table))
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

    def run(self, sql: str) -> tuple[list[str], list[Any]]:
        """Run one (bound) statement: (column names, rows) for a query, nothing for the rest."""
        op = self.last = self.plan(sql)
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


def quoted_table(table: str) -> str:
    return ".".join(f"`{part}`" for part in table.split("."))
