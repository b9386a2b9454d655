"""What a statement does to the warehouse, in engine-neutral terms.

An engine that stores tables as files (Spark writing Parquet) cannot run `UPDATE`,
`DELETE` or `INSERT` in place; it can run a query and write its result. So each statement
becomes one operation: a query to answer, or a table to materialise, append to or replace
with a query's result, and the engine decides how. UPDATE and DELETE become the query that
gives the table's new content; that query is still DuckDB SQL (DuckDB can check it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlglot import exp

DIALECT = "duckdb"
Columns = Callable[[str], list[str]]  # a table's column names, in order


@dataclass(frozen=True)
class Query:
    """A statement that returns rows and changes nothing."""

    query: exp.Query


@dataclass(frozen=True)
class Materialize:
    """CREATE [OR REPLACE] [TEMP] TABLE [IF NOT EXISTS] name AS query."""

    table: str
    query: exp.Query
    temporary: bool = False
    if_not_exists: bool = False  # a table already there stays as it is


@dataclass(frozen=True)
class CreateTable:
    """CREATE TABLE [IF NOT EXISTS] name (columns): an empty table of these types."""

    table: str
    columns: tuple[tuple[str, exp.DataType], ...]
    temporary: bool = False
    if_not_exists: bool = False  # a table already there stays as it is


@dataclass(frozen=True)
class Append:
    """INSERT INTO name [(columns) | BY NAME] query: the query's rows added to the table."""

    table: str
    query: exp.Query
    columns: tuple[str, ...] | None = None
    by_name: bool = False


@dataclass(frozen=True)
class Replace:
    """The table's whole content replaced by the query's rows (an UPDATE or DELETE; with
    `reshaped`, an ALTER TABLE ADD COLUMN: the query's columns are the table's new ones)."""

    table: str
    query: exp.Query
    reshaped: bool = False


@dataclass(frozen=True)
class Drop:
    tables: tuple[str, ...]


@dataclass(frozen=True)
class DefineMacro:
    name: str


@dataclass(frozen=True)
class EngineOnly:
    """Session plumbing with no portable meaning (SET, PRAGMA, CREATE INDEX, ATTACH,
    DESCRIBE, COPY): each engine has its own method for what it is for."""

    statement: exp.Expr | None
    what: str = field(default="")


Operation = Query | Materialize | CreateTable | Append | Replace | Drop | DefineMacro | EngineOnly


class NotPortableError(ValueError):
    """A statement no operation describes; the message names the construct."""


def table_name(node: exp.Expr) -> str:
    table = node.this if isinstance(node, exp.Schema) else node
    if not isinstance(table, exp.Table):
        raise NotPortableError(f"not a table: {node.sql(DIALECT)}")
    return ".".join(p.name for p in table.parts).lower()


def operation(tree: exp.Expr, columns: Columns) -> Operation:
    """The operation one parsed DuckDB statement performs."""
    if isinstance(tree, exp.Query):
        return Query(tree)
    if isinstance(tree, exp.Create):
        return _create(tree)
    if isinstance(tree, exp.Insert):
        return _insert(tree)
    if isinstance(tree, exp.Update):
        return Replace(table_name(tree.this), _update(tree, columns(table_name(tree.this))))
    if isinstance(tree, exp.Delete):
        return Replace(table_name(tree.this), _delete(tree))
    if isinstance(tree, exp.Alter) and _adds_columns(tree):
        return Replace(table_name(tree.this), _add_columns(tree), reshaped=True)
    if isinstance(tree, exp.Drop):
        if str(tree.args.get("kind") or "").upper() not in ("TABLE", "VIEW"):
            return EngineOnly(tree, f"DROP {tree.args.get('kind')}")
        return Drop(tuple(table_name(t) for t in tree.args.get("tables") or []))
    kind = type(tree).__name__.upper()
    return EngineOnly(tree, kind)


def _create(tree: exp.Create) -> Operation:
    kind = str(tree.args.get("kind") or "").upper()
    if kind == "MACRO":
        return DefineMacro(tree.this.this.name.lower())
    if kind not in ("TABLE", "VIEW"):
        return EngineOnly(tree, f"CREATE {kind}")
    props = tree.args.get("properties")
    temporary = bool(props and props.find(exp.TemporaryProperty))
    name = table_name(tree.this)
    keep = bool(tree.args.get("exists"))
    if isinstance(tree.expression, exp.Query):
        return Materialize(name, tree.expression, temporary, keep)
    schema = tree.this
    if not isinstance(schema, exp.Schema):
        raise NotPortableError(f"CREATE TABLE {name} with neither columns nor a query")
    cols = tuple(
        (c.name, c.args["kind"])
        for c in schema.expressions
        if isinstance(c, exp.ColumnDef) and c.args.get("kind") is not None
    )
    return CreateTable(name, cols, temporary, keep)


def _insert(tree: exp.Insert) -> Append:
    if tree.args.get("overwrite") or tree.args.get("conflict") or tree.args.get("returning"):
        raise NotPortableError("INSERT OR REPLACE / ON CONFLICT / RETURNING")
    target = tree.this
    names = None
    if isinstance(target, exp.Schema):
        names = tuple(c.name for c in target.expressions)
    source = tree.expression
    if isinstance(source, exp.Values):
        alias = exp.TableAlias(
            this=exp.to_identifier("_values"),
            columns=[exp.to_identifier(f"col{i}") for i in range(_width(source))],
        )
        source = exp.select("*").from_(exp.Values(expressions=source.expressions, alias=alias))
    if not isinstance(source, exp.Query):
        raise NotPortableError(f"INSERT from {type(source).__name__}")
    return Append(table_name(target), source, names, bool(tree.args.get("by_name")))


def _adds_columns(tree: exp.Alter) -> bool:
    actions = tree.args.get("actions") or []
    return str(tree.args.get("kind") or "").upper() == "TABLE" and all(
        isinstance(a, exp.ColumnDef) and a.args.get("kind") is not None for a in actions
    )


def _add_columns(tree: exp.Alter) -> exp.Query:
    """ALTER TABLE t ADD COLUMN c type [DEFAULT v]: t's rows with c = v (else NULL)."""
    items: list[exp.Expr] = [exp.Star()]
    for action in tree.args.get("actions") or []:
        default: exp.Expr = exp.null()
        for constraint in action.args.get("constraints") or []:
            if isinstance(constraint.args.get("kind"), exp.DefaultColumnConstraint):
                default = constraint.args["kind"].this.copy()
        cast = exp.Cast(this=default, to=action.args["kind"].copy())
        items.append(exp.alias_(cast, action.name, quoted=True))
    return exp.select(*items).from_(tree.this.copy())


def _width(values: exp.Values) -> int:
    first = values.expressions[0]
    return len(first.expressions) if isinstance(first, exp.Tuple) else 1


def _delete(tree: exp.Delete) -> exp.Query:
    """DELETE FROM t WHERE w: the rows that stay (w false or unknown)."""
    if tree.args.get("using") or tree.args.get("returning"):
        raise NotPortableError("DELETE ... USING / RETURNING")
    where = tree.args.get("where")
    keep: exp.Expr = exp.false()
    if where is not None:
        keep = exp.func("coalesce", exp.not_(exp.paren(where.this.copy())), exp.true())
    return exp.select("*").from_(tree.this.copy()).where(keep)


def _update(tree: exp.Update, columns: list[str]) -> exp.Query:
    """UPDATE t SET c = e [FROM f] WHERE w: the table's new content.

    Without FROM, each assigned column is CASE WHEN w THEN e ELSE c END. With FROM, the
    rows w pairs with a row of f take the new values (one row per pair, so f must match a
    row at most once, as DuckDB requires for a defined result) and the others stay."""
    if tree.args.get("returning"):
        raise NotPortableError("UPDATE ... RETURNING")
    target = tree.this
    ref = target.alias_or_name
    assigned: dict[str, exp.Expr] = {}
    for eq in tree.expressions:
        assigned[eq.this.name.lower()] = eq.expression
    unknown = set(assigned) - {c.lower() for c in columns}
    if unknown:
        raise NotPortableError(f"UPDATE sets columns the table lacks: {sorted(unknown)}")
    where = tree.args.get("where")
    cond = where.this if where is not None else None
    source = tree.args.get("from_") or tree.args.get("from")

    def column(name: str) -> exp.Column:
        return exp.column(name, table=ref, quoted=True)

    if source is None:
        items: list[exp.Expr] = []
        for c in columns:
            new = assigned.get(c.lower())
            if new is None:
                items.append(column(c))
            elif cond is None:
                items.append(exp.alias_(new.copy(), c, quoted=True))
            else:
                case = exp.Case(ifs=[exp.If(this=cond.copy(), true=new.copy())], default=column(c))
                items.append(exp.alias_(case, c, quoted=True))
        return exp.select(*items).from_(target.copy())
    joined = exp.select(
        *[
            exp.alias_(assigned[c.lower()].copy(), c, quoted=True)
            if c.lower() in assigned
            else column(c)
            for c in columns
        ]
    ).from_(target.copy())
    joined = joined.join(source.this.copy(), join_type="cross")
    if cond is not None:
        joined = joined.where(cond.copy())
    match = exp.select("1").from_(source.this.copy())
    if cond is not None:
        match = match.where(cond.copy())
    kept = exp.select(*[column(c) for c in columns]).from_(target.copy())
    kept = kept.where(exp.not_(exp.Exists(this=match)))
    return exp.union(joined, kept, distinct=False)
