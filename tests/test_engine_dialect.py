"""The engine layer's portability rewrites, each proven by running: DuckDB runs the original
statement, Spark runs what tieout.engine.dialect generates from it, on the same tiny tables,
and the rows must be the same multiset (tieout.engine.compare)."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlglot
import yaml
from sqlglot import exp

from tieout.config.rules import builtin_rules
from tieout.engine import Params, bind
from tieout.engine.compare import difference
from tieout.engine.dialect import Translator
from tieout.engine.dialect.literals import placeholders
from tieout.model import TABLES

pytestmark = pytest.mark.spark
pytest.importorskip("pyspark")

from tieout.engine.spark_sql import SparkSQL, session  # noqa: E402


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    if shutil.which("java") is None:
        pytest.skip("Spark needs Java")
    s = session("local[2]", app="test_engine_dialect")
    yield s
    s.stop()


class Both:
    """The same tiny tables in DuckDB and on Spark; statements run on each."""

    def __init__(self, spark: Any, folder: Path) -> None:
        self.folder = folder
        self.con = duckdb.connect()
        self.con.execute("SET TimeZone = 'UTC'")
        self.spark = SparkSQL(spark, folder / "spark")

    def table(self, name: str, select: str) -> None:
        self.con.execute(f"CREATE OR REPLACE TABLE {name} AS {select}")
        path = self.folder / f"{name}.parquet"
        self.con.execute(f"COPY {name} TO '{path}' (FORMAT parquet)")
        self.spark.load_parquet(name, path)

    def generated(self, sql: str, params: Params | None = None) -> str:
        op = self.spark.plan(bind(sql, params))
        return self.spark.translator.generate(op.query)  # type: ignore[union-attr]

    def same(self, sql: str, params: Params | None = None) -> str:
        """Run a query on both, its values bound as a warehouse binds them; assert the same
        rows; the Spark SQL that ran."""
        want = self.con.execute(bind(sql, params)).fetchall()
        text = self.generated(sql, params)
        got = [tuple(r) for r in self.spark.spark.sql(text).collect()]
        assert difference(want, got) is None, f"{difference(want, got)}\nSpark SQL: {text}"
        return text

    def run(self, sql: str, params: Params | None = None) -> None:
        """A statement that writes: run on both (Spark through its operation)."""
        self.con.execute(bind(sql, params))
        self.spark.run(bind(sql, params))

    def same_table(self, name: str) -> None:
        want = self.con.execute(f"SELECT * FROM {name}").fetchall()
        got = [tuple(r) for r in self.spark.spark.table(name).collect()]
        assert difference(want, got) is None, difference(want, got)


@pytest.fixture
def both(spark: Any, tmp_path: Path) -> Both:
    return Both(spark, tmp_path)


PEOPLE = """SELECT * FROM (VALUES
    (1, 'north', 'Ann', 10.50::DECIMAL(18,2), DATE '2025-01-03'),
    (2, 'north', 'Bob', NULL, DATE '2025-01-01'),
    (3, 'south', 'Cy', 7.25::DECIMAL(18,2), DATE '2025-02-10'),
    (4, 'south', NULL, 7.25::DECIMAL(18,2), DATE '2025-02-09'),
    (5, 'east', 'Di', 3.00::DECIMAL(18,2), NULL)
) AS t(id, region, name, amount, day)"""


# -- neutral rewrites ---------------------------------------------------------------------


def test_bound_values_including_a_cast_list(both: Both) -> None:
    """Values bound as literals (a list cast next to its placeholder, a date, a decimal, an
    integer, a float) mean the same to Spark as to DuckDB."""
    both.table("people", PEOPLE)
    text = both.same(
        "SELECT id, :rate * amount AS scaled, :ratio * 2 AS twice FROM people "
        "WHERE list_contains(:names::VARCHAR[], name) AND day >= :day AND amount > :floor",
        {
            "names": ["Ann", "Cy"],
            "day": dt.date(2025, 1, 2),
            "rate": Decimal("1.25"),
            "floor": 5,
            "ratio": 0.5,
        },
    )
    assert ":" not in text.replace("::", "")


def test_inline_macros(both: Both) -> None:
    both.table("people", PEOPLE)
    both.run("CREATE OR REPLACE TEMP MACRO _shout(x) AS ' ' || upper(coalesce(x, '')) || '!'")
    both.run("CREATE OR REPLACE TEMP MACRO _twice(x) AS _shout(x) || _shout(x)")
    text = both.same("SELECT id, _twice(name) FROM people")
    assert "_shout" not in text and "_twice" not in text


def test_inline_macros_keeps_lambda_names_apart(both: Both) -> None:
    """A macro's lambda names its element as the caller names a table (`w` of `w.subject`,
    as _job_service in jobs.sql) or a column: once inlined, the argument still reads the
    caller's value, as in DuckDB. An argument that is the caller's own lambda variable
    (`lambda x: _shorter(x)`) DuckDB lets the macro's lambda `x` capture: Spark must too."""
    both.table(
        "wo", "SELECT * FROM (VALUES (1, 'Roof survey', 'of'), (2, NULL, 'a')) AS t(id, subject, x)"
    )
    both.run(
        "CREATE OR REPLACE TEMP MACRO _other_words(text, name) AS list_filter("
        "string_split(lower(coalesce(name, '')), ' '), lambda w: NOT contains(lower(text), w))"
    )
    both.run(
        "CREATE OR REPLACE TEMP MACRO _shorter(w) AS list_filter(['a', 'survey'], "
        "lambda x: length(x) < length(w))"
    )
    both.same(
        "SELECT w.id, _other_words(w.subject, 'roof repair of w'), "
        "_shorter(x), list_transform(['abc', 'abcdefgh'], lambda x: _shorter(x)) FROM wo w"
    )


def test_single_row_subquery(both: Both) -> None:
    """A macro naming an intermediate value with a one-row CTE (like _match_domain)."""
    both.table("people", PEOPLE)
    both.run(
        "CREATE OR REPLACE TEMP MACRO _initial(v) AS ("
        " WITH c AS (SELECT lower(coalesce(v, '')) AS h)"
        " SELECT CASE WHEN h = '' THEN NULL ELSE substr(h, 1, 1) END FROM c)"
    )
    text = both.same("SELECT id, _initial(name) FROM people")
    assert "WITH" not in text.upper()


def test_any_value_ordered(both: Both) -> None:
    both.table("people", PEOPLE)
    text = both.same(
        "SELECT region, any_value(name ORDER BY day DESC) AS last_name, "
        "any_value(name ORDER BY amount) AS cheapest FROM people GROUP BY region"
    )
    assert "any_value" not in text.lower()


def test_asof_join_as_validity_ranges(both: Both) -> None:
    both.table(
        "rate",
        "SELECT * FROM (VALUES ('EUR', DATE '2025-01-01', 0.8), ('EUR', DATE '2025-02-01', 0.9),"
        " ('USD', DATE '2025-01-15', 0.7), ('USD', NULL, 9.9)) AS t(cur, since, rate)",
    )
    both.table(
        "bill",
        "SELECT * FROM (VALUES (1, 'EUR', DATE '2025-01-20'), (2, 'EUR', DATE '2025-02-01'),"
        " (3, 'USD', DATE '2025-01-01'), (4, 'GBP', DATE '2025-03-01')) AS t(id, cur, day)",
    )
    text = both.same(
        "SELECT b.id, r.rate FROM bill b ASOF LEFT JOIN rate r "
        "ON r.cur = b.cur AND b.day >= r.since"
    )
    assert "ASOF" not in text.upper()
    both.same(
        "SELECT b.id, r.rate FROM bill b ASOF JOIN rate r ON b.cur = r.cur AND b.day > r.since"
    )
    both.same(
        "WITH cal AS (SELECT * FROM rate WHERE cur = 'EUR') "
        "SELECT b.id, i.rate FROM bill b ASOF JOIN cal i ON b.id * 0.5 > i.rate"
    )


def test_facts_rate_ranges_and_the_range_join_that_reads_them(both: Both) -> None:
    """facts.sql's currency_rate (the one rate rule) and a reader's range join, which
    replaced the ASOF joins, give the same rows on Spark."""
    from tieout.facts import sql_text

    values = {"facts_as_of": dt.date(2025, 2, 15), "facts_currency": "GBP"}
    statements = duckdb.connect().extract_statements(bind(sql_text(), values))
    (build,) = [s.query for s in statements if "INSERT INTO currency_rate" in s.query]
    build = build.replace("_facts_currency", "facts_currency")  # Hadoop skips _files
    both.table(
        "fx_rate",
        "SELECT * FROM (VALUES (DATE '2025-01-10', 'EUR', 'GBP', 0.80::DECIMAL(18, 8)),"
        " (DATE '2025-02-01', 'EUR', 'GBP', 0.90::DECIMAL(18, 8)),"
        " (DATE '2025-02-01', 'EUR', 'GBP', 0.88::DECIMAL(18, 8)),"
        " (DATE '2025-03-01', 'EUR', 'GBP', 0.95::DECIMAL(18, 8)))"
        " AS t(rate_date, from_currency, to_currency, rate)",
    )
    both.table("facts_currency", "SELECT * FROM (VALUES ('EUR'), ('USD')) AS t(currency)")
    both.table(
        "currency_rate",
        "SELECT 'x' AS from_currency, 'x' AS to_currency, DATE '2025-01-01' AS valid_from, "
        "DATE '2025-01-01' AS valid_until, 1::DECIMAL(18, 8) AS rate",  # Spark reads no empty file
    )
    both.run("DELETE FROM currency_rate")
    both.run(build)
    both.same_table("currency_rate")
    both.table(
        "bill",
        "SELECT * FROM (VALUES (1, 'EUR', DATE '2024-12-01'), (2, 'EUR', DATE '2025-01-31'),"
        " (3, 'EUR', DATE '2025-02-01'), (4, 'EUR', DATE '2025-03-05'), (5, 'GBP', NULL),"
        " (6, 'USD', DATE '2025-02-01')) AS t(id, cur, day)",
    )
    both.same(
        "SELECT b.id, r.rate FROM bill b LEFT JOIN currency_rate r ON r.from_currency = b.cur "
        "AND r.to_currency = 'GBP' AND coalesce(b.day, DATE '2025-02-15') "
        "BETWEEN r.valid_from AND r.valid_until"
    )


def test_qualify_with_unnamed_items(both: Both) -> None:
    both.table("people", PEOPLE)
    both.same(
        "SELECT region, upper(name) FROM people "
        "QUALIFY row_number() OVER (PARTITION BY region ORDER BY id) = 1"
    )


# -- Spark rewrites -------------------------------------------------------------------------


def test_list_length(both: Both) -> None:
    both.table("people", PEOPLE)
    both.table("tagged", "SELECT 1 AS id, ['a', 'b'] AS tags UNION ALL SELECT 2, []")
    text = both.same(
        "WITH names AS (SELECT region, list(name) AS names FROM people GROUP BY region) "
        "SELECT n.region, len(n.names), length(min(p.name)) FROM names n "
        "JOIN people p USING (region) GROUP BY ALL"
    )
    assert "SIZE(" in text.upper()
    both.same("SELECT id, len(tags) FROM tagged WHERE len(tags) = 0 OR len(tags) > 1")


def test_correlated_derived_table(both: Both) -> None:
    both.table(
        "seg",
        "SELECT * FROM (VALUES (1, 1, 'open'), (1, 2, 'stopped'), (1, 3, 'open'),"
        " (2, 1, 'stopped'), (2, 2, 'open'), (3, 1, 'open')) AS t(ticket, s, state)",
    )
    both.table("ticket", "SELECT * FROM (VALUES (1), (2), (3), (4)) AS t(id)")
    both.same(
        "SELECT t.id, (SELECT count(*) FROM ("
        "  SELECT state, lag(state) OVER (ORDER BY s) AS before"
        "  FROM seg s WHERE s.ticket = t.id)"
        " WHERE before = 'stopped' AND state <> 'stopped') AS reopens FROM ticket t"
    )


def test_interval_functions(both: Both) -> None:
    both.table("people", PEOPLE)
    text = both.same(
        "SELECT id, CAST(day AS TIMESTAMP) + to_minutes(id * 90), "
        "CAST(day AS TIMESTAMP) + to_seconds(CAST(id AS BIGINT)) FROM people"
    )
    assert "to_minutes" not in text.lower()


def test_catalog_tables(both: Both) -> None:
    both.table("people", PEOPLE)
    both.same("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'people'")
    both.same("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'metric_mart'")


def test_ordered_list_keeps_order_and_nulls(both: Both) -> None:
    both.table("people", PEOPLE)
    text = both.same(
        "SELECT region, list(name ORDER BY day DESC, id) AS names, "
        "list(amount ORDER BY id) FILTER (WHERE id > 1) AS amounts FROM people GROUP BY region"
    )
    assert "collect_list" in text.lower()
    both.same("SELECT list(name ORDER BY amount NULLS FIRST, id) FROM people")


def test_string_agg_ordered(both: Both) -> None:
    both.table("people", PEOPLE)
    both.same("SELECT region, string_agg(name, ', ' ORDER BY name DESC) FROM people GROUP BY 1")


def test_list_slice(both: Both) -> None:
    both.table("tagged", "SELECT 1 AS id, ['a', 'b', 'c', 'd'] AS tags UNION ALL SELECT 2, ['x']")
    both.same("SELECT id, tags[2:3], tags[:2], tags[3:] FROM tagged")


def test_list_index(both: Both) -> None:
    both.table("tagged", "SELECT 1 AS id, ['a', 'b', 'c'] AS tags UNION ALL SELECT 2, ['x']")
    text = both.same("SELECT id, tags[1], tags[id], tags[3], list_extract(tags, 2) FROM tagged")
    assert "try_element_at" in text.lower()


def test_division_as_double(both: Both) -> None:
    both.table(
        "shares",
        "SELECT * FROM (VALUES (1.00::DECIMAL(18,2), 3.00::DECIMAL(18,2)),"
        " (2.00, 7.00)) AS t(part, whole)",
    )
    both.same("SELECT part / whole, (part / whole) >= 0.2857142857, 7 / 2 FROM shares")


def test_double_rounding(both: Both) -> None:
    """A margin of 91.135%: DuckDB rounds the product (91.14), Spark the binary value."""
    both.table(
        "margin",
        "SELECT * FROM (VALUES (100000.0::DECIMAL(18,2), 8865.0::DECIMAL(18,2)),"
        " (3.0, 1.0)) AS t(rev, cost)",
    )
    both.same(
        "SELECT round((rev - cost) / rev * 100, 2), round(0.285::DECIMAL(9,3), 2) FROM margin"
    )


def test_regexp_replace_first_match_and_back_references(both: Both) -> None:
    both.table("people", "SELECT * FROM (VALUES ('a.b.c'), ('A.B. Smith'), (NULL)) AS t(s)")
    text = both.same(
        "SELECT regexp_replace(s, '\\.', '-'), regexp_replace(s, '\\.', '-', 'g'),"
        " regexp_replace(lower(s), '\\b([a-z])\\.', '\\1', 'g'),"
        " regexp_replace(s, '^(a)', '<\\1>', 'i'), regexp_replace(s, 'B', '$', 'gi') FROM people"
    )
    assert "\\1" not in text


def test_regexp_extract_all_group(both: Both) -> None:
    both.table("refs", "SELECT * FROM (VALUES ('WO-12 and wo 345'), ('none')) AS t(s)")
    both.same(
        "SELECT regexp_extract_all(s, '[0-9]+'), "
        "regexp_extract_all(s, '(?i)wo[- ]([0-9]+)', 1) FROM refs"
    )


def test_try_date_parsing(both: Both) -> None:
    both.table(
        "raw",
        "SELECT * FROM (VALUES ('03/01/2025 10:30'), ('31/12/2024 23:59'), ('99/99/9999 00:00'),"
        " ('2025-01-03'), (NULL)) AS t(v)",
    )
    text = both.same(
        "SELECT v, try_strptime(v, '%d/%m/%Y %H:%M'), "
        "try_strptime(v, ['%d/%m/%Y %H:%M', '%Y-%m-%d']) FROM raw"
    )
    assert "try_to_timestamp" in text.lower()


def test_jaro_winkler(both: Both) -> None:
    both.table(
        "names",
        "SELECT * FROM (VALUES ('martha', 'marhta'), ('acme ltd', 'acme limited'),"
        " ('', 'x')) AS t(a, b)",
    )
    both.same("SELECT a, round(jaro_winkler_similarity(a, b), 6) FROM names")


def test_list_overlap(both: Both) -> None:
    both.table(
        "docs",
        "SELECT * FROM (VALUES (['a', 'b'], ['b', 'c']), (['a'], ['c']), ([], ['c'])) AS t(l, r)",
    )
    both.same("SELECT l, list_has_any(l, r) FROM docs ORDER BY list_has_any(l, r) DESC, len(l)")


def test_list_set_functions(both: Both) -> None:
    """DuckDB's list set functions ignore NULL elements and duplicates."""
    both.table(
        "docs",
        "SELECT * FROM (VALUES (1, ['a', 'b', 'b', NULL], ['b', NULL, 'c']), "
        "(2, ['a', 'b'], ['b', 'a', 'a']), (3, ['a'], []::VARCHAR[]), "
        "(4, []::VARCHAR[], ['a', NULL]), (5, NULL, ['a'])) AS t(id, l, r)",
    )
    both.same(
        "SELECT id, list_has_all(l, r), list_has_all(r, l), len(list_intersect(l, r)), "
        "list_sort(list_intersect(l, r)) FROM docs"
    )
    both.table(
        "flags",
        "SELECT * FROM (VALUES (1, [true, NULL, true]), (2, [true, false]), "
        "(3, [NULL::BOOLEAN]), (4, []::BOOLEAN[]), (5, [false, NULL])) AS t(id, f)",
    )
    both.same("SELECT id, list_aggregate(f, 'bool_and'), list_aggregate(f, 'bool_or') FROM flags")


def test_list_length_inside_a_lambda(both: Both) -> None:
    both.table(
        "prices",
        "SELECT * FROM (VALUES (1, [10.0, 20.0], [10.5]), (2, [10.0], [30.0, 50.0]), "
        "(3, []::DOUBLE[], [1.0])) AS t(id, l, r)",
    )
    near = "lambda x: len(list_filter(r, lambda y: abs(x - y) <= 0.1 * abs(y))) > 0"
    assert "LENGTH(" not in both.same(f"SELECT id, len(list_filter(l, {near})) FROM prices")


def test_md5_fingerprint(both: Both) -> None:
    """md5_number is a number in DuckDB and hex text on Spark: the same strings get the same
    fingerprint and different ones different, on each engine (never compared across)."""
    both.table(
        "pairs", "SELECT * FROM (VALUES ('a', 'a'), ('a', 'b'), ('', ''), ('b', NULL)) AS t(s, u)"
    )
    both.same("SELECT s, u, md5_number(s) = md5_number(u) FROM pairs")
    both.run("CREATE TABLE fingerprints (s VARCHAR, f UHUGEINT)")
    both.run("INSERT INTO fingerprints SELECT s, md5_number(s) FROM pairs")
    both.same("SELECT count(DISTINCT f), count(*) FROM fingerprints")


def test_row_to_json(both: Both) -> None:
    """to_json of a whole row: a fingerprint of the row within one engine."""
    both.table("people", PEOPLE)
    both.table("twice", "SELECT * FROM people UNION ALL SELECT * FROM people WHERE id < 3")
    both.same("SELECT count(DISTINCT md5_number(to_json(p)::VARCHAR)), count(*) FROM twice p")


def test_filter_subquery(both: Both) -> None:
    """An ordered list() whose FILTER reads a scalar subquery (rare values: in few
    documents of all), which Spark refuses inside the higher-order functions it becomes."""
    both.table(
        "doc_values",
        "SELECT * FROM (VALUES ('d1', 'x', 1), ('d1', 'a', 3), ('d2', 'b', 1), ('d2', 'c', 2), "
        "('d3', 'a', 5)) AS t(unique_id, value, docs)",
    )
    both.same(
        "SELECT unique_id, list(value ORDER BY value) AS found, list(value ORDER BY value) "
        "FILTER (WHERE docs <= greatest(1, 0.5 * (SELECT count(*) FROM doc_values))) AS rare "
        "FROM (SELECT * FROM doc_values) GROUP BY unique_id"
    )


def test_alter_table_add_column(both: Both) -> None:
    both.table("people", PEOPLE)
    both.run("CREATE TEMP TABLE lines AS SELECT id, name FROM people")
    both.run("ALTER TABLE lines ADD COLUMN words VARCHAR[] DEFAULT []")
    both.run("ALTER TABLE lines ADD COLUMN n INTEGER")
    both.same("SELECT id, name, words, len(words), n FROM lines")
    both.run("INSERT INTO lines SELECT 9, 'Ed', ['x'], 1")
    both.same_table("lines")


def test_create_table_if_not_exists_keeps_the_table(both: Both) -> None:
    both.run("CREATE TABLE scores (model VARCHAR, n INTEGER)")
    both.run("INSERT INTO scores VALUES ('quote', 1)")
    both.run("CREATE TABLE IF NOT EXISTS scores (model VARCHAR, n INTEGER)")
    both.run("CREATE TABLE IF NOT EXISTS kept AS SELECT 1 AS n")
    both.run("CREATE TABLE IF NOT EXISTS kept AS SELECT 2 AS n")
    both.same_table("scores")
    both.same_table("kept")


def test_pair_condition(both: Both) -> None:
    """A Splink comparison level (columns name_l, name_r) and blocking rule (l.x, r.x) in
    Spark's SQL: each pair gets the level DuckDB gives it."""
    both.table(
        "firms",
        "SELECT * FROM (VALUES (1, 'northgate eng', ['a', 'b'], DATE '2025-01-01'), "
        "(2, 'northgate engineering', ['b'], DATE '2025-01-20'), "
        "(3, 'blackwood', ['c'], DATE '2025-03-01'), "
        "(4, 'blackwood healthcare', []::VARCHAR[], NULL)) AS t(id, name, tags, day)",
    )
    both.table(
        "firm_pairs",
        "SELECT l.id AS id_l, r.id AS id_r, l.name AS name_l, r.name AS name_r, "
        "l.tags AS tags_l, r.tags AS tags_r FROM firms l, firms r WHERE l.id < r.id",
    )
    left, right = "string_split(name_l, ' ')", "string_split(name_r, ' ')"
    level = (
        f"(len({left}) <= len({right}) AND {left}[1] = {right}[1] AND "
        f"list_aggregate(list_transform(range(1, len({left}) + 1), "
        f"lambda i: starts_with({right}[i], {left}[i])), 'bool_and')) "
        "OR jaro_winkler_similarity(name_l, name_r) >= 0.9 "
        "OR (len(tags_l) > 0 AND list_has_all(tags_l, tags_r))"
    )
    columns = {"id": False, "name": False, "tags": True, "day": False}
    condition = both.spark.translator.condition(level, columns)
    want = both.con.execute(f"SELECT id_l, id_r, {level} FROM firm_pairs").fetchall()
    got = both.spark.spark.sql(f"SELECT id_l, id_r, {condition} FROM firm_pairs").collect()
    assert difference(want, [tuple(r) for r in got]) is None, condition
    blocking = (
        "substr(l.name, 1, 1) = substr(r.name, 1, 1) AND abs(date_diff('day', l.day, r.day)) <= 30"
    )
    rule = both.spark.translator.condition(blocking, columns)
    pairs = "SELECT l.id, r.id FROM firms l JOIN firms r ON {} WHERE l.id < r.id"
    want = both.con.execute(pairs.format(blocking)).fetchall()
    got = both.spark.spark.sql(pairs.format(rule)).collect()
    assert difference(want, [tuple(r) for r in got]) is None, rule


def test_unicode_chr(both: Both) -> None:
    both.table("names", "SELECT * FROM (VALUES ('O’Neil'), ('O''Neil')) AS t(s)")
    both.same("SELECT replace(replace(s, chr(8217), ''), '''', '') FROM names")


def test_strip_accents(both: Both) -> None:
    both.table(
        "names", "SELECT * FROM (VALUES ('Société Générale'), ('Łódź Ørsted Müller')) AS t(s)"
    )
    both.same("SELECT strip_accents(s) FROM names")


def test_read_parquet(both: Both) -> None:
    both.table("people", PEOPLE)
    path = both.folder / "people.parquet"
    both.same(f"SELECT count(*), sum(amount) FROM read_parquet(['{path}', '{path}']) AS l")


def test_regexp_replace_with_a_pattern_built_of_literals(both: Both) -> None:
    both.table("names", "SELECT * FROM (VALUES ('acme ltd '), ('acme limited co ')) AS t(s)")
    both.same("SELECT regexp_replace(s, '( (ltd|' || 'limited|co))+ $', ' ') FROM names")


def test_regexp_escape(both: Both) -> None:
    both.table(
        "codes",
        "SELECT * FROM (VALUES ('LED (per floor)', 'led (per floor) retrofit'),"
        " ('A\\E.B', 'x a\\e.b'), ('A.B', 'axb')) AS t(code, text)",
    )
    both.same(
        "SELECT code, regexp_matches(upper(text), '(^|[^A-Z0-9])' || regexp_escape(code)) "
        "FROM codes"
    )


def test_row_key_nulls_last(both: Both) -> None:
    both.table(
        "touch",
        "SELECT * FROM (VALUES (1, 'late', TIMESTAMP '2025-01-02 00:00:00'),"
        " (1, 'none', NULL), (1, 'early', TIMESTAMP '2025-01-01 00:00:00'),"
        " (2, 'only-null', NULL)) AS t(lead, campaign, touched)",
    )
    both.same(
        "SELECT lead, arg_min(campaign, (touched, campaign)), "
        "arg_max(campaign, (touched, campaign)) "
        "FROM touch GROUP BY lead"
    )


def test_distinct_window_count(both: Both) -> None:
    both.table("people", PEOPLE)
    text = both.same("SELECT id, count(DISTINCT amount) OVER (PARTITION BY region) FROM people")
    assert "collect_set" in text.lower()


def test_nested_outer_reference(both: Both) -> None:
    both.table("seg", "SELECT * FROM (VALUES (1, 5), (1, 7), (2, 4), (3, 9)) AS t(ticket, s)")
    both.table("event", "SELECT * FROM (VALUES (1), (3)) AS t(ticket)")
    both.table("ticket", "SELECT * FROM (VALUES (1, 6), (2, 1), (3, 1), (4, 1)) AS t(id, opened)")
    both.same(
        "SELECT t.id, (SELECT min(s.s) FROM seg s WHERE s.ticket = t.id AND s.s > t.opened "
        "AND EXISTS (SELECT 1 FROM event e WHERE e.ticket = t.id)) FROM ticket t"
    )


def test_list_distinct_ordered_and_not(both: Both) -> None:
    both.table("people", PEOPLE)
    both.same(
        "SELECT list(DISTINCT amount ORDER BY amount DESC) FILTER (WHERE id > 1), "
        "list_sort(list(DISTINCT region)) FROM people"
    )


def test_union_by_name(both: Both) -> None:
    both.table("people", PEOPLE)
    both.same(
        "WITH p AS (SELECT id, name FROM people WHERE id < 3) "
        "SELECT * FROM p UNION ALL BY NAME SELECT region AS area, name, id FROM people"
    )


def test_duplicate_column_names(both: Both) -> None:
    both.table("people", PEOPLE)
    both.table("regions", "SELECT 'north' AS region, 'N' AS name")
    both.same(
        "WITH n AS (SELECT p.*, r.name FROM people p JOIN regions r USING (region)) "
        "SELECT n.id, n.name FROM n"
    )


# -- statements as operations ----------------------------------------------------------------


def test_update_without_from(both: Both) -> None:
    both.table("people", PEOPLE)
    both.table("extra", "SELECT 3 AS id, 1.00::DECIMAL(18,2) AS bonus")
    both.run(
        "UPDATE people SET amount = coalesce(amount, (SELECT sum(e.bonus) FROM extra e "
        "WHERE e.id = people.id)) + 1, name = upper(name) WHERE region = 'north' OR id = 3"
    )
    both.same_table("people")


def test_update_from_a_derived_table(both: Both) -> None:
    both.table("people", PEOPLE)
    both.run(
        "UPDATE people SET amount = d.total FROM (WITH x AS (SELECT region, sum(amount) AS "
        "total FROM people GROUP BY region) SELECT * FROM x) d "
        "WHERE people.region = d.region AND people.id > 2"
    )
    both.same_table("people")


def test_delete_with_exists(both: Both) -> None:
    both.table("people", PEOPLE)
    both.table("gone", "SELECT 2 AS id UNION ALL SELECT 5")
    both.run(
        "DELETE FROM people AS t WHERE t.region <> 'south' "
        "AND EXISTS (SELECT 1 FROM gone g WHERE g.id = t.id)"
    )
    both.same_table("people")


def test_inserts(both: Both) -> None:
    both.table("people", PEOPLE)
    both.table("more", "SELECT 'west' AS region, 9 AS id, 'Ed' AS name")
    both.run("INSERT INTO people (id, name) VALUES (:id, :name)", {"id": 7, "name": "Gil"})
    both.run("INSERT INTO people BY NAME SELECT * FROM more")
    both.run("INSERT INTO people SELECT 8, NULL, NULL, 1.005, NULL")
    both.same_table("people")


def test_create_table_and_materialize(both: Both) -> None:
    both.table("people", PEOPLE)
    both.run("CREATE TABLE empty_one (a VARCHAR, b DECIMAL(18, 2), c DATE)")
    both.run(
        "CREATE OR REPLACE TEMP TABLE regions AS "
        "SELECT region, count(*) AS n FROM people GROUP BY ALL"
    )
    both.same_table("empty_one")
    both.same_table("regions")
    both.run("DROP TABLE IF EXISTS regions")
    assert not both.spark.exists("regions")


def test_a_translator_without_spark_needs_no_session() -> None:
    """Planning and generating are pure: no Spark needed to see the SQL."""
    tr = Translator("spark")
    op = tr.plan("SELECT any_value(a ORDER BY b) FROM t")
    assert "MIN_BY" in tr.generate(op.query).upper()  # type: ignore[union-attr]


# -- lint: every built-in statement has a Spark form ----------------------------------------

SRC = Path(__file__).resolve().parents[1] / "src" / "tieout"


def _builtin_statements() -> list[tuple[str, str]]:
    """(where, DuckDB statement) for the built-in SQL: the stages' .sql files, the rules'
    queries (a condition composed by the runner) and the metrics' facts. `:name` placeholders
    get a literal: NULL in the stages' files, '1' in the definitions. (SQL built in Python is
    covered by benchmarks/spark_replay.py.)"""
    out: list[tuple[str, str]] = []
    con = duckdb.connect()
    for path in sorted(SRC.rglob("sql/*.sql")):
        text = path.read_text(encoding="utf-8")
        text = bind(text, {name: None for _, _, name in placeholders(text)})
        for i, statement in enumerate(con.extract_statements(text)):
            out.append((f"{path.relative_to(SRC)}#{i + 1}", statement.query))
    queries = [(f"reconcile/rules/{r.id}.yml", r.query) for r, _ in builtin_rules().values()]
    for path in sorted((SRC / "metrics/definitions").glob("*.yml")):
        fact = yaml.safe_load(path.read_text(encoding="utf-8")).get("fact")
        if fact:
            queries.append((str(path.relative_to(SRC)), fact))
    for where, sql in queries:  # a rule's condition composed into its query
        out.append((where, bind(sql, {name: "1" for _, _, name in placeholders(sql)})))
    return out


def _spark_functions() -> set[str]:
    from pyspark.sql import functions

    from tieout.engine.spark_sql import JAR_FUNCTIONS

    names = {n.lower() for n in dir(functions) if not n.startswith("_")}
    return names | {name for name, _ in JAR_FUNCTIONS} | {"struct", "filter", "transform"}


def _captured(tree: exp.Expr) -> list[str]:
    """Columns read inside a lambda whose parameter has their table's name (a macro's
    argument inlined into its lambda): Spark reads them as a field of the lambda's element
    (INVALID_EXTRACT_BASE_FIELD_TYPE). Read before the Spark rewrites, whose own lambdas
    read fields of their structs as columns (`l._k0`)."""
    out = []
    for lam in tree.find_all(exp.Lambda):
        params = {p.name.lower() for p in lam.expressions}
        out += [c.sql("spark") for c in lam.this.find_all(exp.Column) if c.table.lower() in params]
    return out


def spark_problems(statements: list[tuple[str, str]]) -> list[str]:
    """What keeps each statement from Spark: it cannot be planned or generated, its Spark
    SQL calls a function Spark lacks, or a lambda's parameter hides a table it reads."""
    model = {t.name: [c.name for c in t.all_columns] for t in TABLES}
    tr = Translator("spark")
    for _, sql in statements:  # macros first: rules and job documents call them
        if "MACRO" in sql.upper():
            tr.plan(sql)
    known = _spark_functions()
    problems = []
    for where, sql in statements:
        # an UPDATE needs its table's columns: the model's, else any name in the statement
        def columns(table: str, sql: str = sql) -> list[str]:
            return model.get(table) or list(dict.fromkeys(re.findall(r"\w+", sql)))

        try:
            op = tr.plan(sql, columns=columns)
            query = getattr(op, "query", None)
            if query is None:
                continue
            text = tr.generate(query)
        except Exception as exc:
            problems.append(f"{where}: {type(exc).__name__}: {str(exc).splitlines()[0]}")
            continue
        for call in sqlglot.parse_one(text, read="spark").find_all(exp.Anonymous):
            if str(call.this).lower() not in known:
                problems.append(f"{where}: Spark has no {call.this}()")
        problems += [f"{where}: a lambda hides the table of {c}" for c in _captured(query)]
    return problems


def test_every_builtin_statement_has_a_spark_form() -> None:
    """Fails when built-in SQL uses a construct no rewrite covers."""
    statements = _builtin_statements()
    assert len(statements) > 80
    problems = spark_problems(statements)
    assert problems == [], "\n".join(problems)


def test_every_splink_condition_has_a_spark_form() -> None:
    """The match models' comparison levels and blocking rules (DuckDB's SQL, given to
    Splink's Spark backend through Translator.condition) call only what Spark has."""
    from tieout.match.job_model import DOC_COLUMNS, EVIDENCE, FEATURES, _comparison
    from tieout.match.probabilistic import CUSTOMER, PERSON, _settings

    known = _spark_functions()
    tr = Translator("spark")
    jobs = {c.strip(): c.strip() in LIST_DOC_COLUMNS for c in DOC_COLUMNS.split(",")}
    jobs |= {c: True for c in [*FEATURES, "unique_items", "unique_words"]} | {"stage": False}
    conditions = [
        (lv["sql_condition"], jobs) for e in EVIDENCE for lv in _comparison(e)["comparison_levels"]
    ]
    conditions.append(
        (
            "l.golden_key = r.golden_key AND abs(date_diff('day', l.doc_date, r.doc_date)) <= 400",
            jobs,
        )
    )
    for model in (CUSTOMER, PERSON):
        settings = _settings(model, "link_only").create_settings_dict("duckdb")
        names = {c: False for c in re.findall(r'"(\w+?)(?:_[lr])?"', json.dumps(settings))}
        conditions += [
            (lv["sql_condition"], names)
            for c in settings["comparisons"]
            for lv in c["comparison_levels"]
        ]
        conditions += [
            (b["blocking_rule"], names) for b in settings["blocking_rules_to_generate_predictions"]
        ]
    problems = []
    for sql, columns in conditions:
        if sql == "ELSE":
            continue
        text = tr.condition(sql, columns)
        for call in sqlglot.parse_one(text, read="spark").find_all(exp.Anonymous):
            if str(call.this).lower() not in known:
                problems.append(f"{sql[:60]}: Spark has no {call.this}()")
    assert problems == [], "\n".join(problems)


LIST_DOC_COLUMNS = {"own", "mentions", "products", "prices", "items"}


def test_the_lint_sees_an_uncovered_construct() -> None:
    problems = spark_problems(
        [
            ("a", "SELECT list_reduce(l, lambda x, y: x + y) FROM t"),
            ("b", "SELECT regexp_replace(s, p, 'x') FROM t"),
            ("c", "SELECT 1 FROM t"),
        ]
    )
    assert [p.split(":")[0] for p in problems] == ["a", "b"], problems
