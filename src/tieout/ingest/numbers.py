"""Decimal comma or decimal point: a property of a file's column, decided from all its values.

Localized exports write `7,5` for seven and a half (and `1.234,50` with thousands); others
write `1,234.50`. A value like `1,234` fits both, so a column is read with a decimal comma
only when more of its values fit that style than the usual one, never value by value.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlglot import exp

from tieout.engine import Warehouse

_POINT = r"^[-+]?[£$€]?\(?[-+]?[£$€]?([0-9]{1,3}(,[0-9]{3})+|[0-9]+)?(\.[0-9]+)?\)?\s*%?$"
_COMMA = r"^[-+]?[£$€]?\(?[-+]?[£$€]?([0-9]{1,3}(\.[0-9]{3})+|[0-9]+)?(,[0-9]+)?\)?\s*%?$"


def decimal_comma_columns(
    wh: Warehouse, parquet: exp.Table, columns: Sequence[tuple[str, int]]
) -> frozenset[str]:
    """The fields (name, landed column index) whose column is written with a decimal comma."""
    if not columns:
        return frozenset()
    counts: list[exp.Expr] = []
    for _, index in columns:
        text = exp.func("trim", exp.column(f"c{index}"))
        for pattern in (_POINT, _COMMA):
            fits = exp.RegexpLike(this=text, expression=exp.Literal.string(pattern))
            counts.append(exp.func("count_if", fits))
    row = wh.query(exp.select(*counts).from_(parquet))[0]
    return frozenset(
        name
        for i, (name, _) in enumerate(columns)
        if int(row[2 * i + 1] or 0) > int(row[2 * i] or 0)
    )


def with_decimal_point(text: exp.Expr) -> exp.Expr:
    """`1.234,50` as `1234.50`: thousands points dropped, the decimal comma a point."""
    no_thousands = exp.func("replace", text, exp.Literal.string("."), exp.Literal.string(""))
    return exp.func("replace", no_thousands, exp.Literal.string(","), exp.Literal.string("."))
