"""Rules as conditions: a rule names its `subject` (one table whose row is one finding
candidate) and SQL expressions over that row: `where` (the condition), `amount`, `detail`
and optionally `currency`. The runner adds what every finding needs the same way: the
source records (the row's `refs` column, else its own lineage), the customer (the row's
`account_key`, else its customer column through the facts layer's `customer_key`) and the
currency (the row's `currency` column unless the rule says otherwise).

A condition is checked on its own before it is composed: every column it names is one of
the subject's, every `:name` a parameter of the rule, every function a data function.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlglot import exp

from tieout.errors import did_you_mean
from tieout.model import TABLE_MAP, Table
from tieout.model.schema import REFS
from tieout.model.sqlcheck import (
    DIALECT,
    UnknownColumnsError,
    UnsafeSQLError,
    checked_expression,
)

ALIAS = "subject"
# the columns a record names its customer by, in the order they are tried
CUSTOMER_COLUMNS = ("account_native_id", "customer_name")


class ConditionError(UnsafeSQLError):
    """What is wrong with one key of a condition rule."""

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        super().__init__(message)


@dataclass(frozen=True)
class Condition:
    subject: str
    where: str
    detail: str
    amount: str | None = None
    currency: str | None = None

    def query(self, placeholders: Collection[str]) -> str:
        """The whole query (DuckDB SQL, `:name` placeholders kept) selecting account_key,
        amount, currency, refs and detail for every row of the subject that meets `where`;
        raises ConditionError naming the key at fault."""
        table = subject_table(self.subject)
        columns = set(table.column_map)
        exprs = {
            key: _qualified(_checked(key, sql, columns, placeholders))
            for key, sql in (
                ("where", self.where),
                ("detail", self.detail),
                ("amount", self.amount),
                ("currency", self.currency),
            )
            if sql is not None
        }
        account, joins = _customer(table)
        select = exp.select(
            exp.alias_(account, "account_key"),
            exp.alias_(
                exp.cast(exprs.get("amount", exp.null()), "DECIMAL(18, 2)", dialect=DIALECT),
                "amount",
            ),
            exp.alias_(exprs.get("currency", _default_currency(table)), "currency"),
            exp.alias_(_refs(table), "refs"),
            exp.alias_(exprs["detail"], "detail"),
        ).from_(exp.to_table(table.name).as_(ALIAS))
        for join in joins:
            select = select.join(join)
        return _with_colons(select.where(exprs["where"])).sql(DIALECT, pretty=True)


def subject_table(name: str) -> Table:
    if name not in TABLE_MAP:
        raise ConditionError("subject", f"unknown subject {name!r}{did_you_mean(name, TABLE_MAP)}")
    table = TABLE_MAP[name]
    if table.derived and not _has_refs(table):
        raise ConditionError(
            "subject",
            f"subject {name!r} names no source records (no lineage, no refs column): "
            "a finding must point back to the source",
        )
    return table


def _checked(key: str, sql: str, columns: set[str], placeholders: Collection[str]) -> exp.Expr:
    try:
        tree = checked_expression(sql, columns, placeholders)
    except UnknownColumnsError as problem:
        names = ", ".join(problem.names)
        raise ConditionError(key, f"the subject has no column(s) {names}") from None
    except UnsafeSQLError as problem:
        raise ConditionError(key, str(problem)) from None
    for column in tree.find_all(exp.Column):
        if column.table and column.table not in columns:
            message = f"name the subject's columns without a table: {column.sql(DIALECT)}"
            raise ConditionError(key, message)
    return tree


def _qualified(tree: exp.Expr) -> exp.Expr:
    """Every bare column read from the subject's row, so the runner's joins never clash."""
    for column in list(tree.find_all(exp.Column)):
        if not column.table:
            column.set("table", exp.to_identifier(ALIAS))
    return tree


def _with_colons(tree: exp.Expr) -> exp.Expr:
    """Placeholders written back as the rule's author wrote them (`:name`)."""
    return tree.transform(lambda n: exp.var(f":{n.name}") if isinstance(n, exp.Placeholder) else n)


def _column(name: str) -> exp.Column:
    return exp.column(name, table=ALIAS)


def _has_refs(table: Table) -> bool:
    return "refs" in table.column_map and table.column_map["refs"].type == REFS


def _refs(table: Table) -> exp.Expr:
    if _has_refs(table):
        return _column("refs")
    own = exp.Struct(
        expressions=[
            exp.PropertyEQ(this=exp.to_identifier(key), expression=_column(column))
            for key, column in (
                ("system", "source_system"),
                ("object", "source_object"),
                ("native_id", "native_id"),
            )
        ]
    )
    return exp.Array(expressions=[own])


def _default_currency(table: Table) -> exp.Expr:
    if "currency" in table.column_map:
        return _column("currency")
    return exp.cast(exp.null(), "VARCHAR")


def _customer(table: Table) -> tuple[exp.Expr, list[exp.Join]]:
    """The row's golden customer: its own account_key, else the facts layer's customer_key
    for the first column that names its customer; none for a row that names no customer."""
    if "account_key" in table.column_map:
        return _column("account_key"), []
    named = [_column(c) for c in CUSTOMER_COLUMNS if c in table.column_map]
    if not named or table.derived:
        return exp.cast(exp.null(), "VARCHAR"), []
    key = "subject_customer"
    native = named[0] if len(named) == 1 else exp.func("coalesce", *named)
    join = exp.Join(
        this=exp.to_table("customer_key").as_(key),
        side="LEFT",
        on=exp.and_(
            exp.EQ(
                this=exp.column("source_system", table=key), expression=_column("source_system")
            ),
            exp.EQ(this=exp.column("native_id", table=key), expression=native),
        ),
    )
    return exp.column("golden_key", table=key), [join]
