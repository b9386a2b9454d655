"""Write a starter tieout.yml: commented, valid, and pointing editors at the schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tieout.config import PROJECT_FILE, SCHEMA_FILE, Project

HEADER = """\
# yaml-language-server: $schema={schema}
# tieout project file. Reference: `tieout --help`; schema: {schema}
# Each source is a file or glob (relative to this folder) and a preset naming the system
# that exported it; custom fields (e.g. Salesforce fields ending in __c) go under `fields:`.
"""


def write_project(
    folder: Path, *, name: str, sources: list[dict[str, Any]], extra: dict[str, Any] | None = None
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    body: dict[str, Any] = {"name": name, "reporting_currency": "GBP", **(extra or {})}
    body["sources"] = sources
    Project.model_validate(body)  # never write a file tieout would reject
    target = folder / PROJECT_FILE
    text = HEADER.format(schema=SCHEMA_FILE) + yaml.safe_dump(
        body, sort_keys=False, allow_unicode=True, width=100
    )
    target.write_text(text, encoding="utf-8")
    return target
