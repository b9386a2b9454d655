"""Spark rewrites of lists, ordered aggregates and numbers: ordered list() and
string_agg, slices and indexes, decimal division and rounding, list length and overlap,
interval functions and row keys with DuckDB's NULL order."""

from __future__ import annotations

from sqlglot import exp
from sqlglot.optimizer.scope import traverse_scope

from tieout.engine.dialect.base import Context, _anon_name, _bottom_up, _fn
from tieout.engine.dialect.types import is_list


def _comparator(keys: list[exp.Ordered]) -> exp.Lambda:
    """(l, r) -> -1/0/1 by the keys _k0, _k1... with DuckDB's direction and NULL order."""
    result: exp.Expr = exp.Literal.number(0)
    for i in reversed(range(len(keys))):
        key = keys[i]
        desc = bool(key.args.get("desc"))
        nulls_first = bool(key.args.get("nulls_first"))
        lk, rk = exp.column(f"_k{i}", table="l"), exp.column(f"_k{i}", table="r")
        one, minus = exp.Literal.number(1), exp.Literal.number(-1)
        less, more = (one, minus) if desc else (minus, one)
        cmp = exp.Case(
            ifs=[
                exp.If(
                    this=exp.and_(
                        exp.Is(this=lk, expression=exp.null()),
                        exp.Is(this=rk, expression=exp.null()),
                    ),
                    true=exp.Literal.number(0),
                ),
                exp.If(
                    this=exp.Is(this=lk.copy(), expression=exp.null()),
                    true=minus if nulls_first else one,
                ),
                exp.If(
                    this=exp.Is(this=rk.copy(), expression=exp.null()),
                    true=one if nulls_first else minus,
                ),
                exp.If(this=exp.LT(this=lk.copy(), expression=rk.copy()), true=less),
                exp.If(this=exp.GT(this=lk.copy(), expression=rk.copy()), true=more),
            ],
            default=exp.Literal.number(0),
        )
        result = (
            cmp
            if i == len(keys) - 1
            else exp.Case(
                ifs=[
                    exp.If(
                        this=exp.NEQ(this=cmp, expression=exp.Literal.number(0)), true=cmp.copy()
                    )
                ],
                default=result,
            )
        )
    return exp.Lambda(this=result, expressions=[exp.to_identifier("l"), exp.to_identifier("r")])


def ordered_list(tree: exp.Expr, ctx: Context) -> exp.Expr:
    """list(x [ORDER BY y]) -> the values kept in structs through collect_list (which drops
    NULL values; DuckDB keeps them), sorted by y with DuckDB's NULL order, then unwrapped.
    sqlglot turns it into COLLECT_LIST, which loses both the order and the NULLs."""

    def visit(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.ArrayAgg) and isinstance(node.parent, exp.Filter):
            return node  # rewritten with its FILTER
        where = None
        if isinstance(node, exp.Filter) and isinstance(node.this, exp.ArrayAgg):
            where = node.expression
            node = node.this
        if not isinstance(node, exp.ArrayAgg):
            return node
        value, keys = node.this, []
        if isinstance(value, exp.Order):
            keys = list(value.expressions)
            value = value.this
        if isinstance(value, exp.Distinct):  # list(DISTINCT x): a set
            if len(value.expressions) != 1 or len(keys) > 1:
                raise ValueError("list(DISTINCT ...) of several values or keys")
            distinct = value.expressions[0]
            if keys and keys[0].this != distinct:
                raise ValueError("list(DISTINCT x ORDER BY another value)")
            # in a struct, so a NULL stays (as in DuckDB); ordered by itself as _k0
            out: exp.Expr = _fn("collect_set", _fn("struct", exp.alias_(distinct, "_k0")))
            if where is not None:
                out = exp.Filter(this=out, expression=where.copy())
            if keys:
                out = _fn("array_sort", out, _comparator(keys))
            field = exp.Lambda(
                this=exp.column("_k0", table="e"), expressions=[exp.to_identifier("e")]
            )
            return _empty_as_null(_fn("transform", out, field))
        fields = [exp.alias_(k.this.copy(), f"_k{i}") for i, k in enumerate(keys)]
        packed: exp.Expr = _fn(
            "collect_list", _fn("struct", *fields, exp.alias_(value.copy(), "_v"))
        )
        if where is not None:  # FILTER belongs to the aggregate, inside the wrapping
            packed = exp.Filter(this=packed, expression=where.copy())
        if keys:
            packed = _fn("array_sort", packed, _comparator(keys))
        unwrap = exp.Lambda(this=exp.column("_v", table="e"), expressions=[exp.to_identifier("e")])
        return _empty_as_null(_fn("transform", packed, unwrap))

    return _bottom_up(tree, visit)


def _empty_as_null(collected: exp.Expr) -> exp.Expr:
    """DuckDB's list() of no rows (all filtered out, or none) is NULL; collect_list's is []."""
    empty = exp.EQ(this=_fn("size", collected.copy()), expression=exp.Literal.number(0))
    return exp.If(this=empty, true=exp.null(), false=collected)


def string_agg_ordered(tree: exp.Expr, ctx: Context) -> exp.Expr:
    """string_agg(x, sep [ORDER BY y]) -> array_join over the ordered list (NULLs skipped)."""

    def visit(node: exp.Expr) -> exp.Expr:
        if not isinstance(node, exp.GroupConcat):
            return node
        sep = node.args.get("separator") or exp.Literal.string(",")
        agg = exp.ArrayAgg(this=node.this)
        return _fn("array_join", ordered_list(agg, ctx), sep)

    return _bottom_up(tree, visit)


def list_slice(tree: exp.Expr, ctx: Context) -> exp.Expr:
    """l[a:b] (1-based, both ends included) -> slice(l, a, b - a + 1)."""

    def visit(node: exp.Expr) -> exp.Expr:
        if not isinstance(node, exp.Bracket) or len(node.expressions) != 1:
            return node
        part = node.expressions[0]
        if not isinstance(part, exp.Slice):
            return node
        start = part.this or exp.Literal.number(1)
        end = part.expression
        size = _fn("size", node.this.copy())
        if end is None:
            length: exp.Expr = size
        else:
            length = exp.Add(
                this=exp.Sub(this=exp.paren(end.copy()), expression=exp.paren(start.copy())),
                expression=exp.Literal.number(1),
            )
        return _fn("slice", node.this, start, _fn("greatest", length, exp.Literal.number(0)))

    return _bottom_up(tree, visit)


def list_index(tree: exp.Expr, ctx: Context) -> exp.Expr:
    """l[i] -> try_element_at(l, i): DuckDB's lists count from 1 and give NULL out of range;
    Spark's [] counts from 0 and fails out of range. (sqlglot keeps l[i] for a column i.)"""

    def visit(node: exp.Expr) -> exp.Expr:
        if _anon_name(node) in ("list_extract", "array_extract", "list_element"):
            return _fn("try_element_at", *node.expressions)
        if not isinstance(node, exp.Bracket) or len(node.expressions) != 1:
            return node
        index = node.expressions[0]
        if isinstance(index, exp.Slice) or (isinstance(index, exp.Literal) and index.is_string):
            return node
        if isinstance(index, exp.Literal):  # sqlglot already counted a literal from 0
            index = exp.Literal.number(int(index.this) + 1)
        return _fn("try_element_at", node.this, index)

    return _bottom_up(tree, visit)


def division_as_double(tree: exp.Expr, ctx: Context) -> exp.Expr:
    """a / b -> CAST(a AS DOUBLE) / b: DuckDB's / always gives DOUBLE; Spark divides two
    decimals as DECIMAL(38,6), which moved match shares across their thresholds."""

    def visit(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Div) and not _is_double(node.this):
            node.set("this", exp.cast(exp.paren(node.this), exp.DataType.Type.DOUBLE))
        return node

    return _bottom_up(tree, visit)


_DOUBLE_TYPES = {exp.DataType.Type.DOUBLE, exp.DataType.Type.FLOAT}


def _is_double(node: exp.Expr) -> bool:
    """Whether DuckDB types the expression DOUBLE, as far as the tree tells."""
    if isinstance(node, exp.Paren):
        return _is_double(node.this)
    if isinstance(node, exp.Div):
        return True
    if isinstance(node, exp.Cast | exp.TryCast):
        return node.to.this in _DOUBLE_TYPES
    if isinstance(node, exp.Add | exp.Sub | exp.Mul | exp.Mod):
        return _is_double(node.this) or _is_double(node.expression)
    if isinstance(node, exp.Neg | exp.Abs):
        return _is_double(node.this)
    if isinstance(node, exp.Coalesce | exp.Greatest | exp.Least):
        return any(_is_double(e) for e in [node.this, *node.expressions] if e is not None)
    if isinstance(node, exp.Round):
        return _is_double(node.this)
    if isinstance(node, exp.Case):
        return any(_is_double(i.args["true"]) for i in node.args.get("ifs") or []) or (
            node.args.get("default") is not None and _is_double(node.args["default"])
        )
    if isinstance(node, exp.Avg | exp.Stddev | exp.StddevPop | exp.StddevSamp | exp.Ln | exp.Sqrt):
        return True
    return isinstance(node, exp.Pow | exp.Exp | exp.Log)


def double_rounding(tree: exp.Expr, ctx: Context) -> exp.Expr:
    """round(double x, d) -> round(x * 10^d) / 10^d: how DuckDB rounds a DOUBLE (the
    product, a double, rounded half away from zero). Spark rounds the double's exact binary
    value instead, so a margin of 91.135% is 91.14 in DuckDB and 91.13 in Spark."""

    def visit(node: exp.Expr) -> exp.Expr:
        if not isinstance(node, exp.Round) or not _is_double(node.this):
            return node
        places = node.args.get("decimals")
        if places is None:
            return node
        if not isinstance(places, exp.Literal):
            raise ValueError("round() of a DOUBLE to a computed number of places")
        scale = exp.cast(exp.Literal.number(10 ** int(places.this)), exp.DataType.Type.DOUBLE)
        scaled = exp.Mul(this=exp.paren(node.this.copy()), expression=scale)
        return exp.paren(exp.Div(this=exp.Round(this=scaled), expression=scale.copy()))

    return _bottom_up(tree, visit)


def list_overlap(tree: exp.Expr, ctx: Context) -> exp.Expr:
    """list_has_any(a, b) -> arrays_overlap(a, b): sqlglot writes Spark's form as `a && b`,
    which Spark does not parse for arrays."""

    def visit(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.ArrayOverlaps):
            return _fn("arrays_overlap", node.this, node.expression)
        return node

    return _bottom_up(tree, visit)


def _lambda(body: exp.Expr, *names: str) -> exp.Lambda:
    return exp.Lambda(this=body, expressions=[exp.to_identifier(n) for n in names])


def _not_null(items: exp.Expr) -> exp.Expr:
    """filter(items, _x -> _x IS NOT NULL)"""
    return _fn("filter", items, _lambda(exp.column("_x").is_(exp.null()).not_(), "_x"))


_BOOL_AGGREGATES = {"bool_and": exp.And, "bool_or": exp.Or}


def list_set_functions(tree: exp.Expr, ctx: Context) -> exp.Expr:
    """DuckDB's list set functions, which ignore NULL elements, in Spark's terms:
    list_has_all(a, b) -> size(array_except(filter(b, not null), a)) = 0;
    list_intersect(a, b) -> array_intersect(filter(a, not null), b) (no duplicates in
    either); list_aggregate(l, 'bool_and' | 'bool_or') -> aggregate() over the non-NULL
    elements, NULL when there are none."""

    def visit(node: exp.Expr) -> exp.Expr:
        name = _anon_name(node)
        args = list(node.expressions) if isinstance(node, exp.Anonymous) else []
        if name == "list_has_all" and len(args) == 2:
            missing = _fn("array_except", _not_null(args[1]), args[0])
            return exp.Paren(
                this=exp.EQ(this=_fn("size", missing), expression=exp.Literal.number(0))
            )
        if name in ("list_intersect", "array_intersect") and len(args) == 2:
            return _fn("array_intersect", _not_null(args[0]), args[1])
        if name == "list_aggregate" and len(args) == 2:
            how = args[1]
            if not (isinstance(how, exp.Literal) and how.is_string):
                raise ValueError("list_aggregate() takes a literal aggregate name")
            op = _BOOL_AGGREGATES.get(how.this.lower())
            if op is None:
                raise ValueError(f"list_aggregate(l, {how.this!r}) has no Spark form here")
            acc, x = exp.column("_acc"), exp.column("_x")
            merge = exp.Case(
                ifs=[
                    exp.If(this=x.is_(exp.null()), true=acc.copy()),
                    exp.If(this=acc.copy().is_(exp.null()), true=x.copy()),
                ],
                default=op(this=acc.copy(), expression=x.copy()),
            )
            start = exp.Cast(this=exp.null(), to=exp.DataType.build("BOOLEAN"))
            return _fn("aggregate", args[0], start, _lambda(merge, "_acc", "_x"))
        return node

    return _bottom_up(tree, visit)


def md5_fingerprint(tree: exp.Expr, ctx: Context) -> exp.Expr:
    """md5_number(s) -> md5(s), and the UHUGEINT it returns -> STRING: Spark has no 128-bit
    integer (md5_number's values pass DECIMAL(38)'s range). The same strings give the same
    value and different ones different values, on each engine; the values themselves
    differ (a number in DuckDB, hex text in Spark), so a fingerprint is compared within
    one engine only."""

    def visit(node: exp.Expr) -> exp.Expr:
        if _anon_name(node) == "md5_number" and len(node.expressions) == 1:
            return exp.MD5(this=node.expressions[0])
        if isinstance(node, exp.DataType) and node.this == exp.DataType.Type.UINT128:
            return exp.DataType.build("STRING")
        return node

    return _bottom_up(tree, visit)


def spark_type(dtype: exp.DataType) -> exp.DataType:
    """A column type of a CREATE TABLE, as Spark stores it (see md5_fingerprint)."""
    if dtype.this == exp.DataType.Type.UINT128:
        return exp.DataType.build("STRING")
    return dtype


def list_length(tree: exp.Expr, ctx: Context) -> exp.Expr:
    """len(l) / length(l) of a list -> size(l): sqlglot reads DuckDB's len() as a string's
    length, and Spark's length() refuses a list. Whether the argument is a list comes
    from the catalog's column types and the CTEs and subqueries that compute it. Inner
    calls first (a len() inside a lambda inside a len())."""
    for scope in traverse_scope(tree):
        for node in reversed(list(scope.walk())):
            if isinstance(node, exp.Length) and is_list(node.this, scope, ctx.lists):
                node.replace(_fn("size", node.this.copy()))
    return tree


_INTERVAL_PARTS = {"to_days": 0, "to_hours": 1, "to_minutes": 2, "to_seconds": 3}


def interval_functions(tree: exp.Expr, ctx: Context) -> exp.Expr:
    """to_days/to_hours/to_minutes/to_seconds(n) -> make_dt_interval with n in its place."""

    def visit(node: exp.Expr) -> exp.Expr:
        name = _anon_name(node)
        if name not in _INTERVAL_PARTS:
            return node
        parts: list[exp.Expr] = [exp.Literal.number(0) for _ in range(4)]
        parts[_INTERVAL_PARTS[name]] = node.expressions[0]
        return _fn("make_dt_interval", *parts)

    return _bottom_up(tree, visit)


def row_key_nulls_last(tree: exp.Expr, ctx: Context) -> exp.Expr:
    """arg_min(x, (a, b)) -> min_by(x, struct(a IS NULL, a, b IS NULL, b)): DuckDB orders
    a row key with a NULL field after every value, Spark before; a flag per field before
    it gives DuckDB's order on Spark."""

    def visit(node: exp.Expr) -> exp.Expr:
        if not isinstance(node, exp.ArgMin | exp.ArgMax):
            return node
        key = node.expression
        if not isinstance(key, exp.Tuple):
            return node
        fields: list[exp.Expr] = []
        for i, part in enumerate(key.expressions):
            if not isinstance(part, exp.Is | exp.Not):  # a NULL test is never NULL itself
                is_null = exp.Is(this=exp.paren(part.copy()), expression=exp.null())
                fields.append(exp.alias_(is_null, f"_n{i}"))
            fields.append(exp.alias_(part.copy(), f"_k{i}"))
        node.set("expression", _fn("struct", *fields))
        return node

    return _bottom_up(tree, visit)
