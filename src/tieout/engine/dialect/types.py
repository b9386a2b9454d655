"""Just enough type knowledge for the rewrites that depend on it: whether an expression is a
list. DuckDB's len() and length() take a list or a string; Spark's size() takes only the
one and length() only the other. A column's type comes from the table it is read from (the
engine's catalog) or from the expression a CTE or subquery computes it with.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp
from sqlglot.optimizer.scope import Scope

# table, column -> whether the engine stores that column as a list (None: not known)
ListColumns = Callable[[str, str], bool | None]

_LIST_NODES = (
    exp.Array,
    exp.ArrayAgg,
    exp.ArrayConcat,
    exp.ArrayDistinct,
    exp.ArraySort,
    exp.ArrayFilter,
    exp.ArraySlice,
    exp.RegexpExtractAll,
    exp.Split,
    exp.StringToArray,
    exp.ArrayUniqueAgg,
    exp.Transform,
)
_LIST_FUNCTIONS = {
    "list",
    "list_distinct",
    "list_sort",
    "list_reverse_sort",
    "list_filter",
    "list_transform",
    "list_concat",
    "list_intersect",
    "array_intersect",
    "array_except",
    "list_value",
    "list_slice",
    "array_distinct",
    "array_sort",
    "array_concat",
    "string_split",
    "str_split",
    "string_split_regex",
    "regexp_split_to_array",
    "regexp_extract_all",
    "flatten",
    "collect_list",
    "transform",
    "filter",
    "slice",
    "sequence",
    "range",
    "generate_series",
}


def is_list(node: exp.Expr, scope: Scope | None, lists: ListColumns) -> bool:
    """Whether DuckDB gives the expression a LIST type, as far as can be told."""
    if isinstance(node, exp.Paren | exp.Alias):
        return is_list(node.this, scope, lists)
    if isinstance(node, _LIST_NODES):
        return True
    if isinstance(node, exp.Anonymous | exp.Func) and not isinstance(node, exp.Coalesce):
        name = node.name.lower() if isinstance(node, exp.Anonymous) else node.sql_name().lower()
        if name in _LIST_FUNCTIONS:
            return True
    if isinstance(node, exp.Cast | exp.TryCast):
        return node.to.is_type(exp.DataType.Type.ARRAY) or bool(node.to.args.get("nested"))
    if isinstance(node, exp.Coalesce):
        return any(is_list(e, scope, lists) for e in [node.this, *node.expressions])
    if isinstance(node, exp.Case):
        branches = [i.args["true"] for i in node.args.get("ifs") or []]
        if node.args.get("default") is not None:
            branches.append(node.args["default"])
        return any(is_list(b, scope, lists) for b in branches)
    if isinstance(node, exp.Column) and scope is not None:
        return _column_is_list(node, scope, lists)
    return False


def _column_is_list(column: exp.Column, scope: Scope, lists: ListColumns) -> bool:
    sources = scope.sources
    source = sources.get(column.table) if column.table else None
    if source is None and not column.table:
        if len(sources) != 1:
            return any(_source_has_list(s, column.name, lists) for s in sources.values())
        source = next(iter(sources.values()))
    if source is None:
        return False
    return _source_has_list(source, column.name, lists)


def _source_has_list(source: object, name: str, lists: ListColumns) -> bool:
    if isinstance(source, exp.Table):
        return bool(lists(".".join(p.name for p in source.parts).lower(), name))
    if isinstance(source, Scope):
        query = source.expression
        while isinstance(query, exp.SetOperation):
            query = query.this
        if isinstance(query, exp.Select):
            for item in query.expressions:
                if item.alias_or_name.lower() == name.lower():
                    return is_list(item, source, lists)
    return False
