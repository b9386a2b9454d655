"""Salesforce ids in SQL: kept in the 18-character form exports write, whichever form a
file or a reference carries (typing and canonical loading both build on these)."""

from __future__ import annotations

from sqlglot import exp

_SFID = r"^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$"
SF_EMPTY = r"^0{15}(AAA)?$"  # what Data Export writes for an empty lookup
_SF_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
# each of five characters is 1 when upper case; the first counts 1, the fifth 16
_SF_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_SF_BITS = "1" * 26 + "0" * 36
_SF_LOOKUP = "".join("|" + format(n, "05b")[::-1] for n in range(32))


def matches(text: exp.Expr, pattern: str) -> exp.Expr:
    return exp.RegexpLike(this=text, expression=exp.Literal.string(pattern))


def salesforce_id(text: exp.Expr) -> exp.Expr:
    """A valid id in its 18-character form, else NULL (the caller reports it)."""
    return exp.Case().when(matches(text, _SFID), salesforce_18(text))


def system_id(system: str, text: exp.Expr) -> exp.Expr:
    """An id (or a reference to one) in the one form its system's records are kept in."""
    return salesforce_18(text) if system == "salesforce" else text


def salesforce_18(text: exp.Expr) -> exp.Expr:
    """The 18-character id as exports write it: the 15-character body and its suffix.

    The suffix is recomputed from the body (for a real 18-character id that changes
    nothing), so a 15-character reference and an id whose suffix a tool mangled both
    name the record they belong to.

    The suffix encodes which of the 15 characters are upper case, five at a time, so
    the 15- and 18-character forms of one record become one id that case-insensitive
    tools (Excel look-ups, most BI tools) also keep apart.
    """

    suffix: list[exp.Expr] = []
    for chunk in range(3):
        five = exp.Substring(
            this=text, start=exp.Literal.number(chunk * 5 + 1), length=exp.Literal.number(5)
        )
        bits = exp.func(
            "translate", five, exp.Literal.string(_SF_CHARS), exp.Literal.string(_SF_BITS)
        )
        at = exp.func(
            "instr",
            exp.Literal.string(_SF_LOOKUP),
            exp.func("concat", exp.Literal.string("|"), bits),
        )
        index = exp.IntDiv(
            this=exp.Paren(this=exp.Sub(this=at, expression=exp.Literal.number(1))),
            expression=exp.Literal.number(6),
        )
        suffix.append(
            exp.Substring(
                this=exp.Literal.string(_SF_SUFFIX),
                start=exp.Add(this=index, expression=exp.Literal.number(1)),
                length=exp.Literal.number(1),
            )
        )
    body = exp.Substring(this=text, start=exp.Literal.number(1), length=exp.Literal.number(15))
    return exp.Case().when(matches(text, _SFID), exp.func("concat", body, *suffix)).else_(text)
