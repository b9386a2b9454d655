"""Values reach SQL one way: `:name` placeholders and a mapping, bound as literals by
tieout.engine.bind before any engine runs the statement. A literal must mean exactly what
DuckDB's own parameter binding of the same Python value means (type and value)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import duckdb
import pytest

from tieout.engine import Warehouse, bind
from tieout.engine.dialect.literals import placeholders


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    c = duckdb.connect()
    c.execute("SET TimeZone = 'UTC'")
    yield c
    c.close()


VALUES: list[Any] = [
    None,
    True,
    7,
    2**40,
    -3,
    1.5,
    0.1,
    Decimal("12.50"),
    Decimal("0.1"),
    Decimal("0.01"),
    Decimal("0.00"),
    Decimal("-1.5"),
    Decimal("100"),
    Decimal("1E+2"),
    Decimal("123456789012345678901234567890.12"),
    Decimal("1E-40"),  # wider than DECIMAL(38): DuckDB binds a DOUBLE
    "it's",
    "a\\b",
    "line\nbreak",
    "a\x00b",
    ":x",
    "",
    dt.date(2026, 9, 30),
    dt.datetime(2026, 9, 30, 13, 4, 5, 120),
    dt.datetime(2026, 9, 30, 13, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=2))),
    ["a", "b"],
    [],
    [1, 2],
    [Decimal("1.5"), Decimal("2.25")],
    {"system": "crm", "object": "Case", "native_id": None, "n": 2},
    [{"system": "crm", "native_id": "1"}, {"system": "erp", "native_id": None}],
]


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_a_literal_types_and_means_what_a_bound_parameter_does(
    con: duckdb.DuckDBPyConnection, value: Any
) -> None:
    native = con.execute("SELECT typeof($v), $v", {"v": value}).fetchall()
    literal = con.execute(bind("SELECT typeof(:v), :v", {"v": value})).fetchall()
    assert literal == native


def test_a_decimal_stays_decimal_in_arithmetic(con: duckdb.DuckDBPyConnection) -> None:
    sql = "SELECT typeof({r} * CAST(10.10 AS DECIMAL(18, 2))), {r} * CAST(10.10 AS DECIMAL(18, 2))"
    rate = {"rate": Decimal("1.25")}
    got = con.execute(bind(sql.format(r=":rate"), rate)).fetchall()
    assert got == con.execute(sql.format(r="$rate"), rate).fetchall()
    assert got == [("DECIMAL(18,4)", Decimal("12.6250"))]


def test_placeholders_beside_duckdb_syntax_that_uses_colons(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """A cast right after a placeholder, struct keys, list slices, lambdas, a prefix alias,
    strings and comments holding `:name`: only the placeholders are bound."""
    sql = (
        "SELECT :day::VARCHAR AS d, {'a': 1, 'b':2} AS s, [1, 2, 3][1:2] AS sl, "
        "[10, 20][i:i] AS one, list_transform([1, 2], lambda x: x + :step) AS l, "
        "list_transform([3], lambda y:y) AS m, total: :step * 2, ':step' AS text -- :no\n"
        "FROM (SELECT 1 AS i)"
    )
    assert [name for _, _, name in placeholders(sql)] == ["day", "step", "step"]
    got = con.execute(bind(sql, {"day": dt.date(2026, 1, 2), "step": 5})).fetchall()
    assert got == [("2026-01-02", {"a": 1, "b": 2}, [1, 2], [10], [6, 7], [3], 10, ":step")]


def test_every_placeholder_needs_a_value() -> None:
    with pytest.raises(KeyError, match=":as_of"):
        bind("SELECT :currency, :as_of", {"currency": "GBP"})


def test_a_script_is_bound_once_and_runs_in_one_call() -> None:
    with Warehouse() as wh:
        wh.run_script(
            "CREATE TABLE t AS SELECT :n AS n, :day AS day;\n"
            "INSERT INTO t SELECT n + :n, day + 1 FROM t;",
            {"n": Decimal("1.5"), "day": dt.date(2026, 1, 31)},
        )
        assert wh.query("SELECT typeof(n), n, day FROM t ORDER BY n") == [
            ("DECIMAL(2,1)", Decimal("1.5"), dt.date(2026, 1, 31)),
            ("DECIMAL(2,1)", Decimal("3.0"), dt.date(2026, 2, 1)),
        ]


def test_a_recorder_sees_each_statement_with_its_values_in_it() -> None:
    seen: list[str] = []

    class Recorder:
        def before(self, wh: Warehouse, sql: str) -> None:
            seen.append(sql)

        def after(self, wh: Warehouse, sql: str) -> None:
            pass

    Warehouse.recorder = Recorder()
    try:
        with Warehouse() as wh:
            wh.run_script("CREATE TABLE t AS SELECT :a AS a; SELECT * FROM t", {"a": "x"})
            assert wh.scalar("SELECT a FROM t WHERE a = :a", {"a": "x"}) == "x"
    finally:
        Warehouse.recorder = None
    assert [s.strip().rstrip(";") for s in seen] == [
        "CREATE TABLE t AS SELECT 'x' AS a",
        "SELECT * FROM t",
        "SELECT a FROM t WHERE a = 'x'",
    ]
