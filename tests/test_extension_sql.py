"""SQL in definitions is data only: a column expression, rule, metric, funnel stage or decision
threshold cannot read a file, the environment or a setting. Each attack is refused when the
project loads (exit 2, one line naming file and key, nothing built), and the run's warehouse
connection refuses file access on its own once landing is done."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlglot import exp
from typer.testing import CliRunner

from support import invoke, write_project
from tieout.config.metrics import builtin_metrics
from tieout.config.presets import builtin_presets
from tieout.config.rules import builtin_rules
from tieout.engine import Warehouse
from tieout.model.sqlcheck import UnsafeSQLError, checked_expression, checked_query
from tieout.model.sqlfunctions import NAMED

ACCOUNTS = "Id,Name\n001Dn000004AAAaIAK,Acme Ltd\n"
BASE = """name: attack
as_of: 2026-03-31
sources:
  - name: crm
    path: Account.csv
    preset: salesforce.account
"""


def _refused(cli: CliRunner, root: Path, where: str) -> str:
    """The run exits 2 with one line naming `where`, and nothing was built or recorded."""
    code, out = invoke(cli, "run", "-p", str(root))
    assert code == 2, out
    line = out.strip()
    assert "\n" not in line and "Traceback" not in line, out
    assert where in line, out
    assert not (root / ".tieout" / "warehouse").exists()  # no snapshot
    assert not (root / ".tieout" / "state.db").exists()  # no run recorded
    return line


def test_a_column_expression_cannot_read_a_file(tmp_path: Path, cli: CliRunner) -> None:
    yml = BASE + (
        '    columns:\n      account:\n        name: "coalesce((SELECT name FROM '
        "read_text('/etc/passwd') AS t(id, name)), name)\"\n"
    )
    root = write_project(tmp_path, yml, {"Account.csv": ACCOUNTS})
    line = _refused(cli, root, "tieout.yml:9: sources.0.columns.account.name: ")
    assert "not a query" in line


def test_a_column_expression_cannot_read_the_secret_key(tmp_path: Path, cli: CliRunner) -> None:
    secret = tmp_path / ".tieout" / "secret_key"
    secret.parent.mkdir(parents=True)
    secret.write_text("do-not-leak-4711", encoding="utf-8")
    yml = BASE + (
        "    columns:\n      account:\n        website: \"'' || (SELECT name FROM "
        f"read_text('{secret}') AS t(id, name))\"\n"
    )
    root = write_project(tmp_path, yml, {"Account.csv": ACCOUNTS})
    line = _refused(cli, root, "sources.0.columns.account.website: ")
    assert "do-not-leak-4711" not in line


def test_an_unknown_function_in_rule_sql_is_refused_at_load(tmp_path: Path, cli: CliRunner) -> None:
    rule = """id: leak_env
title: environment
description: reads the environment
owner: finance
severity: low
sql: |
  SELECT a.id AS account_key, 0 AS amount, 'GBP' AS currency, [] AS refs,
         getenv('HOME') AS detail
  FROM account a
"""
    root = write_project(tmp_path, BASE, {"Account.csv": ACCOUNTS, "rules/leak_env.yml": rule})
    line = _refused(cli, root, "rules/leak_env.yml:6: sql: rule leak_env: ")
    assert "function getenv is not allowed" in line


@pytest.mark.parametrize(
    ("section", "where"),
    [
        (
            "funnel:\n  mql: {at: mql_at, when: \"current_setting('threads') > 0\"}\n",
            "funnel.mql.when: function current_setting is not allowed",
        ),
        (
            "decisions:\n  thresholds:\n    - name: leak\n"
            "      when: \"band = 'red' OR current_setting('threads') > 0\"\n"
            "      question: why?\n",
            "decisions.thresholds.0.when: decision threshold leak: function current_setting",
        ),
    ],
)
def test_funnel_and_thresholds_are_data_only(
    tmp_path: Path, cli: CliRunner, section: str, where: str
) -> None:
    root = write_project(tmp_path, BASE + section, {"Account.csv": ACCOUNTS})
    _refused(cli, root, where)


@pytest.mark.parametrize(
    ("sql", "problem"),
    [
        ("SELECT * FROM account a, read_text('/etc/passwd')", "function read_text"),
        ("FROM read_csv('/etc/passwd')", "function read_csv"),
        ("SELECT (FROM read_text('x'))", "function read_text"),
        ("SELECT * FROM glob('*')", "function glob"),
        ("SELECT * FROM query('SELECT 1')", "function query"),
        ("SELECT * FROM generate_series(1, 3)", "is a table function"),
        ("SELECT * FROM '/etc/passwd'", "unknown table '/etc/passwd'"),
        ('SELECT * FROM "secret_key.csv"', "unknown table 'secret_key.csv'"),
        ("SELECT * FROM information_schema.tables", "without a schema"),
        ("SELECT * FROM earlier.main.account", "without a schema"),
        ("SELECT * FROM (WITH x AS (SELECT 1) SELECT * FROM x), x", "unknown table 'x'"),
        ("SELECT getvariable('movement_currency')", "function getvariable"),
        ("SELECT now()", "function now"),
        ("SELECT current_date", "function current_date"),
        ("SELECT random()", "function random"),
        ("SELECT * FROM account; DROP TABLE account", "no second statement"),
        ("ATTACH '/tmp/x.duckdb' AS x", "must be a query"),
        ("SELECT system.main.lower('a')", "without a schema"),
    ],
)
def test_queries_read_only_the_canonical_tables(sql: str, problem: str) -> None:
    with pytest.raises(UnsafeSQLError, match=problem):
        checked_query(sql, [], [])


@pytest.mark.parametrize(
    ("sql", "problem"),
    [
        ("(SELECT 1)", "not a query"),
        ("name IN (SELECT name FROM account)", "not a query"),
        ("EXISTS (SELECT 1)", "not a query"),
        ("getenv('HOME')", "function getenv"),
        ("read_blob('/etc/passwd')", "function read_blob"),
        ("current_setting('threads')", "function current_setting"),
        ("name || :x", "parameters"),
        ("lower(nosuch)", r"unknown column\(s\) nosuch"),
    ],
)
def test_expressions_read_only_their_row(sql: str, problem: str) -> None:
    with pytest.raises(UnsafeSQLError, match=problem):
        checked_expression(sql, {"name"})


def test_data_functions_are_allowed() -> None:
    checked_expression(
        "CASE WHEN regexp_matches(name, '^[0-9]+$') THEN try_cast(name AS INTEGER) END "
        "+ len(string_split(lower(trim(name)), ' ')) + date_diff('day', DATE '2026-01-01', "
        "try_strptime(name, '%d/%m/%Y')) + coalesce(to_minutes(1), INTERVAL 1 MINUTE)",
        {"name"},
    )
    checked_query(
        "WITH t AS (SELECT a.id, string_agg(a.name, ',' ORDER BY a.name) AS names "
        "FROM account a GROUP BY a.id) SELECT t.id, u.x, row_number() OVER (ORDER BY t.id) "
        "FROM t, unnest([1, 2]) AS u(x) WHERE EXISTS (SELECT 1 FROM invoice i)",
        [],
        [],
    )


def test_every_built_in_definition_passes() -> None:
    """The allowlist covers what tieout ships: presets, rules and metrics."""
    for preset in builtin_presets().values():
        for spec in preset.tables.values():
            fields = {*preset.fields, "_seq"}
            for sql in [spec.native_id, *spec.columns.values()]:
                checked_expression(sql, fields)
    for rule, _ in builtin_rules().values():
        checked_query(rule.query, {*rule.params, "as_of"}, [])
    for metric, _ in builtin_metrics():
        if metric.fact:
            checked_query(metric.fact, ["currency", "as_of"], [])


def test_named_functions_are_duckdb_data_functions() -> None:
    """Every function allowed by name exists in DuckDB and is no table function (tieout's
    own _match_ macros exist once the match stage made them)."""
    with Warehouse() as wh:
        kinds = {
            name: kind
            for name, kind in wh.query(
                "SELECT function_name, function_type FROM duckdb_functions()"
            )
        }
    for name in NAMED - {n for n in NAMED if n.startswith("_match_")}:
        assert name in kinds, name
        assert kinds[name] in ("scalar", "aggregate", "window", "macro"), name


def test_the_sealed_warehouse_reads_only_its_own_files(tmp_path: Path) -> None:
    landing, snaps = tmp_path / "landing", tmp_path / "snaps"
    landing.mkdir()
    snaps.mkdir()
    secret = tmp_path / "secret_key"
    secret.write_text("do-not-leak", encoding="utf-8")
    with Warehouse(snaps / "earlier.duckdb") as earlier:
        earlier.execute("CREATE TABLE t AS SELECT 42 AS v")
    with Warehouse(snaps / "run.duckdb.tmp") as wh:
        wh.copy_to_parquet("SELECT 1 AS v", landing / "f.parquet")
        wh.seal([landing])
        assert wh.scalar(exp.select("v").from_(wh.parquet_source(landing / "f.parquet"))) == 1
        wh.attach(snaps / "earlier.duckdb", "earlier")
        assert wh.scalar("SELECT v FROM earlier.t") == 42
        wh.detach("earlier")
        for sql in (
            f"SELECT content FROM read_text('{secret}')",
            "SELECT * FROM read_text('/etc/passwd')",
            f"COPY (SELECT 1) TO '{tmp_path / 'out.csv'}'",
            f"ATTACH '{tmp_path / 'other.duckdb'}' AS other",
            "SET enable_external_access = true",
            "SET lock_configuration = false",
            "SET allowed_directories = ['/']",
        ):
            with pytest.raises(Exception, match=r"disabled|locked|Cannot"):
                wh.execute(sql)
    with Warehouse(snaps / "earlier.duckdb", read_only=True) as reader:
        with pytest.raises(Exception, match="disabled"):
            reader.execute(f"SELECT content FROM read_text('{secret}')")
        with Warehouse(snaps / "earlier.duckdb", read_only=True) as twice:  # same instance
            assert twice.scalar("SELECT v FROM t") == 42
