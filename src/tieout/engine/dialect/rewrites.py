"""Portability rewrites over sqlglot trees: DuckDB SQL in, SQL another engine runs the same.

Each rewrite handles one construct and is named after it. The neutral ones produce SQL that
DuckDB runs too (a macro inlined, a variable bound, an ASOF join as validity ranges); the
Spark ones replace a DuckDB construct by the Spark form with the same result (sqlglot's own
transpiler gets these wrong or refuses them: measured in benchmarks/spark_replay.py).
Every rewrite has a test in tests/test_engine_dialect.py that runs its output on Spark and
compares the rows with DuckDB running the original.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlglot import exp
from sqlglot.optimizer.scope import traverse_scope

from tieout.engine.dialect.literals import literal
from tieout.engine.dialect.macros import MacroRegistry
from tieout.engine.dialect.types import ListColumns, is_list


def _no_lists(table: str, column: str) -> bool | None:
    return None


def _no_tables() -> list[str]:
    return []


def _no_columns(table: str) -> list[str] | None:
    return None


@dataclass
class Context:
    """What a rewrite may need beyond the tree: the statement's variables, the macros
    defined so far, and what the engine's catalog knows (tables, list-typed columns)."""

    variables: Mapping[str, Any] = field(default_factory=dict)
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


# -- neutral: DuckDB runs the result too ---------------------------------------------------


def bind_variables(tree: exp.Expr, ctx: Context) -> exp.Expr:
    """getvariable('name') -> the value set for this statement, as a literal."""

    def visit(node: exp.Expr) -> exp.Expr:
        if _anon_name(node) != "getvariable":
            return node
        arg = node.expressions[0] if node.expressions else None
        if not isinstance(arg, exp.Literal) or not arg.is_string:
            raise ValueError("getvariable() takes a literal name")
        return literal(ctx.variables.get(arg.this))

    return _bottom_up(tree, visit)


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


# -- Spark ----------------------------------------------------------------------------------


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
            return _fn("transform", out, field)
        fields = [exp.alias_(k.this.copy(), f"_k{i}") for i, k in enumerate(keys)]
        packed: exp.Expr = _fn(
            "collect_list", _fn("struct", *fields, exp.alias_(value.copy(), "_v"))
        )
        if where is not None:  # FILTER belongs to the aggregate, inside the wrapping
            packed = exp.Filter(this=packed, expression=where.copy())
        if keys:
            packed = _fn("array_sort", packed, _comparator(keys))
        unwrap = exp.Lambda(this=exp.column("_v", table="e"), expressions=[exp.to_identifier("e")])
        return _fn("transform", packed, unwrap)

    return _bottom_up(tree, visit)


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


def regexp_replace_flags(tree: exp.Expr, ctx: Context) -> exp.Expr:
    """regexp_replace(s, p, r [, flags]): DuckDB replaces the first match unless 'g' is
    given and writes back-references as \\1; Spark replaces every match and writes $1. The
    first-match form becomes a match of everything before it, kept as group 1."""

    def visit(node: exp.Expr) -> exp.Expr:
        if not isinstance(node, exp.RegexpReplace):
            return node
        pattern = _constant_text(node.expression)
        repl = _constant_text(node.args.get("replacement"))
        flags = _constant_text(node.args.get("modifiers")) or ""
        if pattern is None or repl is None:
            raise ValueError("regexp_replace with a computed pattern or replacement")
        unknown = set(flags) - set("gi")
        if unknown:
            raise ValueError(f"regexp_replace flags {sorted(unknown)}")
        regex = pattern
        if "i" in flags:
            regex = f"(?i){regex}"
        shift = 0
        if "g" not in flags and not _matches_once(pattern):
            regex, shift = f"^(?s:(.*?))(?:{regex})", 1
        replacement = _java_replacement(repl, shift)
        return _fn(
            "regexp_replace",
            node.this,
            exp.Literal.string(regex),
            exp.Literal.string(replacement),
        )

    return _bottom_up(tree, visit)


def _constant_text(node: exp.Expr | None) -> str | None:
    """The text of a string literal or of literals joined with ||; None if computed."""
    if isinstance(node, exp.Paren):
        return _constant_text(node.this)
    if isinstance(node, exp.Literal) and node.is_string:
        return str(node.this)
    if isinstance(node, exp.DPipe):
        left, right = _constant_text(node.this), _constant_text(node.expression)
        return None if left is None or right is None else left + right
    return None


def _matches_once(pattern: str) -> bool:
    """Anchored at the start or the end: it can match only once either way."""
    body = pattern.removeprefix("(?i)")
    return body.startswith("^") or (body.endswith("$") and not body.endswith("\\$"))


def _java_replacement(text: str, shift: int) -> str:
    """DuckDB's (RE2) replacement text in Java's syntax: \\N -> $N, a literal $ escaped;
    with shift, group 1 (the text before the match) is written back first."""
    out: list[str] = ["$1"] if shift else []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and text[i + 1].isdigit():
            out.append(f"${int(text[i + 1]) + shift}")
            i += 2
            continue
        if ch == "\\" and i + 1 < len(text):
            out.append("\\\\" if text[i + 1] == "\\" else text[i + 1])
            i += 2
            continue
        out.append("\\$" if ch == "$" else ch)
        i += 1
    return "".join(out)


def regexp_extract_all_group(tree: exp.Expr, ctx: Context) -> exp.Expr:
    """regexp_extract_all(s, p) -> with group 0 written out: DuckDB's default is the whole
    match, Spark's group 1."""

    def visit(node: exp.Expr) -> exp.Expr:
        if not isinstance(node, exp.RegexpExtractAll):
            return node
        group = node.args.get("group") or exp.Literal.number(0)
        return _fn("regexp_extract_all", node.this, node.expression, group)

    return _bottom_up(tree, visit)


# strptime directive -> Java DateTimeFormatter letters (lenient widths, as DuckDB parses)
_PATTERNS = {
    "%Y": "yyyy",
    "%y": "yy",
    "%m": "M",
    "%-m": "M",
    "%d": "d",
    "%-d": "d",
    "%H": "H",
    "%-H": "H",
    "%I": "h",
    "%M": "m",
    "%S": "s",
    "%f": "SSSSSS",
    "%p": "a",
    "%b": "MMM",
    "%B": "MMMM",
    "%a": "EEE",
    "%A": "EEEE",
    "%j": "D",
    "%z": "XX",
    "%Z": "z",
    "%%": "%",
}


def java_pattern(fmt: str) -> str:
    """A strptime format as a Java date pattern; literal text quoted."""
    out: list[str] = []
    text: list[str] = []
    i = 0
    while i < len(fmt):
        two = fmt[i : i + 2]
        three = fmt[i : i + 3]
        directive = three if three in _PATTERNS else two if two in _PATTERNS else None
        if directive is None and fmt[i] == "%":
            raise ValueError(f"strptime directive {two!r} has no Java pattern")
        if directive is None:
            text.append(fmt[i])
            i += 1
            continue
        if text:
            out.append(_quoted("".join(text)))
            text = []
        out.append(_PATTERNS[directive])
        i += len(directive)
    if text:
        out.append(_quoted("".join(text)))
    return "".join(out)


def _quoted(text: str) -> str:
    if all(ch in " -/:.,T" for ch in text) and "T" not in text:
        return text
    return "'" + text.replace("'", "''") + "'"


def try_date_parsing(tree: exp.Expr, ctx: Context) -> exp.Expr:
    """strptime / try_strptime(s, fmt) -> try_to_timestamp(s, java fmt): Spark's ANSI mode
    fails the whole query on one bad value where DuckDB's try_ gives NULL, and sqlglot maps
    some directives wrongly (%z, %g). A list of formats tries each in turn."""

    def visit(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.StrToTime):
            value, fmt = node.this, node.args.get("format")
            safe = bool(node.args.get("safe"))
        elif _anon_name(node) in ("try_strptime", "strptime"):
            value, fmt = node.expressions[0], node.expressions[1]
            safe = _anon_name(node) == "try_strptime"
        else:
            return node
        formats = fmt.expressions if isinstance(fmt, exp.Array) else [fmt]
        if not all(isinstance(f, exp.Literal) and f.is_string for f in formats):
            raise ValueError("strptime with a computed format")
        parse = "try_to_timestamp" if safe else "to_timestamp"  # strptime fails on bad values
        tries = [
            _fn(parse, value.copy(), exp.Literal.string(java_pattern(str(f.this))))
            for f in formats
            if isinstance(f, exp.Literal)
        ]
        return tries[0] if len(tries) == 1 else exp.Coalesce(this=tries[0], expressions=tries[1:])

    return _bottom_up(tree, visit)


def jaro_winkler(tree: exp.Expr, ctx: Context) -> exp.Expr:
    """jaro_winkler_similarity(a, b) -> jaro_winkler(a, b), the function Splink's Spark
    similarity jar registers (the engine loads the jar with spark.jars)."""

    def visit(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.JarowinklerSimilarity):
            return _fn("jaro_winkler", node.this, node.expression)
        return node

    return _bottom_up(tree, visit)


def list_overlap(tree: exp.Expr, ctx: Context) -> exp.Expr:
    """list_has_any(a, b) -> arrays_overlap(a, b): sqlglot writes Spark's form as `a && b`,
    which Spark does not parse for arrays."""

    def visit(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.ArrayOverlaps):
            return _fn("arrays_overlap", node.this, node.expression)
        return node

    return _bottom_up(tree, visit)


def unicode_chr(tree: exp.Expr, ctx: Context) -> exp.Expr:
    """chr(n) for a literal n -> the character as a string: Spark's chr takes n modulo 256
    (chr(8217), a typographic apostrophe, is not one in Spark)."""

    def visit(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Chr) and len(node.expressions) == 1:
            arg = node.expressions[0]
            if isinstance(arg, exp.Literal) and not arg.is_string:
                return exp.Literal.string(chr(int(arg.this)))
            raise ValueError("chr() of a computed code point")
        return node

    return _bottom_up(tree, visit)


@cache
def _accent_map() -> tuple[str, str]:
    """Every Latin letter up to U+024F that NFD splits into a base letter and marks."""
    src, dst = [], []
    for code in range(0xC0, 0x250):
        ch = chr(code)
        base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
        if base != ch and len(base) == 1:
            src.append(ch)
            dst.append(base)
    return "".join(src), "".join(dst)


def strip_accents(tree: exp.Expr, ctx: Context) -> exp.Expr:
    """strip_accents(s) -> translate(s, accented, plain) over the Latin letters (U+00C0 to
    U+024F); Spark has no strip_accents. Other scripts keep their marks."""

    def visit(node: exp.Expr) -> exp.Expr:
        if _anon_name(node) != "strip_accents":
            return node
        src, dst = _accent_map()
        return _fn(
            "translate", node.expressions[0], exp.Literal.string(src), exp.Literal.string(dst)
        )

    return _bottom_up(tree, visit)


def read_parquet(tree: exp.Expr, ctx: Context) -> exp.Expr:
    """read_parquet([files]) in FROM -> parquet.`file` (several: their UNION ALL)."""

    def visit(node: exp.Expr) -> exp.Expr:
        if not isinstance(node, exp.Table) or not isinstance(node.this, exp.ReadParquet):
            return node
        args = node.this.expressions
        files = args[0].expressions if args and isinstance(args[0], exp.Array) else args
        tables = [
            exp.Table(
                this=exp.to_identifier(str(f.this), quoted=True), db=exp.to_identifier("parquet")
            )
            for f in files
        ]
        alias = node.alias_or_name or "_parquet"
        if len(tables) == 1:
            return exp.alias_(tables[0], alias, table=True)
        union: exp.Query = exp.select("*").from_(tables[0])
        for t in tables[1:]:
            union = exp.union(union, exp.select("*").from_(t), distinct=False)
        return union.subquery(alias)

    return _bottom_up(tree, visit)


def qualify_names(tree: exp.Expr, ctx: Context) -> exp.Expr:
    """SELECT expr ... QUALIFY w: every unnamed select item named (_col<i>), so the
    subquery Spark needs for QUALIFY can select it (sqlglot fails on unnamed ones)."""
    for select in tree.find_all(exp.Select):
        if select.args.get("qualify") is None:
            continue
        seen: set[str] = set()
        for i, item in enumerate(select.expressions):
            name = item.alias_or_name.lower()
            if isinstance(item, exp.Star) or (isinstance(item, exp.Column) and item.is_star):
                continue
            if not isinstance(item, exp.Alias | exp.Column) or name in seen:
                item.replace(exp.alias_(item.unalias().copy(), f"_col{i}"))
            seen.add(name)
    return tree


def list_length(tree: exp.Expr, ctx: Context) -> exp.Expr:
    """len(l) / length(l) of a list -> size(l): sqlglot reads DuckDB's len() as a string's
    length, and Spark's length() refuses a list. Whether the argument is a list comes
    from the catalog's column types and the CTEs and subqueries that compute it."""
    for scope in traverse_scope(tree):
        for node in list(scope.walk()):
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


def catalog_tables(tree: exp.Expr, ctx: Context) -> exp.Expr:
    """FROM duckdb_tables() -> the engine's tables as an inline table (table_name)."""

    def visit(node: exp.Expr) -> exp.Expr:
        if not isinstance(node, exp.Table) or _anon_name(node.this) != "duckdb_tables":
            return node
        names = ctx.tables()
        rows = [exp.Tuple(expressions=[exp.Literal.string(n)]) for n in names] or [
            exp.Tuple(expressions=[exp.cast(exp.null(), exp.DataType.Type.VARCHAR)])
        ]
        alias = exp.TableAlias(
            this=exp.to_identifier(node.alias_or_name or "_tables"),
            columns=[exp.to_identifier("table_name")],
        )
        values = exp.Values(expressions=rows, alias=alias)
        if names:
            return values
        query = exp.select("*").from_(values).where(exp.false())
        return query.subquery(node.alias_or_name or "_tables")

    return _bottom_up(tree, visit)


def correlated_derived_table(tree: exp.Expr, ctx: Context) -> exp.Expr:
    """(SELECT agg FROM (SELECT ..., w OVER (ORDER BY s) FROM t WHERE t.k = outer.k) d)
    -> the correlation moved out of the derived table: d selects t.k, partitions its
    windows by it, and the subquery matches d.k = outer.k. Spark cannot resolve an outer
    column inside a derived table."""
    for sub in list(tree.find_all(exp.Subquery)):
        select = sub.this
        if isinstance(sub.parent, exp.From | exp.Join) or not isinstance(select, exp.Select):
            continue
        source = select.args.get("from_") or select.args.get("from")
        if source is None or not isinstance(source.this, exp.Subquery):
            continue
        derived = source.this
        inner = derived.this
        if not isinstance(inner, exp.Select) or inner.args.get("where") is None:
            continue
        names = {s.alias_or_name.lower() for s in _sources(inner)}
        where = inner.args["where"].this
        kept: list[exp.Expr] = []
        moved: list[tuple[exp.Expr, exp.Expr]] = []
        for cond in where.flatten() if isinstance(where, exp.And) else [where]:
            pair = _outer_equality(cond, names)
            if pair is None:
                kept.append(cond)
            else:
                moved.append(pair)
        if not moved:
            continue
        alias = derived.alias_or_name or "_corr"
        if not derived.alias:
            derived.set("alias", exp.TableAlias(this=exp.to_identifier(alias)))
        inner.set("where", exp.Where(this=exp.and_(*kept)) if kept else None)
        links = []
        for i, (own, outer) in enumerate(moved):
            inner.select(exp.alias_(own.copy(), f"_corr{i}"), copy=False)
            for window in inner.find_all(exp.Window):
                window.set("partition_by", [own.copy(), *(window.args.get("partition_by") or [])])
            links.append(exp.EQ(this=exp.column(f"_corr{i}", table=alias), expression=outer))
        select.where(exp.and_(*links), copy=False)
    return tree


def _sources(select: exp.Select) -> list[exp.Expr]:
    source = select.args.get("from_") or select.args.get("from")
    found = [source.this] if source is not None else []
    return found + [j.this for j in select.args.get("joins") or []]


def _outer_equality(cond: exp.Expr, names: set[str]) -> tuple[exp.Expr, exp.Expr] | None:
    """(own column, outer column) when the condition is own = outer."""
    if not isinstance(cond, exp.EQ):
        return None
    left, right = cond.this, cond.expression
    if not isinstance(left, exp.Column) or not isinstance(right, exp.Column):
        return None
    if left.table.lower() in names and right.table and right.table.lower() not in names:
        return left, right
    if right.table.lower() in names and left.table and left.table.lower() not in names:
        return right, left
    return None


def distinct_window_count(tree: exp.Expr, ctx: Context) -> exp.Expr:
    """count(DISTINCT x) OVER (PARTITION BY p) -> size(collect_set(x) OVER (...)): Spark
    has no DISTINCT window aggregates; both leave NULLs out. (Whole partitions only.)"""

    def visit(node: exp.Expr) -> exp.Expr:
        if not isinstance(node, exp.Window) or not isinstance(node.this, exp.Count):
            return node
        distinct = node.this.this
        if not isinstance(distinct, exp.Distinct):
            return node
        if node.args.get("order") is not None or len(distinct.expressions) != 1:
            raise ValueError("count(DISTINCT) over an ordered window or several columns")
        window = node.copy()
        window.set("this", _fn("collect_set", distinct.expressions[0].copy()))
        return _fn("size", window)

    return _bottom_up(tree, visit)


def nested_outer_reference(tree: exp.Expr, ctx: Context) -> exp.Expr:
    """(SELECT agg FROM s WHERE c AND EXISTS (SELECT 1 FROM e WHERE e.k = t.k)) where t is
    two levels out -> CASE WHEN EXISTS (...) THEN (SELECT agg FROM s WHERE c) END: a
    predicate that reads nothing of the subquery it sits in moves out to the level whose
    columns it reads (Spark resolves outer columns one level out only). The NULL an
    aggregate gives over no rows is what the CASE gives when the predicate fails."""
    for sub in list(tree.find_all(exp.Subquery)):
        select = sub.this
        if isinstance(sub.parent, exp.From | exp.Join) or not isinstance(select, exp.Select):
            continue
        where = select.args.get("where")
        if where is None or not _single_aggregate(select):
            continue
        own = {s.alias_or_name.lower() for s in _sources(select)}
        conds = list(where.this.flatten()) if isinstance(where.this, exp.And) else [where.this]
        hoisted = [c for c in conds if isinstance(c, exp.Exists) and not _reads(c, own)]
        if not hoisted:
            continue
        kept = [c for c in conds if c not in hoisted]
        select.set("where", exp.Where(this=exp.and_(*kept)) if kept else None)
        guard = exp.and_(*[h.copy() for h in hoisted])
        sub.replace(exp.Case(ifs=[exp.If(this=guard, true=sub.copy())]))
    return tree


def _single_aggregate(select: exp.Select) -> bool:
    """SELECT agg(...) without GROUP BY: one row, NULL (or 0 for count) over none."""
    if len(select.expressions) != 1 or select.args.get("group"):
        return False
    item = select.expressions[0].unalias()
    return isinstance(item, exp.AggFunc) and not isinstance(item, exp.Count)


def _reads(node: exp.Expr, tables: set[str]) -> bool:
    """Whether any column in the node is qualified by one of these table names."""
    return any(c.table.lower() in tables for c in node.find_all(exp.Column))


def regexp_escape(tree: exp.Expr, ctx: Context) -> exp.Expr:
    r"""regexp_escape(s) -> s quoted as \Q...\E (a \E inside closed and reopened): Spark
    has no regexp_escape; Java reads a quoted stretch literally."""

    def visit(node: exp.Expr) -> exp.Expr:
        if _anon_name(node) != "regexp_escape":
            return node
        inner = _fn(
            "replace",
            node.expressions[0],
            exp.Literal.string("\\E"),
            exp.Literal.string("\\E\\\\E\\Q"),
        )
        return _fn("concat", exp.Literal.string("\\Q"), inner, exp.Literal.string("\\E"))

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


def _output_names(query: exp.Expr, root: exp.Expr, ctx: Context) -> list[str] | None:
    """A query's column names in order: stars expanded from the catalog or the CTE they
    read; None when that cannot be told."""
    while isinstance(query, exp.SetOperation):
        query = query.this
    if isinstance(query, exp.Subquery):
        return _output_names(query.this, root, ctx)
    if not isinstance(query, exp.Select):
        return None
    names: list[str] = []
    for item in query.expressions:
        expanded = _star(query, item, root, ctx)
        if expanded is not None:
            names += [n for n, _ in expanded]
        elif _is_star(item):
            return None
        else:
            names.append(item.alias_or_name)
    return names


def _is_star(item: exp.Expr) -> bool:
    return isinstance(item, exp.Star) or (isinstance(item, exp.Column) and item.is_star)


def _star(
    select: exp.Select, item: exp.Expr, root: exp.Expr, ctx: Context
) -> list[tuple[str, exp.Expr]] | None:
    """(name, column) for each column a star item stands for, or None."""
    if not _is_star(item) or item.args.get("except") or item.args.get("replace"):
        return None
    wanted = item.table.lower() if isinstance(item, exp.Column) else ""
    out: list[tuple[str, exp.Expr]] = []
    for source in _sources(select):
        alias = source.alias_or_name
        if wanted and alias.lower() != wanted:
            continue
        if isinstance(source, exp.Table) and not isinstance(source.this, exp.Func):
            cte = _cte(root, source.name)
            names = (
                _output_names(cte.this, root, ctx)
                if cte is not None
                else ctx.columns(".".join(p.name for p in source.parts).lower())
            )
        elif isinstance(source, exp.Subquery):
            names = _output_names(source.this, root, ctx)
        else:
            names = None
        if names is None:
            return None
        out += [(n, exp.column(n, table=alias, quoted=True)) for n in names]
    return out or None


def _cte(root: exp.Expr, name: str) -> exp.CTE | None:
    for cte in root.find_all(exp.CTE):
        if cte.alias_or_name.lower() == name.lower():
            return cte
    return None


def duplicate_column_names(tree: exp.Expr, ctx: Context) -> exp.Expr:
    """SELECT l.*, i.invoice_number in a CTE or subquery, l having invoice_number too ->
    the later one named invoice_number_1, as DuckDB names it (Spark calls a reference to
    either ambiguous). Stars are spelled out from the catalog where that is needed."""
    for select in list(tree.find_all(exp.Select)):
        if not isinstance(select.parent, exp.CTE | exp.Subquery):
            continue
        items: list[tuple[str, exp.Expr, bool]] = []  # name, expression, from a star
        for item in select.expressions:
            expanded = _star(select, item, tree, ctx)
            if expanded is None and _is_star(item):
                items = []
                break
            if expanded is not None:
                items += [(n, e, True) for n, e in expanded]
            else:
                items.append((item.alias_or_name, item, False))
        lowered = [n.lower() for n, _, _ in items]
        if not items or len(set(lowered)) == len(lowered):
            continue
        seen: dict[str, int] = {}
        rebuilt: list[exp.Expr] = []
        for name, node, _ in items:
            count = seen.get(name.lower(), 0)
            seen[name.lower()] = count + 1
            if count:
                rebuilt.append(exp.alias_(node.unalias().copy(), f"{name}_{count}", quoted=True))
            else:
                rebuilt.append(node.copy())
        select.set("expressions", rebuilt)
    return tree


def union_by_name(tree: exp.Expr, ctx: Context) -> exp.Expr:
    """A UNION [ALL] BY NAME B -> both sides selecting every name in A's order then B's
    new ones, NULL where a side lacks it. Spark unions by position only."""

    def visit(node: exp.Expr) -> exp.Expr:
        if not isinstance(node, exp.Union) or not node.args.get("by_name"):
            return node
        left = _output_names(node.this, tree, ctx)
        right = _output_names(node.expression, tree, ctx)
        if left is None or right is None:
            raise ValueError("UNION BY NAME over columns that cannot be named")
        lower_left = [n.lower() for n in left]
        names = left + [n for n in right if n.lower() not in lower_left]

        def side(query: exp.Expr, has: list[str], alias: str) -> exp.Select:
            present = {n.lower() for n in has}
            items = [
                exp.column(n, table=alias, quoted=True)
                if n.lower() in present
                else exp.alias_(exp.null(), n, quoted=True)
                for n in names
            ]
            return exp.select(*items).from_(exp.paren(query.copy()).as_(alias))

        union = exp.union(
            side(node.this, left, "_l"),
            side(node.expression, right, "_r"),
            distinct=bool(node.args.get("distinct")),
        )
        with_ = node.args.get("with_") or node.args.get("with")
        if with_ is not None:
            union.set("with_", with_.copy())
        return union

    return _bottom_up(tree, visit)


NEUTRAL: tuple[Rule, ...] = (
    Rule("bind_variables", "getvariable('name')", bind_variables),
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
    Rule("list_length", "len(l) / length(l) of a list", list_length),
    Rule(
        "correlated_derived_table", "an outer column in a derived table", correlated_derived_table
    ),
    Rule("nested_outer_reference", "EXISTS on a column two levels out", nested_outer_reference),
    Rule("distinct_window_count", "count(DISTINCT x) OVER (...)", distinct_window_count),
    Rule("interval_functions", "to_minutes(n), to_seconds(n)", interval_functions),
    Rule("catalog_tables", "duckdb_tables()", catalog_tables),
    Rule("qualify_names", "SELECT expr ... QUALIFY", qualify_names),
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
    Rule("unicode_chr", "chr(n)", unicode_chr),
    Rule("strip_accents", "strip_accents", strip_accents),
    Rule("read_parquet", "read_parquet([...])", read_parquet),
)
