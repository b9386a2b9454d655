"""Spark rewrites of query structure: correlated and nested subqueries, QUALIFY,
UNION BY NAME, duplicate output names, the catalog and Parquet reads."""

from __future__ import annotations

from sqlglot import exp

from tieout.engine.dialect.base import Context, _anon_name, _bottom_up, _fn


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


def row_to_json(tree: exp.Expr, ctx: Context) -> exp.Expr:
    """to_json(t) of a table alias t (the whole row) -> to_json(struct(t.*)). The text is
    each engine's own (number and key formatting), so it serves as a row's fingerprint
    within one engine, not across engines."""
    from sqlglot.optimizer.scope import traverse_scope

    for scope in traverse_scope(tree):
        aliases = {name.lower() for name in scope.sources}
        for node in list(scope.walk()):
            if _anon_name(node) != "to_json" or len(node.expressions) != 1:
                continue
            arg = node.expressions[0]
            if isinstance(arg, exp.Column) and not arg.table and arg.name.lower() in aliases:
                star = exp.Column(this=exp.Star(), table=exp.to_identifier(arg.name))
                arg.replace(_fn("struct", star))
    return tree


def filter_subquery(tree: exp.Expr, ctx: Context) -> exp.Expr:
    """agg(x) FILTER (WHERE ... (SELECT v FROM t) ...) -> the subquery cross-joined once as a
    one-row table and read as its column: Spark refuses a subquery inside a higher-order
    function, which an ordered list() with FILTER becomes (ordered_list). Only a subquery
    reading nothing of the outer query (its columns all name its own tables)."""
    for i, sub in enumerate(list(tree.find_all(exp.Subquery))):
        select = sub.this
        if not isinstance(select, exp.Select) or len(select.expressions) != 1:
            continue
        if not isinstance(sub.parent, exp.Expr) or sub.find_ancestor(exp.Filter) is None:
            continue
        outer = sub.find_ancestor(exp.Select)
        if outer is None or not (outer.args.get("from") or outer.args.get("from_")):
            continue
        own = {t.alias_or_name.lower() for t in select.find_all(exp.Table)}
        if any(c.table and c.table.lower() not in own for c in select.find_all(exp.Column)):
            continue
        if any(not c.table for c in select.find_all(exp.Column)) and len(own) != 1:
            continue
        name = f"_filter_value{i}"
        one_row = select.copy()
        one_row.set("expressions", [exp.alias_(select.expressions[0].copy(), "v")])
        sub.replace(exp.column("v", table=name))
        outer.join(one_row.subquery(name), join_type="CROSS", copy=False)
    return tree


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
