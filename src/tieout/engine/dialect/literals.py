"""Values bound into SQL as literals, typed the way DuckDB types a bound parameter.

This is the one way a value reaches SQL: a statement names it `:name` and the caller
passes a mapping; `bind` puts each value in as a literal before the statement reaches any
engine, so no engine needs its own binding rules and the SQL that ran is the SQL recorded.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.tokenizer_core import TokenType

DIALECT = "duckdb"
MAX_DECIMAL_WIDTH = 38  # wider Python decimals bind as DOUBLE in DuckDB

# a token after which a colon separates (a struct key, a slice bound, a prefix alias)
# rather than starting a placeholder, when nothing stands between them
_OPERAND_END = {
    TokenType.STRING,
    TokenType.NUMBER,
    TokenType.VAR,
    TokenType.IDENTIFIER,
    TokenType.R_PAREN,
    TokenType.R_BRACKET,
    TokenType.R_BRACE,
}
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def literal(value: Any) -> exp.Expr:
    """A sqlglot literal for a Python value (DuckDB's type for it as a parameter)."""
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int):
        return exp.Literal.number(value)
    if isinstance(value, float):
        return exp.cast(exp.Literal.number(repr(value)), exp.DataType.Type.DOUBLE)
    if isinstance(value, Decimal):
        return _decimal(value)
    if isinstance(value, str):
        return exp.Literal.string(value)
    if isinstance(value, dt.datetime):
        kind = "TIMESTAMPTZ" if value.tzinfo else "TIMESTAMP"
        text = value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value
        return exp.cast(exp.Literal.string(text.isoformat(sep=" ")), kind)
    if isinstance(value, dt.date):
        return exp.cast(exp.Literal.string(value.isoformat()), exp.DataType.Type.DATE)
    if isinstance(value, list | tuple):
        return exp.Array(expressions=[literal(v) for v in value])
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        fields = [
            exp.PropertyEQ(this=exp.to_identifier(k, quoted=True), expression=literal(v))
            for k, v in value.items()
        ]
        return exp.Struct(expressions=fields)
    raise TypeError(f"cannot bind a {type(value).__name__} as a SQL literal")


def _decimal(value: Decimal) -> exp.Expr:
    """DECIMAL(width, scale) as DuckDB's Python binding reads the decimal's digits: a
    DECIMAL parameter stays DECIMAL (never DOUBLE) up to 38 digits."""
    digits = value.as_tuple()
    if not isinstance(digits.exponent, int):
        raise TypeError(f"cannot bind {value} as a SQL literal")
    if digits.exponent >= 0:
        width, scale = len(digits.digits) + digits.exponent, 0
    else:
        scale = -digits.exponent
        width = scale + 1 if scale > len(digits.digits) else len(digits.digits)
    number = exp.Literal.number(str(value) if digits.exponent <= 0 else format(value, "f"))
    if width > MAX_DECIMAL_WIDTH:
        return exp.cast(number, exp.DataType.Type.DOUBLE)
    return exp.cast(number, exp.DataType.build(f"DECIMAL({width}, {scale})"))


def placeholders(sql: str) -> list[tuple[int, int, str]]:
    """(start, end, name) of every `:name` placeholder in a DuckDB statement or script.

    Found on tokens, not on a tree: one pass serves a whole script, and DuckDB writes
    `:name::DATE` or `alias: expr` where a parser would stumble. A colon right after an
    operand is a separator (`{'a':b}`, `l[i:j]`), not a placeholder."""
    tokens = sqlglot.Dialect.get_or_raise(DIALECT).tokenize(sql)
    found = []
    for i, colon in enumerate(tokens[:-1]):
        if colon.token_type != TokenType.COLON:
            continue
        name = tokens[i + 1]
        if name.start != colon.end + 1 or not _NAME.fullmatch(name.text):
            continue
        before = tokens[i - 1] if i else None
        if before and before.end + 1 == colon.start and before.token_type in _OPERAND_END:
            continue
        found.append((colon.start, name.end + 1, name.text))
    return found


def bind(sql: str, params: Mapping[str, Any] | None) -> str:
    """The statement (or script) with every `:name` replaced by its value as a literal.

    Every placeholder must have a value (a typo fails here, not as NULL); values no
    placeholder names are allowed, so one mapping can serve several statements."""
    if not params:
        return sql
    out, last = [], 0
    for start, end, name in placeholders(sql):
        if name not in params:
            raise KeyError(f"no value for :{name}")
        out.append(sql[last:start])
        out.append(literal(params[name]).sql(DIALECT))
        last = end
    out.append(sql[last:])
    return "".join(out)
