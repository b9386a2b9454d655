"""Spark rewrites of text functions: regular expressions (flags, back-references,
groups, escaping), date parsing patterns, Jaro-Winkler, chr() and accents."""

from __future__ import annotations

import unicodedata
from functools import cache

from sqlglot import exp

from tieout.engine.dialect.base import Context, _anon_name, _bottom_up, _fn


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
