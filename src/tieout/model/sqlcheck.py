"""User SQL over the canonical model (rules, metrics): parsed with sqlglot and checked
before it runs, so a typo is a config error naming the definition, not a failed run;
`:name` placeholders are bound as literals, never pasted as text."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import sqlglot
from sqlglot import exp

from tieout.model.tables import TABLE_MAP


def query_problem(sql: str, placeholders: Iterable[str], outputs: Iterable[str]) -> str | None:
    """What is wrong with this query, or None: syntax, unknown tables and qualified columns,
    unknown placeholders, missing output columns."""
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.ParseError as exc:
        detail = exc.errors[0].get("description", "") if exc.errors else str(exc)
        return f"not valid SQL: {detail}"
    if not isinstance(tree, exp.Query):
        return "the SQL must be a query (SELECT ...)"
    ctes = {c.alias for c in tree.find_all(exp.CTE)}
    aliases: dict[str, set[str]] = {}
    for table in tree.find_all(exp.Table):
        if table.name not in ctes and table.name not in TABLE_MAP:
            return f"unknown table {table.name!r}"
        aliases.setdefault(table.alias_or_name, set()).add(table.name)
    for column in tree.find_all(exp.Column):
        owners = aliases.get(column.table, set())
        if len(owners) != 1 or column.name == "*":
            continue  # unqualified, or an alias reused across scopes: the engine will tell
        (owner,) = owners
        if owner in TABLE_MAP and column.name not in TABLE_MAP[owner].column_map:
            return f"table {owner} has no column {column.name!r}"
    unknown = {p.name for p in tree.find_all(exp.Placeholder)} - set(placeholders)
    if unknown:
        return f"unknown parameter(s) {', '.join(sorted(unknown))}"
    selected = {s.alias_or_name for s in tree.selects}
    missing = [c for c in outputs if c not in selected]
    if missing:
        return f"the query must select {', '.join(missing)}"
    return None


def bind(sql: str, values: Mapping[str, Any]) -> exp.Expr:
    """The query with every placeholder replaced by a literal."""
    tree = sqlglot.parse_one(sql, read="duckdb")

    def replace(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Placeholder):
            return _literal(values[node.name])
        return node

    return tree.transform(replace)


def _literal(value: Any) -> exp.Expr:
    if isinstance(value, dt.date):
        return exp.cast(exp.Literal.string(value.isoformat()), "DATE")
    if isinstance(value, bool):
        return exp.true() if value else exp.false()
    if isinstance(value, int | float):
        return exp.Literal.number(value)
    return exp.Literal.string(str(value))
