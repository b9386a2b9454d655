"""Canonical rows as they are written: ids and lineage, the same for every source."""

from __future__ import annotations

from sqlglot import exp

from tieout.config.presets import ResolvedTable
from tieout.engine import Warehouse, render
from tieout.ingest.fieldsql import concat_ws
from tieout.model import LINEAGE_NAMES, table


def insert_rows(wh: Warehouse, spec: ResolvedTable, system: str, rows: exp.Select) -> None:
    """Write mapped rows to their canonical table with a stable id (table, system, object
    and native id hashed: the same record gets the same id on every run) and lineage."""
    tbl = table(spec.name)
    ident = exp.func(
        "concat",
        exp.Literal.string(f"{spec.name}_"),
        exp.Substring(
            this=exp.MD5(
                this=concat_ws(
                    "|",
                    exp.Literal.string(system),
                    exp.Literal.string(spec.object),
                    exp.column("native_id"),
                )
            ),
            start=exp.Literal.number(1),
            length=exp.Literal.number(16),
        ),
    )
    lineage = {
        "source_system": exp.Literal.string(system),
        "source_object": exp.Literal.string(spec.object),
        "native_id": exp.column("native_id"),
        "load_id": exp.column("_load"),
        "source_file": exp.column("_file"),
        "source_row": exp.column("_row"),
    }
    values: list[exp.Expr] = [ident]
    for col in tbl.business_columns:
        values.append(exp.column(col.name, quoted=True))
    values += [lineage[n] for n in LINEAGE_NAMES]
    select = exp.select(*values).from_(rows.subquery("k")).order_by("_file", "_row")
    cols = ", ".join(f'"{c.name}"' for c in tbl.all_columns)
    wh.execute(f'INSERT INTO "{spec.name}" ({cols}) {render(select)}')
