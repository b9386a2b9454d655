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

from tieout.engine.dialect.literals import literal
from tieout.engine.dialect.macros import MacroRegistry


@dataclass
class Context:
    """What a rewrite may need beyond the tree."""

    variables: Mapping[str, Any] = field(default_factory=dict)
    macros: MacroRegistry = field(default_factory=MacroRegistry)


Rewrite = Callable[[exp.Expr, Context], exp.Expr]


@dataclass(frozen=True)
class Rule:
    name: str
    construct: str  # the DuckDB construct it handles, as people write it
    rewrite: Rewrite


def _fn(name: str, *args: exp.Expr) -> exp.Anonymous:
    """A call printed as written in every dialect (sqlglot maps no name of it)."""
    return exp.Anonymous(this=name, expressions=list(args))


def _on_nodes(kind: type[exp.Expr] | tuple[type[exp.Expr], ...], change: Any) -> Rewrite:
    def rewrite(tree: exp.Expr, ctx: Context) -> exp.Expr:
        def visit(node: exp.Expr) -> exp.Expr:
            return change(node, ctx) if isinstance(node, kind) else node

        return tree.transform(visit, copy=False)

    return rewrite


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

    return tree.transform(visit, copy=False)


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

    return tree.transform(visit, copy=False)


def any_value_ordered(tree: exp.Expr, ctx: Context) -> exp.Expr:
    """any_value(x ORDER BY y [DESC]) -> arg_min(x, y) / arg_max(x, y) over rows where x is
    known (any_value skips NULLs). Spark has no ordered any_value."""

    def visit(node: exp.Expr) -> exp.Expr:
        inner = node.this if isinstance(node, exp.IgnoreNulls) else node
        if not isinstance(inner, exp.AnyValue) or not isinstance(inner.this, exp.Order):
            return node
        order = inner.this
        if len(order.expressions) != 1:
            raise ValueError("any_value(... ORDER BY) with more than one key")
        key = order.expressions[0]
        value = order.this
        by = exp.If(this=exp.not_(exp.Is(this=value.copy(), expression=exp.null())), true=key.this)
        cls = exp.ArgMax if key.args.get("desc") else exp.ArgMin
        return cls(this=value, expression=exp.Case(ifs=[by]))

    return tree.transform(visit, copy=False)


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
        if not isinstance(node, exp.ArrayAgg):
            return node
        value, keys = node.this, []
        if isinstance(value, exp.Order):
            keys = list(value.expressions)
            value = value.this
        fields = [exp.alias_(k.this.copy(), f"_k{i}") for i, k in enumerate(keys)]
        packed = _fn("collect_list", _fn("struct", *fields, exp.alias_(value.copy(), "_v")))
        if keys:
            packed = _fn("array_sort", packed, _comparator(keys))
        unwrap = exp.Lambda(this=exp.column("_v", table="e"), expressions=[exp.to_identifier("e")])
        return _fn("transform", packed, unwrap)

    return tree.transform(visit, copy=False)


def string_agg_ordered(tree: exp.Expr, ctx: Context) -> exp.Expr:
    """string_agg(x, sep [ORDER BY y]) -> array_join over the ordered list (NULLs skipped)."""

    def visit(node: exp.Expr) -> exp.Expr:
        if not isinstance(node, exp.GroupConcat):
            return node
        sep = node.args.get("separator") or exp.Literal.string(",")
        agg = exp.ArrayAgg(this=node.this)
        return _fn("array_join", ordered_list(agg, ctx), sep)

    return tree.transform(visit, copy=False)


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

    return tree.transform(visit, copy=False)


def list_index(tree: exp.Expr, ctx: Context) -> exp.Expr:
    """l[i] -> try_element_at(l, i): DuckDB's lists count from 1 and give NULL out of range;
    Spark's [] counts from 0 and fails out of range. (sqlglot keeps l[i] for a column i.)"""

    def visit(node: exp.Expr) -> exp.Expr:
        if not isinstance(node, exp.Bracket) or len(node.expressions) != 1:
            return node
        index = node.expressions[0]
        if isinstance(index, exp.Slice) or (isinstance(index, exp.Literal) and index.is_string):
            return node
        if isinstance(index, exp.Literal):  # sqlglot already counted a literal from 0
            index = exp.Literal.number(int(index.this) + 1)
        return _fn("try_element_at", node.this, index)

    return tree.transform(visit, copy=False)


def division_as_double(tree: exp.Expr, ctx: Context) -> exp.Expr:
    """a / b -> CAST(a AS DOUBLE) / b: DuckDB's / always gives DOUBLE; Spark divides two
    decimals as DECIMAL(38,6), which moved match shares across their thresholds."""

    def visit(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Div) and not _is_double(node.this):
            node.set("this", exp.cast(exp.paren(node.this), exp.DataType.Type.DOUBLE))
        return node

    return tree.transform(visit, copy=False)


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

    return tree.transform(visit, copy=False)


def regexp_replace_flags(tree: exp.Expr, ctx: Context) -> exp.Expr:
    """regexp_replace(s, p, r [, flags]): DuckDB replaces the first match unless 'g' is
    given and writes back-references as \\1; Spark replaces every match and writes $1. The
    first-match form becomes a match of everything before it, kept as group 1."""

    def visit(node: exp.Expr) -> exp.Expr:
        if not isinstance(node, exp.RegexpReplace):
            return node
        pattern, repl = node.expression, node.args.get("replacement")
        flags_node = node.args.get("modifiers")
        if not isinstance(pattern, exp.Literal) or not isinstance(repl, exp.Literal):
            raise ValueError("regexp_replace with a computed pattern or replacement")
        flags = str(flags_node.this) if isinstance(flags_node, exp.Literal) else ""
        unknown = set(flags) - set("gi")
        if unknown:
            raise ValueError(f"regexp_replace flags {sorted(unknown)}")
        regex = str(pattern.this)
        if "i" in flags:
            regex = f"(?i){regex}"
        shift = 0
        if "g" not in flags and not _matches_once(str(pattern.this)):
            regex, shift = f"^(?s:(.*?))(?:{regex})", 1
        replacement = _java_replacement(str(repl.this), shift)
        return _fn(
            "regexp_replace",
            node.this,
            exp.Literal.string(regex),
            exp.Literal.string(replacement),
        )

    return tree.transform(visit, copy=False)


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

    return tree.transform(visit, copy=False)


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

    return tree.transform(visit, copy=False)


def jaro_winkler(tree: exp.Expr, ctx: Context) -> exp.Expr:
    """jaro_winkler_similarity(a, b) -> jaro_winkler(a, b), the function Splink's Spark
    similarity jar registers (the engine loads the jar with spark.jars)."""

    def visit(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.JarowinklerSimilarity):
            return _fn("jaro_winkler", node.this, node.expression)
        return node

    return tree.transform(visit, copy=False)


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

    return tree.transform(visit, copy=False)


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

    return tree.transform(visit, copy=False)


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

    return tree.transform(visit, copy=False)


def qualify_names(tree: exp.Expr, ctx: Context) -> exp.Expr:
    """SELECT expr ... QUALIFY w: every unnamed select item named (_col<i>), so the
    subquery Spark needs for QUALIFY can select it (sqlglot fails on unnamed ones)."""
    for select in tree.find_all(exp.Select):
        if select.args.get("qualify") is None:
            continue
        for i, item in enumerate(select.expressions):
            if not isinstance(item, exp.Alias | exp.Column | exp.Star):
                item.replace(exp.alias_(item.copy(), f"_col{i}"))
    return tree


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
    Rule("qualify_names", "SELECT expr ... QUALIFY", qualify_names),
    Rule("ordered_list", "list(x ORDER BY y), array_agg", ordered_list),
    Rule("string_agg_ordered", "string_agg(x, sep ORDER BY y)", string_agg_ordered),
    Rule("list_slice", "l[a:b]", list_slice),
    Rule("list_index", "l[i]", list_index),
    Rule("division_as_double", "a / b on decimals", division_as_double),
    Rule("double_rounding", "round(double, d)", double_rounding),
    Rule("regexp_replace_flags", "regexp_replace(s, p, '\\1' [, 'g'])", regexp_replace_flags),
    Rule("regexp_extract_all_group", "regexp_extract_all(s, p)", regexp_extract_all_group),
    Rule("try_date_parsing", "strptime / try_strptime", try_date_parsing),
    Rule("jaro_winkler", "jaro_winkler_similarity", jaro_winkler),
    Rule("unicode_chr", "chr(n)", unicode_chr),
    Rule("strip_accents", "strip_accents", strip_accents),
    Rule("read_parquet", "read_parquet([...])", read_parquet),
)
