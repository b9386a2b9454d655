"""Why a row is refused or warned about, as SQL over the staged rows: an empty id or
required column, a value outside its enumeration, a duplicate id (canonical.py applies them)."""

from __future__ import annotations

from sqlglot import exp

from tieout.config.presets import ResolvedTable
from tieout.ingest.fieldsql import concat_ws
from tieout.model import table


def problems(spec: ResolvedTable) -> exp.Expr:
    """Why a mapped row cannot enter its table (NULL when it can)."""
    tbl = table(spec.name)
    checks: list[exp.Expr] = [
        exp.Case().when(
            exp.column("native_id").is_(exp.null()),
            exp.Literal.string("the row has no id (its id column is empty)"),
        )
    ]
    for col in tbl.business_columns:
        ref = exp.column(col.name, quoted=True)
        if col.required:
            checks.append(
                exp.Case().when(
                    ref.is_(exp.null()), exp.Literal.string(f"{col.name} is required but empty")
                )
            )
        if col.enum:
            allowed = [exp.Literal.string(v) for v in col.enum]
            bad = exp.and_(ref.is_(exp.null()).not_(), exp.In(this=ref, expressions=allowed).not_())
            checks.append(
                exp.Case().when(
                    bad,
                    exp.func(
                        "concat",
                        exp.Literal.string(f"{col.name} '"),
                        ref,
                        exp.Literal.string(f"' is not one of {', '.join(col.enum)}"),
                    ),
                )
            )
    return exp.func("nullif", concat_ws("; ", *checks), exp.Literal.string(""))


def with_warning(problem: exp.Expr) -> exp.Expr:
    """A row refused for an empty required column says which unreadable value emptied it."""
    return (
        exp.Case()
        .when(
            exp.and_(problem.is_(exp.null()).not_(), exp.column("_warning").is_(exp.null()).not_()),
            concat_ws("; ", problem, exp.column("_warning")),
        )
        .else_(problem)
    )


def warned(kept: exp.Expr) -> exp.Expr:
    """The kept rows whose reading warned (a value read but doubtful)."""
    return exp.and_(kept, exp.column("_warning").is_(exp.null()).not_())


def rejection() -> exp.Expr:
    """Why a staged row is quarantined: its problems, else a duplicate id."""
    return (
        exp.Case()
        .when(exp.column("_problem").is_(exp.null()).not_(), exp.column("_problem"))
        .when(
            exp.column("_exists"),
            exp.func(
                "concat",
                exp.Literal.string("duplicate id '"),
                exp.column("native_id"),
                exp.Literal.string("': already loaded by another source"),
            ),
        )
        .else_(
            exp.func(
                "concat",
                exp.Literal.string("duplicate id '"),
                exp.column("native_id"),
                exp.Literal.string("' (first at "),
                exp.column("_first_file"),
                exp.Literal.string(" row "),
                exp.cast(exp.column("_first_row"), "VARCHAR"),
                exp.Literal.string(")"),
            )
        )
    )
