"""The warehouse connection: the one place that talks to DuckDB.

Stages hand it SQL (sqlglot expressions or text in the DuckDB dialect) and get rows
back; nothing else imports duckdb, so another Ibis/sqlglot backend can stand in. Values
come as a mapping for the statement's `:name` placeholders, bound as literals (dialect
`bind`) before the statement runs: one mechanism whatever the engine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, Protocol

import duckdb
import pyarrow as pa
from sqlglot import exp

from tieout.engine.dialect.literals import bind
from tieout.model import Table

DIALECT = "duckdb"

_DDL_TYPES = {
    "text": "VARCHAR",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "money": "DECIMAL(18,2)",
    "price": "DECIMAL(18,4)",
    "quantity": "DECIMAL(18,4)",
    "percent": "DECIMAL(9,4)",
    "hours": "DECIMAL(12,2)",
    "integer": "INTEGER",
    "boolean": "BOOLEAN",
    "rate": "DECIMAL(18,8)",
    "currency": "VARCHAR",
    "refs": "STRUCT(system VARCHAR, object VARCHAR, native_id VARCHAR)[]",
}


def ddl_type(logical: str) -> str:
    return _DDL_TYPES[logical]


SQL = str | exp.Expr
Params = Mapping[str, Any]  # values for a statement's `:name` placeholders


def render(sql: SQL) -> str:
    return sql if isinstance(sql, str) else sql.sql(DIALECT)


def bound(sql: SQL, params: Params | None) -> str:
    """The statement's text with its placeholders' values in it as literals."""
    return bind(render(sql), params)


class StatementRecorder(Protocol):
    """Sees every statement a warehouse runs, values bound, before and after
    (benchmarks/spark_replay.py records a run with it). None is installed in a normal run."""

    def before(self, wh: Warehouse, sql: str) -> None: ...

    def after(self, wh: Warehouse, sql: str) -> None: ...


class Warehouse:
    """A DuckDB database file (or memory), opened read-write or read-only."""

    recorder: ClassVar[StatementRecorder | None] = None
    engine_name: ClassVar[str] = "duckdb"  # what the SQL runs on (a saved model is per engine)
    reads_snapshots: ClassVar[bool] = True  # attach() can read an earlier snapshot

    def __init__(
        self,
        path: Path | None = None,
        *,
        read_only: bool = False,
        memory_limit: str | None = None,
        spill_dir: Path | None = None,
    ) -> None:
        self.path = path
        self.read_only = read_only
        self._con = duckdb.connect(str(path) if path else ":memory:", read_only=read_only)
        self._con.execute("SET GLOBAL TimeZone = 'UTC'").fetchall()  # cursors inherit it
        self._con.execute("SET enable_progress_bar = false").fetchall()  # the CLI draws its own
        if memory_limit:
            self._set("memory_limit", memory_limit)
        if spill_dir:
            spill_dir.mkdir(parents=True, exist_ok=True)
            self._set("temp_directory", str(spill_dir))
        if read_only:
            self._files_only_under([])

    def cursor(self) -> Warehouse:
        """Another connection to the same open database, for another thread (a DuckDB
        connection is not safe to share between threads; its cursors are)."""
        twin = object.__new__(Warehouse)
        twin.path, twin.read_only = self.path, self.read_only
        twin._con = self._con.cursor()
        return twin

    def seal(self, readable: Sequence[Path]) -> None:
        """From here on the connection touches no file outside its own folder (snapshots to
        attach, spill space) and `readable` (the landed files), and its configuration is
        locked so no later statement can widen that. A run calls it once landing is done:
        defence in depth under the definitions' SQL check (model.sqlcheck)."""
        self._files_only_under(readable)
        self._con.execute("SET lock_configuration = true").fetchall()

    def _files_only_under(self, readable: Sequence[Path]) -> None:
        """Disable external access but for these folders and the database's own. DuckDB
        never lets it be enabled again while the database is open. A read-only database
        is not locked as well: one process may open a snapshot twice, DuckDB shares one
        instance between the two, and the second must still set its session options."""
        if not self.scalar("SELECT current_setting('enable_external_access')"):
            return  # this instance was closed to files by an earlier open
        folders = [*([self.path.parent] if self.path else []), *readable]
        allowed = [f"{folder.resolve()}/" for folder in folders]
        self._set("allowed_directories", allowed)
        self._con.execute("SET enable_external_access = false").fetchall()

    def _set(self, setting: str, value: Any) -> None:
        """An engine setting (not a query value): DuckDB's SET takes no placeholder of
        ours, so the value goes through its own API parameter."""
        self._con.execute(f"SET {setting} = ?", [value]).fetchall()

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self, text: str) -> tuple[list[str], list[Any]]:
        """Every (bound) statement goes through here: (column names, rows)."""
        if (recorder := Warehouse.recorder) is not None:
            recorder.before(self, text)
        cur = self._con.execute(text)
        names = [d[0] for d in cur.description or []]
        rows = cur.fetchall()
        if recorder is not None:
            recorder.after(self, text)
        return names, rows

    def execute(self, sql: SQL, params: Params | None = None) -> None:
        self._run(bound(sql, params))

    def query(self, sql: SQL, params: Params | None = None) -> list[tuple[Any, ...]]:
        return self._run(bound(sql, params))[1]

    def query_dicts(self, sql: SQL, params: Params | None = None) -> list[dict[str, Any]]:
        names, rows = self._run(bound(sql, params))
        return [dict(zip(names, row, strict=True)) for row in rows]

    def arrow(self, sql: SQL, params: Params | None = None) -> pa.Table:
        """A query's result as Arrow, not seen by the recorder (it reads tables with this)."""
        return self._con.execute(bound(sql, params)).to_arrow_table()

    def scalar(self, sql: SQL, params: Params | None = None) -> Any:
        rows = self.query(sql, params)
        return rows[0][0] if rows else None

    # catalogue ---------------------------------------------------------------
    def count(self, table: str) -> int:
        return int(self.scalar(exp.select("count(*)").from_(exp.to_table(table))))

    def create_temp_table(self, name: str, query: SQL) -> None:
        """Materialise a query as a scratch table that vanishes with the connection."""
        self.execute(f'CREATE OR REPLACE TEMP TABLE "{name}" AS {render(query)}')

    def drop_table(self, name: str) -> None:
        self.execute(f'DROP TABLE IF EXISTS "{name}"')

    def create_index(self, table: str, column: str) -> None:
        """An ART index, which DuckDB uses for equality and IN filters on the column."""
        self.execute(f'CREATE INDEX IF NOT EXISTS "{table}_by_{column}" ON "{table}" ("{column}")')

    def create_model_table(self, table: Table) -> None:
        cols = ", ".join(f'"{c.name}" {ddl_type(c.type)}' for c in table.all_columns)
        self.execute(f'CREATE TABLE "{table.name}" ({cols})')

    def splink_api(self) -> Any:
        """Splink's database API on this connection (its DuckDB backend)."""
        from splink import DuckDBAPI

        return DuckDBAPI(connection=self._con)

    def splink_settings(self, settings: Any, table: str) -> Any:
        """Splink settings (a SettingsCreator or a settings dict whose SQL is DuckDB's) as
        this engine's Splink backend takes them; `table` is one the model reads (its
        columns' types matter to the SQL). Here: the settings, as they are."""
        return settings

    def splink_condition(self, sql: str, table: str) -> str:
        """A DuckDB condition on a pair of `table`'s records (a blocking rule) for this
        engine's Splink backend. Here: as it is."""
        return sql

    def run_script(self, script: str, params: Params | None = None) -> None:
        """Run a .sql file of several statements, bound once as a whole (any statement may
        read any of `params`); DuckDB runs it in one call unless a recorder must see each."""
        text = bind(script, params)
        if Warehouse.recorder is None:
            self._con.execute(text).fetchall()
            return
        for statement in self._con.extract_statements(text):
            self._run(statement.query)

    # files ---------------------------------------------------------------------
    def attach(self, path: Path, alias: str) -> None:
        """Make another snapshot's tables readable here as `alias.table` (read-only)."""
        self._con.execute(f"ATTACH '{_quote_path(path)}' AS {alias} (READ_ONLY)").fetchall()

    def detach(self, alias: str) -> None:
        self._con.execute(f"DETACH {alias}").fetchall()

    def register_arrow(self, name: str, data: pa.Table) -> None:
        self._con.register(name, data)

    def unregister(self, name: str) -> None:
        self._con.unregister(name)

    def copy_to_parquet(self, sql: SQL, dest: Path) -> None:
        self.execute(f"COPY ({render(sql)}) TO '{_quote_path(dest)}' (FORMAT parquet)")

    def parquet_source(self, *paths: str | Path, alias: str | None = None) -> exp.Table:
        """A FROM-clause item reading Parquet files (the engine decides how)."""
        files = exp.Array(expressions=[exp.Literal.string(str(p)) for p in paths])
        return exp.Table(
            this=exp.Anonymous(this="read_parquet", expressions=[files]),
            alias=exp.TableAlias(this=exp.to_identifier(alias)) if alias else None,
        )

    def csv_to_parquet_strict(
        self, src: Path, dest: Path, rejects: Path, *, delimiter: str, columns: int, footer: bool
    ) -> tuple[int, int, int] | None:
        """Parse a UTF-8 CSV, numbering rows as a spreadsheet does (header = row 1).

        Writes the records that split into the header's columns to `dest`, the rest to
        `rejects` (_row, reason, raw), and returns (rows written, rows rejected, footer
        lines). One spare column and padding expose every record with one field too many
        or too few (DuckDB alone forgives a trailing extra delimiter); an empty field reads
        as '' and a missing one as NULL. With `footer`, one-field records after the last full
        record are a report's footer (copyright, "Generated By"): counted, not read. Returns
        None when DuckDB dropped a record it could not split at all (numbering would then be
        off) or could not read the file: the caller re-parses with the forgiving reader.
        """
        names = [f"c{i}" for i in range(columns)]
        for parallel in ("true", "false"):
            self.drop_table("_ingest_csv")
            try:
                self._read_csv_table(src, delimiter, [*names, "_extra"], parallel)
                break
            except duckdb.Error:
                continue
        else:
            return None
        if self.scalar("SELECT count(*) FROM _ingest_rejects"):
            self.drop_table("_ingest_csv")
            return None
        off = f"_extra IS NOT NULL OR {names[-1]} IS NULL" if names else "_extra IS NOT NULL"
        footer_rows = "FALSE"
        if footer and columns > 1:
            footer_rows = (
                "c1 IS NULL AND _extra IS NULL AND rowid > "
                f"(SELECT coalesce(max(rowid), -1) FROM _ingest_csv WHERE NOT ({off}))"
            )
        off = f"({off}) AND NOT ({footer_rows})"
        numbered = "CAST(rowid + 2 AS INTEGER) AS _row"
        self.copy_to_parquet(
            f"SELECT {numbered}, {', '.join(names)} FROM _ingest_csv "
            f"WHERE NOT ({off}) AND NOT ({footer_rows}) ORDER BY rowid",
            dest,
        )
        rejected = int(self.scalar(f"SELECT count(*) FROM _ingest_csv WHERE {off}"))
        footers = int(self.scalar(f"SELECT count(*) FROM _ingest_csv WHERE {footer_rows}"))
        if rejected:
            found = " + ".join(f"CAST({n} IS NOT NULL AS INTEGER)" for n in [*names, "_extra"])
            fields = [_csv_text(n, delimiter) for n in [*names, "_extra"]]
            raw = f"concat_ws('{_sql_text(delimiter)}', {', '.join(fields)})"
            self.copy_to_parquet(
                f"SELECT {numbered}, 'expected {columns} fields, found ' || ({found}) AS reason, "
                f"{raw} AS raw FROM _ingest_csv WHERE {off} ORDER BY rowid",
                rejects,
            )
        written = self.count("_ingest_csv") - rejected - footers
        self.drop_table("_ingest_csv")
        return written, rejected, footers

    def _read_csv_table(self, src: Path, delimiter: str, names: list[str], parallel: str) -> None:
        spec = ", ".join(f"'{n}': 'VARCHAR'" for n in names)
        delim = delimiter.replace("'", "''")
        self.execute(
            f"CREATE TEMP TABLE _ingest_csv AS SELECT * FROM read_csv('{_quote_path(src)}', "
            f"delim = '{delim}', header = true, quote = '\"', escape = '\"', "
            f"auto_detect = false, columns = {{{spec}}}, store_rejects = true, "
            f"rejects_table = '_ingest_rejects', rejects_scan = '_ingest_scans', "
            f"null_padding = true, nullstr = '{_NO_NULL}', parallel = {parallel}, "
            f"max_line_size = 4000000)"
        )

    def parquet_to_varchar_parquet(self, src: Path, dest: Path) -> list[str]:
        """Land a Parquet export: every column as text, so one validation path serves all."""
        rel = f"read_parquet('{_quote_path(src)}')"
        names = [r[0] for r in self.query(f"DESCRIBE SELECT * FROM {rel}")]
        cols = ", ".join(f'CAST("{n}" AS VARCHAR) AS c{i}' for i, n in enumerate(names))
        self.execute("DROP TABLE IF EXISTS _ingest_pq")
        self.execute(f"CREATE TEMP TABLE _ingest_pq AS SELECT {cols} FROM {rel}")
        self.copy_to_parquet(
            "SELECT CAST(rowid + 2 AS INTEGER) AS _row, * FROM _ingest_pq ORDER BY rowid", dest
        )
        self.execute("DROP TABLE _ingest_pq")
        return names


# No field reads as NULL: a missing field is NULL (padding), an empty one ''.
_NO_NULL = "\u241ftieout-no-null\u241f"


def _sql_text(text: str) -> str:
    return text.replace("'", "''")


def _csv_text(column: str, delimiter: str) -> str:
    """SQL giving a field back as a CSV writer would write it (NULL: not there at all)."""
    d = _sql_text(delimiter)
    return (
        f"CASE WHEN contains({column}, '{d}') OR contains({column}, '\"') "
        f"OR contains({column}, chr(10)) OR contains({column}, chr(13)) "
        f"THEN '\"' || replace({column}, '\"', '\"\"') || '\"' ELSE {column} END"
    )


def _quote_path(path: Path) -> str:
    return str(path).replace("'", "''")
