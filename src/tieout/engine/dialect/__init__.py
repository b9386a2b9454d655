"""The engine layer's dialect: DuckDB SQL is the authoring dialect; this parses each
statement once into a sqlglot tree, inlines macros, applies the portability rewrites and
generates the statement for the target engine. Values are already in it as literals
(`bind`, literals.py): the warehouse binds before any engine sees a statement.

    tr = Translator("spark")
    op = tr.plan(bind(sql, params), columns)   # what the statement does (operations.py)
    text = tr.generate(op.query)               # the query part, in Spark's SQL

Stages keep writing DuckDB SQL; only an engine calls this.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel

from tieout.engine.dialect.literals import bind, literal
from tieout.engine.dialect.macros import MacroError, MacroRegistry, parse_macro
from tieout.engine.dialect.operations import (
    Append,
    Columns,
    CreateTable,
    DefineMacro,
    Drop,
    EngineOnly,
    Materialize,
    NotPortableError,
    Operation,
    Query,
    Replace,
    operation,
)
from tieout.engine.dialect.rewrites import NEUTRAL, SPARK, Context, Rule
from tieout.engine.dialect.types import ListColumns

DIALECT = "duckdb"
PAIRS = "_splink_pairs"  # the table a pair condition is read from (Translator.condition)
TARGETS = {"duckdb": (), "spark": SPARK}

__all__ = [
    "NEUTRAL",
    "SPARK",
    "Append",
    "CreateTable",
    "DefineMacro",
    "Drop",
    "EngineOnly",
    "MacroError",
    "Materialize",
    "NotPortableError",
    "Operation",
    "Query",
    "Replace",
    "Rule",
    "Translator",
    "bind",
    "literal",
]


def _no_columns(table: str) -> list[str]:
    raise NotPortableError(f"the columns of {table} are not known here")


class Translator:
    """One connection's translation state (the macros it has defined) for one target."""

    def __init__(
        self,
        target: str = "spark",
        *,
        lists: ListColumns | None = None,
        tables: Callable[[], list[str]] | None = None,
        columns: Callable[[str], list[str] | None] | None = None,
    ) -> None:
        if target not in TARGETS:
            raise ValueError(f"no SQL rewrites for engine {target!r}")
        self.target = target
        self.macros = MacroRegistry()
        self.catalog = Context(
            lists=lists or Context.lists,
            tables=tables or Context.tables,
            columns=columns or Context.columns,
        )

    def parse(self, sql: str) -> exp.Expr | None:
        """One DuckDB statement as a tree (None for a macro sqlglot cannot parse)."""
        try:
            return sqlglot.parse_one(sql, read=DIALECT)
        except sqlglot.ParseError:
            if parse_macro(None, sql) is not None:
                return None
            raise

    def plan(self, sql: str, columns: Columns = _no_columns) -> Operation:
        """What the (bound) statement does, its SQL already free of DuckDB-only constructs
        that need no table knowledge (macros, ASOF, ordered any_value)."""
        tree = self.parse(sql)
        macro = parse_macro(tree, sql)
        if macro is not None:
            self.macros.define(type(macro)(macro.name, macro.params, self.neutral(macro.body)))
            return DefineMacro(macro.name)
        assert tree is not None
        return operation(self.neutral(tree), columns)

    def neutral(self, tree: exp.Expr) -> exp.Expr:
        ctx = Context(macros=self.macros)
        for rule in NEUTRAL:
            tree = rule.rewrite(tree, ctx)
        return tree

    def generate(self, tree: exp.Expr) -> str:
        """The (neutral) tree in the target's SQL, after the target's rewrites."""
        return self._target(tree, self.catalog).sql(
            dialect=self.target, unsupported_level=ErrorLevel.RAISE
        )

    def _target(self, tree: exp.Expr, catalog: Context) -> exp.Expr:
        ctx = Context(self.macros, catalog.lists, catalog.tables, catalog.columns)
        out = tree.copy()
        for rule in TARGETS[self.target]:
            out = rule.rewrite(out, ctx)
        return out

    def condition(self, sql: str, columns: Mapping[str, bool]) -> str:
        """An expression over a pair of records (a Splink comparison level or blocking rule:
        `name_l`, `name_r`, or `l.name`, `r.name`) in the target's SQL. `columns` names the
        records' columns, each True when it holds a list; the expression is rewritten as
        the item of a query over such pairs would be."""
        pair = {f"{c}_{side}".lower(): v for c, v in columns.items() for side in "lr"}
        record = {c.lower(): v for c, v in columns.items()}

        def lists(table: str, column: str) -> bool | None:
            return (pair if table == PAIRS else record).get(column.lower())

        def names(table: str) -> list[str] | None:
            return list(pair if table == PAIRS else record)

        query = sqlglot.parse_one(
            f"SELECT ({sql}) AS c FROM {PAIRS} CROSS JOIN {PAIRS}_l AS l CROSS JOIN {PAIRS}_r AS r",
            read=DIALECT,
        )
        catalog = Context(lists=lists, tables=lambda: [PAIRS], columns=names)
        out = self._target(self.neutral(query), catalog)
        assert isinstance(out, exp.Select)
        item = out.expressions[0]
        expr = item.this if isinstance(item, exp.Alias) else item
        if isinstance(expr, exp.Paren):
            expr = expr.this
        return str(expr.sql(dialect=self.target, unsupported_level=ErrorLevel.RAISE))
