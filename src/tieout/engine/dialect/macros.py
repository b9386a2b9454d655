"""DuckDB macros as a Python registry: a `CREATE MACRO` is remembered, not sent, and every
call of it is replaced by its body with the arguments in place of its parameters.

Spark has no SQL macros (a Python UDF would be slow and opaque to the optimiser), so a
macro's body travels inline as plain SQL, which every engine can plan.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlglot
from sqlglot import exp

DIALECT = "duckdb"

_MACRO = re.compile(
    r"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP(?:ORARY)?\s+)?MACRO\s+"
    r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*\((?P<params>[^)]*)\)\s+AS\s+(?P<body>.*?);?\s*$",
    re.IGNORECASE | re.DOTALL,
)


@dataclass(frozen=True)
class Macro:
    name: str
    params: tuple[str, ...]
    body: exp.Expr


class MacroError(ValueError):
    """A macro definition this layer cannot carry to another engine."""


def parse_macro(tree: exp.Expr | None, sql: str) -> Macro | None:
    """The macro a statement defines, or None when it defines none. sqlglot parses some
    definitions as an opaque Command (a body that starts with a string literal), so the
    text is read as well."""
    if isinstance(tree, exp.Create) and str(tree.args.get("kind") or "").upper() == "MACRO":
        udf = tree.this
        if tree.expression is None or not isinstance(udf, exp.UserDefinedFunction):
            raise MacroError("a table macro cannot be inlined")
        params = tuple(p.name.lower() for p in udf.expressions)
        return Macro(udf.this.name.lower(), params, tree.expression)
    if tree is not None and not isinstance(tree, exp.Command):
        return None
    match = _MACRO.match(sql)
    if match is None:
        return None
    body = match["body"].strip()
    if body.upper().startswith("TABLE "):
        raise MacroError(f"table macro {match['name']} cannot be inlined")
    select = sqlglot.parse_one(f"SELECT {body}", read=DIALECT)
    assert isinstance(select, exp.Select)
    params = tuple(p.strip().lower() for p in match["params"].split(",") if p.strip())
    return Macro(match["name"].lower(), params, select.expressions[0])


class MacroRegistry:
    """The macros one connection has defined, in definition order."""

    def __init__(self) -> None:
        self._macros: dict[str, Macro] = {}

    def __contains__(self, name: str) -> bool:
        return name.lower() in self._macros

    def define(self, macro: Macro) -> None:
        """Remember a macro, its body already free of calls to earlier macros."""
        body = self.inline(macro.body)
        self._macros[macro.name] = Macro(macro.name, macro.params, body)

    def inline(self, tree: exp.Expr) -> exp.Expr:
        """The tree with every call of a known macro replaced by its body."""
        if not self._macros:
            return tree

        def expand(node: exp.Expr) -> exp.Expr:
            if not isinstance(node, exp.Anonymous):
                return node
            macro = self._macros.get(str(node.this).lower())
            if macro is None:
                return node
            if len(node.expressions) != len(macro.params):
                raise MacroError(
                    f"{macro.name} takes {len(macro.params)} arguments, "
                    f"called with {len(node.expressions)}"
                )
            args = {p: self.inline(a) for p, a in zip(macro.params, node.expressions, strict=True)}
            return exp.paren(_substitute(macro.body, args), copy=False)

        return tree.transform(expand)


def _substitute(body: exp.Expr, args: dict[str, exp.Expr]) -> exp.Expr:
    """The body with its parameters (unqualified columns of those names) replaced; a
    lambda's own parameters of the same name are left alone. A lambda of the body whose
    parameter names a table or column an argument reads (`w` of `w.subject`) has it
    renamed first, else the argument would read the lambda's element once inlined, where
    DuckDB reads the column. (An argument that is the caller's lambda variable DuckDB
    does let a lambda of the body capture, and so does this.)"""
    taken = {(c.table or c.name).lower() for a in args.values() for c in a.find_all(exp.Column)}

    def bound_by_lambda(column: exp.Column) -> bool:
        node: exp.Expr | None = column.parent
        while node is not None:
            if isinstance(node, exp.Lambda) and column.name.lower() in {
                p.name.lower() for p in node.expressions
            }:
                return True
            node = node.parent
        return False

    def swap(node: exp.Expr) -> exp.Expr:
        if (
            isinstance(node, exp.Column)
            and not node.table
            and node.name.lower() in args
            and not bound_by_lambda(node)
        ):
            return exp.paren(args[node.name.lower()].copy(), copy=False)
        return node

    return _rename_lambda_parameters(body.copy(), taken).transform(swap)


def _rename_lambda_parameters(body: exp.Expr, taken: set[str]) -> exp.Expr:
    """Every lambda parameter of the body named in `taken` renamed to a name used nowhere
    (`w` -> `w_1`), with the references to it in the lambda's body."""
    used = taken | {i.name.lower() for i in body.find_all(exp.Identifier)}
    for lam in list(body.find_all(exp.Lambda)):
        for param in lam.expressions:
            old = param.name.lower()
            if old not in taken:
                continue
            n = 1
            while f"{old}_{n}" in used:
                n += 1
            new = f"{old}_{n}"
            used.add(new)
            for ref in _references(lam.this, old):
                ref.set("this", new)
            param.set("this", new)
    return body


def _references(node: exp.Expr, name: str) -> list[exp.Identifier]:
    """The identifiers under `node` that read lambda parameter `name` (sqlglot parses such a
    reference as a bare identifier, or the base of a field access `name.field`), not those
    under an inner lambda that binds the same name again."""
    found: list[exp.Identifier] = []
    todo = [node]
    while todo:
        current = todo.pop()
        if isinstance(current, exp.Lambda) and any(
            p.name.lower() == name for p in current.expressions
        ):
            continue
        if (
            isinstance(current, exp.Identifier)
            and current.name.lower() == name
            and _is_value(current)
        ):
            found.append(current)
        todo.extend(current.iter_expressions())
    return found


def _is_value(ident: exp.Identifier) -> bool:
    """Whether an identifier stands for a value (not a column's, table's, alias's or field's
    name)."""
    parent = ident.parent
    if isinstance(parent, exp.Dot):
        return ident.arg_key == "this"
    if isinstance(parent, exp.Column):
        return ident.arg_key == "this" and not parent.table
    return not isinstance(
        parent, exp.Table | exp.TableAlias | exp.Alias | exp.PropertyEQ | exp.Lambda
    )
