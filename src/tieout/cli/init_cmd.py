"""`tieout init DIR [--from EXPORTS]`: scaffold a project, recognising exports by header."""

from __future__ import annotations

import glob
import re
from collections import defaultdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from tieout.cli.common import reported_errors
from tieout.cli.output import Format, console, emit
from tieout.config import PROJECT_FILE
from tieout.config.scaffold import write_project
from tieout.errors import TieoutError, UsageError
from tieout.ingest.detect import EXPORT_SUFFIXES, Recognition, recognise_file
from tieout.ingest.fieldsql import normalise_header

_SEPARATORS = "-_ ."


def init(
    directory: Annotated[Path, typer.Argument(help="project directory to create")],
    from_: Annotated[
        Path | None, typer.Option("--from", help="folder of exports to recognise")
    ] = None,
    force: Annotated[bool, typer.Option(help="overwrite an existing tieout.yml")] = False,
) -> None:
    """Create tieout.yml; --from adds each export it recognises and lists the rest, with why."""
    with reported_errors():
        if (directory / PROJECT_FILE).exists() and not force:
            raise UsageError(f"{directory / PROJECT_FILE} exists (use --force to overwrite)")
        placed: list[dict[str, Any]] = []
        unplaced: list[Recognition] = []
        if from_ is not None:
            if not from_.is_dir():
                raise UsageError(f"--from {from_}: not a folder")
            found = _recognise_all(from_)
            placed = _sources(directory, [r for r in found if r.preset])
            unplaced = [r for r in found if not r.preset]
        sources = [{k: s[k] for k in ("name", "path", "preset")} for s in placed]
        target = write_project(directory, name=directory.resolve().name, sources=sources)
    console.print(f"wrote [bold]{target}[/] with {len(sources)} source(s)")
    if placed:
        emit(placed, ["name", "preset", "path", "why"], Format.table, wrap=["path", "why"])
    for r in unplaced:
        console.print(f"[yellow]not placed:[/] {escape(r.display)}")
        console.print(f"    {escape(r.reason)}")
        if r.nearest and r.missing:
            console.print(
                f"    nearest preset {r.nearest}; missing columns: "
                + ", ".join(m.replace("|", " or ") for m in r.missing)
            )
        console.print(
            f"    columns {r.nearest or 'no preset'} does not read: "
            + (", ".join(r.extra[:12]) or "-")
            + (" ..." if len(r.extra) > 12 else "")
        )
    if unplaced:
        console.print(
            "Set their preset by hand, or map them column by column in tieout.yml "
            "(system, object, table, fields)."
        )


def _recognise_all(folder: Path) -> list[Recognition]:
    out: list[Recognition] = []
    for path in sorted(p for p in folder.rglob("*") if p.suffix.lower() in EXPORT_SUFFIXES):
        try:
            out.extend(recognise_file(path))
        except TieoutError as exc:
            console.print(f"[yellow]skipped:[/] {escape(str(exc))}")
    return out


def _sources(project_dir: Path, found: list[Recognition]) -> list[dict[str, Any]]:
    """One source per file; files of one folder, preset, kind and header share a glob
    only when that glob matches exactly them (never `*.csv` over unrelated files)."""
    zip_sizes: dict[Path, int] = defaultdict(int)
    for r in found:
        zip_sizes[r.path] += bool(r.member)
    groups: dict[tuple[Path, str, str, tuple[str, ...]], list[Recognition]] = defaultdict(list)
    singles: list[Recognition] = []
    for r in found:
        assert r.preset is not None
        if r.member and zip_sizes[r.path] > 1:
            singles.append(r)  # one member of a multi-export zip: named on its own
            continue
        header = tuple(normalise_header(h) for h in r.headers)
        groups[(r.path.parent, r.preset, _kind(r.path), header)].append(r)
    placed: list[tuple[str, Path | str, str]] = []
    for (parent, preset, kind, _), members in sorted(groups.items()):
        pattern = _exact_glob(parent, [r.path for r in members], kind)
        if pattern:
            why = f"{len(members)} files with one header, {members[0].reason}"
            placed.append((preset, parent / pattern, why))
        else:
            placed += [(preset, r.path, r.reason) for r in members]
    placed += [(r.preset or "", f"{r.display}", r.reason) for r in singles]
    used: set[str] = set()
    return [
        {
            "name": _unique(re.sub(r"[^a-z0-9]+", "_", preset.lower()).strip("_"), used),
            "path": _relative(target, project_dir),
            "preset": preset,
            "why": why,
        }
        for preset, target, why in placed
    ]


def _kind(path: Path) -> str:
    """`.csv`, `.xlsx`, ... or `.csv.zip`: what a glob must end with."""
    suffixes = [s.lower() for s in path.suffixes[-2:]]
    return "".join(suffixes) if suffixes[-1:] == [".zip"] and len(suffixes) == 2 else path.suffix


def _exact_glob(parent: Path, paths: list[Path], kind: str) -> str | None:
    """The narrowest `prefix*suffix` glob over the files' names that matches exactly them
    in their folder, or None (then each file is its own source)."""
    if len(paths) < 2:
        return None
    names = [p.name for p in paths]
    prefix = _common(names)
    suffix = _common([n[::-1] for n in names])[::-1]
    if not suffix.lower().endswith(kind.lower()):
        return None
    prefix = prefix[: max(0, min(len(n) for n in names) - len(suffix))]
    cut = max(prefix.rfind(c) for c in _SEPARATORS)
    wanted = {p.resolve() for p in paths}
    for head in dict.fromkeys(h for h in (prefix[: cut + 1], prefix) if h):  # never bare `*`
        pattern = f"{glob.escape(head)}*{glob.escape(suffix)}"
        if {p.resolve() for p in parent.glob(pattern) if p.is_file()} == wanted:
            return pattern
    return None


def _common(names: list[str]) -> str:
    first = names[0]
    size = 0
    while size < len(first) and all(len(n) > size and n[size] == first[size] for n in names):
        size += 1
    return first[:size]


def _unique(name: str, used: set[str]) -> str:
    candidate, n = name, 2
    while candidate in used:
        candidate, n = f"{name}_{n}", n + 1
    used.add(candidate)
    return candidate


def _relative(path: Path | str, project_dir: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(project_dir.resolve()))
    except ValueError:
        return str(Path(path).resolve())
