"""Values bound into SQL as literals, typed the way DuckDB types a bound parameter.

Parameters (`?`) and session variables (`getvariable('name')`) become literals before a
statement is parsed for another engine, so no engine needs DuckDB's binding rules.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.tokenizer_core import TokenType

DIALECT = "duckdb"


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
        digits = value.as_tuple()
        exponent = int(digits.exponent) if isinstance(digits.exponent, int) else 0
        scale = max(-exponent, 0)
        precision = min(max(len(digits.digits), scale + 1, 1), 38)
        dtype = exp.DataType.build(f"DECIMAL({max(precision, scale)}, {scale})")
        return exp.cast(exp.Literal.number(str(value)), dtype)
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
    raise TypeError(f"cannot bind a {type(value).__name__} as a SQL literal")


def bind_parameters(sql: str, params: Sequence[Any]) -> str:
    """The statement's `?` placeholders replaced by literals, in DuckDB's dialect.

    Done on tokens, not on the tree: DuckDB accepts `?::VARCHAR[]`, which sqlglot cannot
    parse with the placeholder in place."""
    if not params:
        return sql
    tokens = sqlglot.Dialect.get_or_raise(DIALECT).tokenize(sql)
    spots = [
        t.start
        for t in tokens
        if t.token_type == TokenType.PLACEHOLDER
        or (t.token_type == TokenType.QDCOLON and t.text.startswith("?"))
    ]
    if len(spots) != len(params):
        raise ValueError(f"{len(params)} parameters for {len(spots)} placeholders")
    out, last = [], 0
    for start, value in zip(spots, params, strict=True):
        out.append(sql[last:start])
        out.append(literal(value).sql(DIALECT))
        last = start + 1
    out.append(sql[last:])
    return "".join(out)
