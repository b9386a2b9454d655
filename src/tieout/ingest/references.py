"""Reference checks: a row that names a record its own system did not export is quarantined."""

from __future__ import annotations

from sqlglot import exp

from tieout.engine import Warehouse
from tieout.ingest import quarantine
from tieout.ingest.canonical import PrimaryLoad, is_file
from tieout.model import TABLES

DANGLING = "_ingest_dangling"


def check_references(wh: Warehouse, loads: list[PrimaryLoad]) -> None:
    """Quarantine rows naming a record their own system exported no row for.

    Runs parents first (model order), so a line whose quote was quarantined goes too.
    Only checked when the system exported any rows of the referenced table at all.
    """
    by_table: dict[str, list[PrimaryLoad]] = {}
    for load in loads:
        by_table.setdefault(load.table, []).append(load)
    for tbl in TABLES:
        for load in by_table.get(tbl.name, []):
            for col in tbl.business_columns:
                if col.references and wh.scalar(
                    f'SELECT count(*) FROM "{col.references}" WHERE source_system = :system',
                    {"system": load.system},
                ):
                    _quarantine_dangling(wh, load, col.name, col.references)


def _system_exported(wh: Warehouse, table_name: str, system: str) -> bool:
    query = (
        exp.select("1")
        .from_(table_name)
        .where(exp.column("source_system").eq(exp.Literal.string(system)))
        .limit(1)
    )
    return bool(wh.query(query))


def _with_parent_quarantine(missing: exp.Select, system: str, target: str) -> exp.Select:
    """Each dangling reference with the quarantined row it names, when there is one."""
    parent = (
        exp.select(
            exp.alias_(exp.column("native_id"), "parent_id"),
            exp.alias_(exp.Min(this=exp.column("source_file")), "parent_file"),
            exp.alias_(exp.Min(this=exp.column("source_row")), "parent_row"),
            exp.alias_(exp.Min(this=exp.column("reason")), "parent_reason"),
        )
        .from_("quarantine")
        .where(
            exp.and_(
                exp.column("source_system").eq(exp.Literal.string(system)),
                exp.column("target_table").eq(exp.Literal.string(target)),
                exp.column("native_id").is_(exp.null()).not_(),
            )
        )
        .group_by("native_id")
    )
    return (
        exp.select("d.*", "p.parent_file", "p.parent_row", "p.parent_reason")
        .from_(missing.subquery("d"))
        .join(
            parent.subquery("p"),
            on=exp.column("parent_id", "p").eq(exp.column("value", "d")),
            join_type="left",
        )
    )


def _quarantine_dangling(wh: Warehouse, load: PrimaryLoad, column: str, target: str) -> None:
    same_source = exp.and_(
        exp.column("source_system", "t").eq(exp.Literal.string(load.system)),
        exp.column("source_object", "t").eq(exp.Literal.string(load.object)),
    )
    known = (
        exp.select("1")
        .from_(exp.to_table(target, alias="r"))
        .where(
            exp.and_(
                exp.column("source_system", "r").eq(exp.column("source_system", "t")),
                exp.column("native_id", "r").eq(exp.column(column, "t", quoted=True)),
            )
        )
    )
    missing = (
        exp.select(
            exp.alias_(exp.column("source_file", "t"), "_file"),
            exp.alias_(exp.column("source_row", "t"), "_row"),
            exp.alias_(exp.column(column, "t", quoted=True), "value"),
        )
        .from_(exp.to_table(load.table, alias="t"))
        .where(
            exp.and_(
                same_source,
                exp.column(column, "t", quoted=True).is_(exp.null()).not_(),
                exp.Exists(this=known).not_(),
            )
        )
    )
    wh.create_temp_table(DANGLING, _with_parent_quarantine(missing, load.system, target))
    if not wh.count(DANGLING):
        return
    article = "an" if target[0] in "aeiou" else "a"
    reason = (
        exp.Case()
        .when(
            exp.column("parent_file").is_(exp.null()).not_(),
            exp.func(
                "concat",
                exp.Literal.string(f"{column} '"),
                exp.column("value"),
                exp.Literal.string(f"' names {article} {target} that was quarantined ("),
                exp.column("parent_file"),
                exp.Literal.string(" row "),
                exp.cast(exp.column("parent_row"), "VARCHAR"),
                exp.Literal.string(": "),
                exp.column("parent_reason"),
                exp.Literal.string(")"),
            ),
        )
        .else_(
            exp.func(
                "concat",
                exp.Literal.string(f"{column} '"),
                exp.column("value"),
                exp.Literal.string(f"' names {article} {target} that {load.system} did not export"),
            )
        )
    )
    for f in load.files:
        quarantine.add_rows(
            wh,
            source=load.source,
            table=load.table,
            landed=f,
            rows=exp.select(
                "_row",
                exp.alias_(exp.Literal.string(column), "column_name"),
                exp.alias_(reason, "reason"),
            )
            .from_(DANGLING)
            .where(is_file(f)),
        )
    dangling_row = (
        exp.select("1")
        .from_(exp.to_table(DANGLING, alias="d"))
        .where(
            exp.and_(
                exp.column("_file", "d").eq(exp.column("source_file", "t")),
                exp.column("_row", "d").eq(exp.column("source_row", "t")),
            )
        )
    )
    wh.execute(
        exp.delete(
            exp.to_table(load.table, alias="t"),
            exp.and_(same_source, exp.Exists(this=dangling_row)),
        )
    )
    wh.drop_table(DANGLING)
