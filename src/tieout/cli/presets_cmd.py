"""`tieout presets`: which exports tieout reads natively, and the columns it needs."""

from __future__ import annotations

from typing import Annotated

import typer

from tieout.cli.output import Format, emit
from tieout.config.presets import builtin_presets


def presets(
    fmt: Annotated[
        Format, typer.Option("--format", "-f", help="table, json or csv")
    ] = Format.table,
    canonical: Annotated[bool, typer.Option(help="include the canonical CSV layouts")] = False,
) -> None:
    """List presets with the headers that identify each export."""
    rows = [
        {
            "preset": p.id,
            "loads": ", ".join(p.tables),
            "required columns": ", ".join(p.signature),
            "title": p.title,
        }
        for p in builtin_presets().values()
        if canonical or not p.id.startswith("canonical.")
    ]
    emit(
        rows,
        ["preset", "loads", "required columns", "title"],
        fmt,
        title="Presets",
        wrap=["loads", "required columns", "title"],
    )
