"""Portability rewrites over sqlglot trees: DuckDB SQL in, SQL another engine runs the same.

Each rewrite handles one construct and is named after it. The neutral ones produce SQL that
DuckDB runs too (a macro inlined, an ASOF join as validity ranges); the
Spark ones replace a DuckDB construct by the Spark form with the same result (sqlglot's own
transpiler gets these wrong or refuses them: measured in benchmarks/spark_replay.py).
Every rewrite has a test in tests/test_engine_dialect.py that runs its output on Spark and
compares the rows with DuckDB running the original.
"""

from __future__ import annotations

from sqlglot import exp

from tieout.engine.dialect.base import Context, Rule, _bottom_up
from tieout.engine.dialect.spark_queries import (
    catalog_tables,
    correlated_derived_table,
    distinct_window_count,
    duplicate_column_names,
    filter_subquery,
    nested_outer_reference,
    qualify_names,
    read_parquet,
    row_to_json,
    union_by_name,
)
from tieout.engine.dialect.spark_text import (
    jaro_winkler,
    regexp_escape,
    regexp_extract_all_group,
    regexp_replace_flags,
    strip_accents,
    try_date_parsing,
    unicode_chr,
)
from tieout.engine.dialect.spark_values import (
    division_as_double,
    double_rounding,
    interval_functions,
    list_index,
    list_length,
    list_overlap,
    list_set_functions,
    list_slice,
    md5_fingerprint,
    ordered_list,
    row_key_nulls_last,
    string_agg_ordered,
)

__all__ = ["NEUTRAL", "SPARK", "Context", "Rule"]

# -- neutral: DuckDB runs the result too ---------------------------------------------------


def inline_macros(tree: exp.Expr, ctx: Context) -> exp.Expr:
    """A call of a DuckDB macro -> the macro's body with the arguments in place."""
    return ctx.macros.inline(tree)


def single_row_subquery(tree: exp.Expr, ctx: Context) -> exp.Expr:
    """(WITH c AS (SELECT e AS a) SELECT f(a) FROM c) -> f(e): a scalar subquery over a
    one-row CTE (how a macro names an intermediate value) is an expression. Spark refuses
    it once the CTE reads an outer column (a correlated subquery in a derived table)."""

    def visit(node: exp.Expr) -> exp.Expr:
        if not isinstance(node, exp.Subquery) or not isinstance(node.this, exp.Select):
            return node
        outer = node.this
        with_ = outer.args.get("with_") or outer.args.get("with")
        if with_ is None or len(with_.expressions) != 1 or len(outer.expressions) != 1:
            return node
        cte = with_.expressions[0]
        inner = cte.this
        if not isinstance(inner, exp.Select) or any(
            inner.args.get(k) for k in ("from_", "from", "where", "group", "having")
        ):
            return node
        source = outer.args.get("from_") or outer.args.get("from")
        if (
            source is None
            or not isinstance(source.this, exp.Table)
            or source.this.name.lower() != cte.alias_or_name.lower()
            or any(outer.args.get(k) for k in ("joins", "where", "group", "having", "order"))
        ):
            return node
        values = {e.alias_or_name.lower(): e.unalias() for e in inner.expressions}

        def swap(col: exp.Expr) -> exp.Expr:
            if isinstance(col, exp.Column) and col.name.lower() in values:
                return exp.paren(values[col.name.lower()].copy(), copy=False)
            return col

        return exp.paren(outer.expressions[0].unalias().copy().transform(swap), copy=False)

    return _bottom_up(tree, visit)


def any_value_ordered(tree: exp.Expr, ctx: Context) -> exp.Expr:
    """any_value(x ORDER BY y [DESC]) -> arg_min(x, (x IS NULL, y IS NULL, y)) (arg_max
    with the flags turned for DESC): the first known x in y's order, NULL keys where DuckDB
    puts them. Spark has no ordered any_value."""

    def visit(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.AnyValue) and isinstance(node.parent, exp.IgnoreNulls):
            return node  # rewritten with its wrapper
        inner = node.this if isinstance(node, exp.IgnoreNulls) else node
        if not isinstance(inner, exp.AnyValue) or not isinstance(inner.this, exp.Order):
            return node
        order = inner.this
        if len(order.expressions) != 1:
            raise ValueError("any_value(... ORDER BY) with more than one key")
        key = order.expressions[0]
        value = order.this
        desc = bool(key.args.get("desc"))
        nulls_first = bool(key.args.get("nulls_first"))

        def flag(e: exp.Expr, prefer_null: bool) -> exp.Expr:
            is_null = exp.Is(this=e.copy(), expression=exp.null())
            # arg_min prefers False, arg_max True
            return is_null if prefer_null == desc else exp.not_(is_null)

        parts = [flag(value, False), flag(key.this, nulls_first), key.this.copy()]
        cls = exp.ArgMax if desc else exp.ArgMin
        return cls(this=value, expression=exp.Tuple(expressions=parts))

    return _bottom_up(tree, visit)


def _of(node: exp.Expr, alias: str) -> bool:
    """Whether every column the expression reads is `alias`'s (and it reads one)."""
    cols = list(node.find_all(exp.Column))
    return bool(cols) and all(c.table.lower() == alias.lower() for c in cols)


def asof_join(tree: exp.Expr, ctx: Context) -> exp.Expr:
    """a ASOF [LEFT] JOIN b ON a.k = b.k AND a.t >= b.s -> a join of b's validity ranges:
    each b row holds from its s until the next s of its k (lead(s)), so exactly one b row
    matches, the one ASOF would pick. A strict > holds on (s, next s]. Spark has no ASOF."""
    for join in list(tree.find_all(exp.Join)):
        if str(join.args.get("method") or "").upper() != "ASOF":
            continue
        right = join.this
        alias = right.alias_or_name
        on = join.args.get("on")
        if on is None or not alias:
            raise ValueError("ASOF JOIN needs an ON condition and a named right side")
        keys: list[exp.Expr] = []
        step: exp.Expr | None = None
        for cond in on.flatten() if isinstance(on, exp.And) else [on]:
            if isinstance(cond, exp.EQ):
                keys.append(cond.expression if _of(cond.expression, alias) else cond.this)
            elif isinstance(cond, exp.GTE | exp.GT | exp.LTE | exp.LT) and step is None:
                step = cond
            else:
                raise ValueError(f"ASOF condition {cond.sql('duckdb')}")
        if step is None:
            raise ValueError("ASOF JOIN without an inequality")
        probe, stamp = step.this, step.expression  # normalised to probe >(=) stamp
        if isinstance(step, exp.LTE | exp.LT):
            probe, stamp = stamp, probe
        if not _of(stamp, alias) or _of(probe, alias):
            raise ValueError("ASOF JOIN inequality must set the left side against the right")
        strict = isinstance(step, exp.GT | exp.LT)
        window = exp.Window(
            this=exp.Lead(this=stamp.copy()),
            partition_by=[k.copy() for k in keys],
            order=exp.Order(expressions=[exp.Ordered(this=stamp.copy(), nulls_first=False)]),
        )
        inner = right.copy()
        ranges = (
            exp.select(exp.column(exp.Star(), table=alias))
            .select(exp.alias_(window, "_valid_until"))
            .from_(inner)
            .where(exp.not_(exp.Is(this=stamp.copy(), expression=exp.null())))
            .subquery(alias)
        )
        until = exp.column("_valid_until", table=alias)
        before = exp.LTE if strict else exp.LT
        holds = exp.or_(
            exp.Is(this=until, expression=exp.null()),
            before(this=probe.copy(), expression=until.copy()),
        )
        join.set("this", ranges)
        join.set("method", None)
        join.set("on", exp.and_(on.copy(), exp.paren(holds)))
    return tree


NEUTRAL: tuple[Rule, ...] = (
    Rule("inline_macros", "CREATE MACRO ... / a call of it", inline_macros),
    Rule(
        "single_row_subquery", "(WITH c AS (SELECT e AS a) SELECT f(a) FROM c)", single_row_subquery
    ),
    Rule("any_value_ordered", "any_value(x ORDER BY y)", any_value_ordered),
    Rule("asof_join", "ASOF JOIN", asof_join),
)

SPARK: tuple[Rule, ...] = (
    Rule("union_by_name", "UNION [ALL] BY NAME", union_by_name),
    Rule("duplicate_column_names", "SELECT l.*, i.x with x in l too", duplicate_column_names),
    Rule(
        "list_set_functions",
        "list_has_all, list_intersect, list_aggregate(l, 'bool_and')",
        list_set_functions,
    ),
    Rule("list_length", "len(l) / length(l) of a list", list_length),
    Rule(
        "correlated_derived_table", "an outer column in a derived table", correlated_derived_table
    ),
    Rule("nested_outer_reference", "EXISTS on a column two levels out", nested_outer_reference),
    Rule("distinct_window_count", "count(DISTINCT x) OVER (...)", distinct_window_count),
    Rule("interval_functions", "to_minutes(n), to_seconds(n)", interval_functions),
    Rule("catalog_tables", "duckdb_tables()", catalog_tables),
    Rule("qualify_names", "SELECT expr ... QUALIFY", qualify_names),
    Rule("filter_subquery", "agg(x) FILTER (WHERE ... (SELECT ...))", filter_subquery),
    Rule("ordered_list", "list(x ORDER BY y), array_agg", ordered_list),
    Rule("string_agg_ordered", "string_agg(x, sep ORDER BY y)", string_agg_ordered),
    Rule("list_slice", "l[a:b]", list_slice),
    Rule("list_index", "l[i]", list_index),
    Rule("division_as_double", "a / b on decimals", division_as_double),
    Rule("double_rounding", "round(double, d)", double_rounding),
    Rule("regexp_replace_flags", "regexp_replace(s, p, '\\1' [, 'g'])", regexp_replace_flags),
    Rule("row_key_nulls_last", "arg_min(x, (a, b))", row_key_nulls_last),
    Rule("regexp_escape", "regexp_escape(s)", regexp_escape),
    Rule("regexp_extract_all_group", "regexp_extract_all(s, p)", regexp_extract_all_group),
    Rule("try_date_parsing", "strptime / try_strptime", try_date_parsing),
    Rule("jaro_winkler", "jaro_winkler_similarity", jaro_winkler),
    Rule("list_overlap", "list_has_any(a, b)", list_overlap),
    Rule("row_to_json", "to_json(t) of a whole row", row_to_json),
    Rule("md5_fingerprint", "md5_number(s), UHUGEINT", md5_fingerprint),
    Rule("unicode_chr", "chr(n)", unicode_chr),
    Rule("strip_accents", "strip_accents", strip_accents),
    Rule("read_parquet", "read_parquet([...])", read_parquet),
)
