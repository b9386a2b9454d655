"""The one check for SQL people write into definitions: rules, metric facts and formulas,
column expressions in presets and tieout.yml, the funnel and decision thresholds.

Definitions are data, not programs: a query may read the canonical tables (and its own
CTEs) and nothing else; an expression may read its own row's columns and nothing else;
both may call only the functions in `sqlfunctions` (no files, environment, settings or
clock). Everything is parsed with sqlglot and the tree walked before anything runs, so a
bad definition is a config error naming its file and key, and the engine never sees it.
`:name` placeholders are bound as literals by the engine (tieout.engine.bind), never pasted
as text.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable

import sqlglot
from sqlglot import exp

from tieout.model.sqlfunctions import NAMED, TYPED
from tieout.model.tables import TABLE_MAP

DIALECT = "duckdb"

# statements and session state: none of them belongs inside a definition
_NOT_DATA: tuple[type[exp.Expr], ...] = (
    exp.DDL,
    exp.DML,
    exp.Command,
    exp.Pragma,
    exp.Set,
    exp.Attach,
    exp.Detach,
    exp.Use,
    exp.Install,
    exp.Transaction,
    exp.Commit,
    exp.Rollback,
    exp.Describe,
    exp.Summarize,
    exp.Show,
    exp.Export,
    exp.Drop,
    exp.Alter,
    exp.TruncateTable,
    exp.Analyze,
    exp.Into,
    exp.SessionParameter,
    exp.Parameter,
)


class UnsafeSQLError(ValueError):
    """What is wrong with a piece of user SQL; the caller adds the file and the key."""


class UnknownColumnsError(UnsafeSQLError):
    """An expression names columns its row does not have (callers word it their way)."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        super().__init__(f"unknown column(s) {', '.join(names)}")


def checked_query(sql: str, placeholders: Iterable[str], outputs: Iterable[str]) -> exp.Query:
    """One SELECT over the canonical tables selecting `outputs`, using only `placeholders`;
    raises UnsafeSQLError naming the first thing wrong."""
    tree = _parse(sql)
    if not isinstance(tree, exp.Query):
        raise UnsafeSQLError("the SQL must be a query (SELECT ...)")
    _data_only(tree)
    aliases: dict[str, set[str]] = {}
    for table in tree.find_all(exp.Table):
        _check_table(table)
        aliases.setdefault(table.alias_or_name, set()).add(table.name)
    for column in tree.find_all(exp.Column):
        owners = aliases.get(column.table, set())
        if len(owners) != 1 or column.name == "*":
            continue  # unqualified, or an alias reused across scopes: the engine will tell
        (owner,) = owners
        if owner in TABLE_MAP and column.name not in TABLE_MAP[owner].column_map:
            raise UnsafeSQLError(f"table {owner} has no column {column.name!r}")
    unknown = {p.name for p in tree.find_all(exp.Placeholder)} - set(placeholders)
    if unknown:
        raise UnsafeSQLError(f"unknown parameter(s) {', '.join(sorted(unknown))}")
    selected = {s.alias_or_name for s in tree.selects}
    missing = [c for c in outputs if c not in selected]
    if missing:
        raise UnsafeSQLError(f"the query must select {', '.join(missing)}")
    return tree


def checked_expression(
    sql: str, columns: Collection[str], placeholders: Collection[str] = ()
) -> exp.Expr:
    """One expression over a row's own `columns`: no query or table in it, no parameter but
    `placeholders`, only allowed functions; raises UnsafeSQLError (UnknownColumnsError for
    names not in `columns`)."""
    tree = _parse(sql)
    if isinstance(tree, exp.Query) or tree.find(exp.Query, exp.Subquery, exp.Table):
        raise UnsafeSQLError("expected an expression over the row, not a query")
    named = {p.name for p in tree.find_all(exp.Placeholder)}
    if named and not placeholders:
        raise UnsafeSQLError("parameters are not allowed here")
    if named - set(placeholders):
        raise UnsafeSQLError(f"unknown parameter(s) {', '.join(sorted(named - set(placeholders)))}")
    _data_only(tree)
    names = sorted({c.name for c in tree.find_all(exp.Column)} - set(columns))
    if names:
        raise UnknownColumnsError(names)
    return tree


def _parse(sql: str) -> exp.Expr:
    try:
        statements = sqlglot.parse(sql, read=DIALECT)
    except sqlglot.errors.ParseError as exc:
        detail = exc.errors[0].get("description", "") if exc.errors else str(exc)
        raise UnsafeSQLError(f"not valid SQL: {detail}") from None
    if len(statements) != 1 or statements[0] is None:
        raise UnsafeSQLError("must be one condition, expression or query (no second statement)")
    return statements[0]


def _data_only(tree: exp.Expr) -> None:
    """No statement or session state anywhere, and every function on the allowlist."""
    for node in tree.walk():
        if isinstance(node, _NOT_DATA):
            raise UnsafeSQLError(f"only data can be read here, not {_snippet(node)}")
        if isinstance(node, exp.Func) and not _allowed(node):
            raise UnsafeSQLError(
                f"function {function_name(node)} is not allowed: definitions may use data "
                "functions only (no files, environment, settings or clock)"
            )
        if isinstance(node, exp.Dot) and isinstance(node.expression, exp.Func):
            raise UnsafeSQLError(f"write functions without a schema: {_snippet(node)}")


def _allowed(node: exp.Func) -> bool:
    if isinstance(node, exp.Anonymous | exp.AnonymousAggFunc):
        return node.name.lower() in NAMED
    return type(node) in TYPED


def function_name(node: exp.Func) -> str:
    """The name as DuckDB knows it (sqlglot's classes keep no spelling: render it)."""
    if isinstance(node, exp.Anonymous | exp.AnonymousAggFunc):
        return node.name.lower()
    found = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)", node.sql(DIALECT))
    return found.group(1).lower() if found else node.key


def _check_table(table: exp.Table) -> None:
    """A FROM item is a canonical table or a CTE in scope: never a file, a table function
    or another database's table."""
    if not isinstance(table.this, exp.Identifier):
        raise UnsafeSQLError(
            f"{_snippet(table)} is a table function: read the canonical tables instead"
        )
    if table.args.get("db") or table.args.get("catalog"):
        raise UnsafeSQLError(f"name tables without a schema or database: {_snippet(table)}")
    if table.name in TABLE_MAP or table.name in _ctes_in_scope(table):
        return
    raise UnsafeSQLError(f"unknown table {table.name!r}")


def _ctes_in_scope(node: exp.Expr) -> set[str]:
    """CTE names visible where `node` stands: those of every enclosing WITH (a name defined
    elsewhere would make DuckDB look for a file of that name)."""
    names: set[str] = set()
    parent = node.parent
    while parent is not None:
        with_ = parent.args.get("with_") if isinstance(parent, exp.Query) else None
        if isinstance(with_, exp.With):
            names.update(cte.alias for cte in with_.expressions)
        parent = parent.parent
    return names


def _snippet(node: exp.Expr) -> str:
    text = node.sql(DIALECT)
    return text if len(text) <= 60 else text[:57] + "..."
