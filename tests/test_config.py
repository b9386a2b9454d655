"""tieout.yml errors name file, line and key, and the CLI exits 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from support import invoke, write_project
from tieout.config import SCHEMA_FILE, json_schema, load_project
from tieout.errors import ConfigError

BASE = "name: t\nsources:\n  - name: xero\n    path: x.csv\n    preset: xero.invoices\n"


@pytest.mark.parametrize(
    ("yml", "line", "key", "words"),
    [
        (BASE.replace("xero.invoices", "xero.invoice"), 5, "sources.0.preset", "did you mean"),
        (BASE + "    colums: {}\n", 6, "sources.0.colums", "unknown key"),
        (
            BASE + "    columns:\n      invoice:\n        total: 'foo +'\n",
            8,
            "sources.0.columns.invoice.total",
            "not valid SQL",
        ),
        (
            BASE + "    columns:\n      invoice:\n        total: nosuch * 2\n",
            8,
            "sources.0.columns.invoice.total",
            "unknown field(s) nosuch",
        ),
        (
            BASE + "    columns:\n      invoice:\n        no_col: total\n",
            8,
            "sources.0.columns.invoice.no_col",
            "has no column",
        ),
        ("name: t\nas_of: 2026-13-01\n", 2, "as_of", "month"),
        ("name: t\nreporting_currency: pounds\n", 2, "reporting_currency", "pattern"),
        ("name: t\nsources:\n  - name: a\n    path: x.csv\n", 3, "sources.0", "needs system"),
    ],
)
def test_config_errors_name_file_line_and_key(
    tmp_path: Path, cli: CliRunner, yml: str, line: int, key: str, words: str
) -> None:
    write_project(tmp_path, yml, {})
    code, out = invoke(cli, "run", "--project", str(tmp_path))
    assert code == 2
    assert f"tieout.yml:{line}: {key}: " in out
    assert words in out

    with pytest.raises(ConfigError) as info:
        from tieout.config.presets import resolve_sources

        resolve_sources(load_project(tmp_path))
    assert info.value.line == line
    assert info.value.key == key


def test_invalid_yaml_syntax_reports_line(tmp_path: Path, cli: CliRunner) -> None:
    write_project(tmp_path, "name: t\nsources: [\n  - oops\n", {})
    code, out = invoke(cli, "run", "-p", str(tmp_path))
    assert code == 2
    assert "not valid YAML" in out


def test_shipped_schema_matches_models() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == json_schema()
    schema = json.loads(json_schema())
    assert "sources" in schema["properties"]


def test_usage_errors_exit_2(tmp_path: Path, cli: CliRunner) -> None:
    write_project(tmp_path, "name: t\n", {})
    code, out = invoke(cli, "run", "-p", str(tmp_path), "--as-of", "2026-02-31")
    assert code == 2
    assert "--as-of" in out
    code, _ = invoke(cli, "run", "--no-such-flag")
    assert code == 2
