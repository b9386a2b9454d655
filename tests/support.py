"""Helpers for tests: write a small project to disk and run the real CLI on it."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from tieout.cli.main import app


def invoke(runner: CliRunner, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def write_project(root: Path, yml: str, files: dict[str, str | bytes]) -> Path:
    """A project whose hand-written files may set aside any share of their rows: tests plant
    bad rows in tiny files (the limit itself is tested in test_ingest_rules)."""
    root.mkdir(parents=True, exist_ok=True)
    if "\ningest:" not in f"\n{yml}":
        yml = yml.rstrip("\n") + "\ningest: {max_quarantine_pct: 100}\n"  # keeps line numbers
    (root / "tieout.yml").write_text(yml, encoding="utf-8")
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def add_source(root: Path, entry: str) -> None:
    """Append one `- {...}` entry to the project's sources list (written last but for the
    `ingest:` line write_project adds)."""
    yml = root / "tieout.yml"
    head, sep, tail = yml.read_text(encoding="utf-8").partition("\ningest:")
    yml.write_text(f"{head.rstrip()}\n  - {entry}\n{sep.lstrip()}{tail}", encoding="utf-8")
