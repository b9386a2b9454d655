"""Layout rules a newcomer can rely on."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

import tieout

PACKAGE = Path(tieout.__file__).parent
STAGE_ORDER = [
    "ingest",
    "match",
    "facts",
    "operations",
    "metrics",
    "plan",
    "reconcile",
    "accounts",
]


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


# The facts stage defines each shared idea once (a record's customer, the rate on a day, a
# work order's job); with match, which builds the golden keys, it is the only reader of the
# crosswalk and the dated rates. The demo generator writes exports, which hold fx rates.
SHARED_SOURCES = ("xref", "fx_rate")
MAY_READ_SHARED = {"match", "facts", "demo"}
# a table read in SQL: FROM or JOIN (ASOF, LEFT, ...) the table, or a comma join after FROM
_READ = re.compile(
    r"\b(?:from|join)\s+(?:[\w.]+\s*(?:\w+\s*)?,\s*)*(?:\w+\.)?(xref|fx_rate)\b",
    re.IGNORECASE,
)
_SQL_COMMENT = re.compile(r"--[^\n]*")


def _strings(value: Any) -> Iterator[str]:
    """Every string in a loaded YAML document."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _sql_texts(path: Path) -> Iterator[str]:
    """The text a file could send to the warehouse: a .sql file, every string of a YAML
    file (rules, metric facts), every string constant and f-string of a Python module."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".sql":
        yield text
    elif path.suffix in (".yml", ".yaml"):
        yield from _strings(yaml.safe_load(text))
    elif path.suffix == ".py":
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                yield node.value
            elif isinstance(node, ast.JoinedStr):
                yield "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)


def shared_source_reads(path: Path, texts: Iterator[str]) -> list[str]:
    """`path: table` for each read of xref or fx_rate in these texts; a Python string that
    is just the table's name (wh.count("xref")) counts too, except where the model declares
    the tables."""
    found = []
    for text in texts:
        for match in _READ.finditer(_SQL_COMMENT.sub("", text)):
            found.append(f"{path}: reads {match.group(1).lower()}")
        declares = path.suffix == ".py" and "model" in path.parts
        if text.strip().lower() in SHARED_SOURCES and path.suffix == ".py" and not declares:
            found.append(f"{path}: names {text.strip().lower()}")
    return found


def test_only_match_and_facts_read_xref_and_fx_rate() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*")):
        rel = path.relative_to(PACKAGE)
        if path.suffix not in (".sql", ".yml", ".yaml", ".py") or rel.parts[0] in MAY_READ_SHARED:
            continue
        offenders += shared_source_reads(rel, _sql_texts(path))
    assert offenders == [], "read the facts tables instead:\n" + "\n".join(offenders)


def test_the_shared_source_check_sees_a_read() -> None:
    reads = [
        "SELECT * FROM xref",
        "LEFT JOIN XREF x ON x.golden_key = k",
        "ASOF LEFT JOIN fx_rate r ON r.from_currency = l.currency",
        "SELECT 1 FROM account a, fx_rate r",
        "SELECT 1 FROM earlier.xref",
    ]
    for sql in reads:
        assert shared_source_reads(Path("x.sql"), iter([sql])), sql
    assert shared_source_reads(Path("cli/x.py"), iter(["xref"]))
    assert not shared_source_reads(Path("model/x.py"), iter(["xref"]))
    quiet = [
        "SELECT * FROM customer_key -- golden keys from xref",
        "add fx_rate rows",
        "SELECT 1 FROM fx_rate_note",
    ]
    for text in quiet:
        assert not shared_source_reads(Path("x.sql"), iter([text])), text


# One way for values into SQL (issue 18): `:name` placeholders and a mapping, bound as
# literals by tieout.engine.bind. No session variables, no positional or `$n` parameters;
# the one exception is DuckDB's own SET of an engine setting inside the warehouse.
_SESSION_VARIABLE = re.compile(r"\bgetvariable\s*\(|\bSET\s+VARIABLE\b", re.IGNORECASE)
_POSITIONAL = re.compile(
    r"(?:[=(,<>]|\b(?:SELECT|BETWEEN|AND|OR|LIKE|IN|THEN|WHEN|ELSE|VALUES))\s*"
    r"(?:\?(?=\s|$|[),;])|\?::[A-Za-z]|\$\d+\b)",
    re.IGNORECASE,
)
# Warehouse._set's f-string, and its constant part
ENGINE_SETTINGS = {("engine/warehouse.py", "SET {} = ?"), ("engine/warehouse.py", " = ?")}


def value_problems(path: Path, texts: Iterator[str]) -> list[str]:
    """`path: what` for each value passed to SQL some other way than a named placeholder."""
    found = []
    for text in texts:
        if (str(path), text) in ENGINE_SETTINGS:
            continue
        sql = _SQL_COMMENT.sub("", text)
        found += [f"{path}: {m.group(0).strip()}" for m in _SESSION_VARIABLE.finditer(sql)]
        found += [f"{path}: {m.group(0).strip()}" for m in _POSITIONAL.finditer(sql)]
    return found


def test_values_reach_sql_only_as_named_placeholders() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*")):
        if path.suffix in (".sql", ".yml", ".yaml", ".py"):
            offenders += value_problems(path.relative_to(PACKAGE), _sql_texts(path))
    assert offenders == [], "pass values as :name with a mapping:\n" + "\n".join(offenders)


def test_the_value_check_sees_other_mechanisms() -> None:
    others = [
        "SELECT * FROM t WHERE a = ?",
        "INSERT INTO t VALUES (?, ?)",
        "SELECT unnest(?::VARCHAR[])",
        "WHERE d BETWEEN ? AND ?",
        "SELECT _match_domain($1)",
        "WHERE to_currency = getvariable('currency')",
        "SET VARIABLE x = 1",
        "SET {} = ?",  # a setting, but not in the warehouse
    ]
    for sql in others:
        assert value_problems(Path("x.py"), iter([sql])), sql
    quiet = [
        "SELECT * FROM t WHERE a = :a AND b IN (:b0, :b1) AND c = :c::DATE",
        "what do we do?",
        r"^[-+]?[£$€]?\(?[-+]?([0-9]{1,3}(,[0-9]{3})+|[0-9]+)?(\.[0-9]+)?\)?$",
        r"(?i)\b(?:phase|stage) ?(\d+)",
        "^\\s*([0-9]+:[0-9]{2}(?::[0-9]{2})?)\\s*$",
        "SELECT 1 -- getvariable('x') was the old way",
    ]
    for text in quiet:
        assert not value_problems(Path("x.py"), iter([text])), text
    assert not value_problems(Path("engine/warehouse.py"), iter(["SET {} = ?"]))
