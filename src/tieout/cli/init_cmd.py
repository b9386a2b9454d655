"""`tieout init DIR [--from EXPORTS]`: scaffold a project, recognising exports by header."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Annotated, Any

import typer

from tieout.cli.common import reported_errors
from tieout.cli.output import Format, console, emit
from tieout.config import PROJECT_FILE
from tieout.config.scaffold import write_project
from tieout.errors import TieoutError, UsageError
from tieout.ingest.detect import EXPORT_SUFFIXES, Recognition, recognise


def init(
    directory: Annotated[Path, typer.Argument(help="project directory to create")],
    from_: Annotated[
        Path | None, typer.Option("--from", help="folder of exports to recognise")
    ] = None,
    force: Annotated[bool, typer.Option(help="overwrite an existing tieout.yml")] = False,
) -> None:
    """Create tieout.yml; with --from, one source per recognised export."""
    with reported_errors():
        if (directory / PROJECT_FILE).exists() and not force:
            raise UsageError(f"{directory / PROJECT_FILE} exists (use --force to overwrite)")
        sources: list[dict[str, Any]] = []
        unplaced: list[Recognition] = []
        if from_ is not None:
            if not from_.is_dir():
                raise UsageError(f"--from {from_}: not a folder")
            found = _recognise_all(from_)
            sources = _sources(directory, [r for r in found if r.preset])
            unplaced = [r for r in found if not r.preset]
        target = write_project(directory, name=directory.resolve().name, sources=sources)
    console.print(f"wrote [bold]{target}[/] with {len(sources)} source(s)")
    if sources:
        emit(sources, ["name", "preset", "path"], Format.table, wrap=["name", "preset", "path"])
    for r in unplaced:
        console.print(f"[yellow]not placed:[/] {r.path}")
        if r.nearest:
            console.print(
                f"    nearest preset {r.nearest}; missing columns: {', '.join(r.missing) or '-'}"
            )
        console.print(
            f"    columns no preset reads: {', '.join(r.extra[:12]) or '-'}"
            + (" ..." if len(r.extra) > 12 else "")
        )
    if unplaced:
        console.print("Map them column by column in tieout.yml (system, object, table, fields).")


def _recognise_all(folder: Path) -> list[Recognition]:
    out: list[Recognition] = []
    for path in sorted(p for p in folder.rglob("*") if p.suffix.lower() in EXPORT_SUFFIXES):
        try:
            out.append(recognise(path))
        except TieoutError as exc:
            console.print(f"[yellow]skipped:[/] {exc}")
    return out


def _sources(project_dir: Path, found: list[Recognition]) -> list[dict[str, Any]]:
    """One source per preset and folder; several files of one kind become a glob."""
    groups: dict[tuple[Path, str, str], list[Path]] = defaultdict(list)
    for r in found:
        assert r.preset is not None
        groups[(r.path.parent, r.preset, r.path.suffix.lower())].append(r.path)
    sources: list[dict[str, Any]] = []
    used: set[str] = set()
    for (parent, preset, suffix), paths in sorted(groups.items()):
        siblings = [p for p in parent.iterdir() if p.suffix.lower() == suffix]
        if len(paths) > 1 and len(siblings) == len(paths):
            target = parent / f"*{suffix}"
        elif len(paths) > 1:
            target = parent / f"{_common_prefix(paths)}*{suffix}"
        else:
            target = paths[0]
        name = _unique(re.sub(r"[^a-z0-9]+", "_", preset.lower()).strip("_"), used)
        sources.append({"name": name, "path": _relative(target, project_dir), "preset": preset})
    return sources


def _common_prefix(paths: list[Path]) -> str:
    stems = [p.stem for p in paths]
    prefix = stems[0]
    for s in stems[1:]:
        while not s.startswith(prefix):
            prefix = prefix[:-1]
    return prefix


def _unique(name: str, used: set[str]) -> str:
    candidate, n = name, 2
    while candidate in used:
        candidate, n = f"{name}_{n}", n + 1
    used.add(candidate)
    return candidate


def _relative(path: Path, project_dir: Path) -> str:
    try:
        return str(path.resolve().relative_to(project_dir.resolve()))
    except ValueError:
        return str(path.resolve())
