"""The Spark engine: DuckDB-dialect statements run on a Spark session through the dialect
layer, each table kept as Parquet files (a new version per write) behind a temp view.

Landing stays per file in DuckDB and hands Parquet over (`load_parquet`); serving stays
embedded (DuckDB reads the Parquet a Spark run leaves behind). pyspark is optional (the
`spark` extra) and imported only here and in spark_sql.py (the session and its SQL), when
a Spark engine is asked for.
"""

from __future__ import annotations

import copy
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import sqlglot
from sqlglot import exp

from tieout.engine.dialect import (
    DefineMacro,
    NotPortableError,
    Query,
)
from tieout.engine.dialect.literals import bind
from tieout.engine.spark_sql import SparkSQL, quoted_table, session
from tieout.engine.warehouse import SQL, Params, Warehouse, bound


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

    def _run(self, text: str) -> tuple[list[str], list[Any]]:
        if self._landing or self._files_only(text):
            return super()._run(text)
        if (recorder := Warehouse.recorder) is not None:
            recorder.before(self, text)
        out = self.engine.run(text)
        if isinstance(self.engine.last, DefineMacro):
            super()._run(text)  # landing-side queries may call it too
        if recorder is not None:
            recorder.after(self, text)
        return out

    def _files_only(self, sql: str) -> bool:
        """A query reading nothing but Parquet files and registered Arrow data."""
        try:
            tree = sqlglot.parse_one(sql, read="duckdb")
        except sqlglot.ParseError:
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

    def arrow(self, sql: SQL, params: Params | None = None) -> pa.Table:
        text = bound(sql, params)
        if self._landing or self._files_only(text):
            return super().arrow(text)
        op = self.engine.plan(text)
        if not isinstance(op, Query):
            raise NotPortableError("arrow() takes a query")
        return self.engine.spark.sql(self.engine.translator.generate(op.query)).toArrow()

    def run_script(self, script: str, params: Params | None = None) -> None:
        for statement in self._con.extract_statements(bind(script, params)):
            self._run(statement.query)

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
                data = _naive_times(self.engine.spark.table(quoted_table(table)).toArrow())
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
