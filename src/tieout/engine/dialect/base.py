"""What every rewrite shares: the context it may read, the rule that names it, and the
tree walk and call builders the rewrites are written with."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlglot import exp

from tieout.engine.dialect.macros import MacroRegistry
from tieout.engine.dialect.types import ListColumns


def _no_lists(table: str, column: str) -> bool | None:
    return None


def _no_tables() -> list[str]:
    return []


def _no_columns(table: str) -> list[str] | None:
    return None


@dataclass
class Context:
    """What a rewrite may need beyond the tree: the macros defined so far, and what the
    engine's catalog knows (tables, list-typed columns)."""

    macros: MacroRegistry = field(default_factory=MacroRegistry)
    lists: ListColumns = _no_lists
    tables: Callable[[], list[str]] = _no_tables
    columns: Callable[[str], list[str] | None] = _no_columns


Rewrite = Callable[[exp.Expr, Context], exp.Expr]


@dataclass(frozen=True)
class Rule:
    name: str
    construct: str  # the DuckDB construct it handles, as people write it
    rewrite: Rewrite


def _fn(name: str, *args: exp.Expr) -> exp.Anonymous:
    """A call printed as written in every dialect (sqlglot maps no name of it)."""
    return exp.Anonymous(this=name, expressions=list(args))


def _bottom_up(tree: exp.Expr, visit: Callable[[exp.Expr], exp.Expr]) -> exp.Expr:
    """Apply `visit` to every node, children before parents, replacing in place; the
    (possibly new) root. Unlike sqlglot's transform, a node built around an original
    child still has that child rewritten (nested regexp_replace calls)."""
    root = tree
    for node in reversed(list(tree.dfs())):
        new = visit(node)
        if new is node:
            continue
        if node is root:
            root = new
        else:
            node.replace(new)
    return root


def _anon_name(node: exp.Expr) -> str:
    return str(node.this).lower() if isinstance(node, exp.Anonymous) else ""
