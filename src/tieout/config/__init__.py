"""Loading a project: tieout.yml (Pydantic models, JSON Schema) and every definition it
uses, all checked up front, with errors that name file, line and key."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from tieout.config.definitions import Definitions, load_definitions
from tieout.config.fields import DateOrder, FieldSpec, FieldType, TableSpec
from tieout.config.project import Project, ProjectFile, SourceConfig
from tieout.config.yamlfile import load_yaml, validate_model

PROJECT_FILE = "tieout.yml"
SCHEMA_FILE = Path(__file__).with_name("tieout.schema.json")

__all__ = [
    "PROJECT_FILE",
    "DateOrder",
    "Definitions",
    "FieldSpec",
    "FieldType",
    "LoadedProject",
    "Project",
    "SourceConfig",
    "TableSpec",
    "json_schema",
    "load_project",
]


@dataclass(frozen=True)
class LoadedProject(ProjectFile):
    """A project whose every definition is loaded and cross-checked: what stages read."""

    definitions: Definitions


def load_project(path: Path) -> LoadedProject:
    """tieout.yml and everything it defines, read once; raises ConfigError (ConfigProblemsError
    for several problems) before anything runs."""
    file = path / PROJECT_FILE if path.is_dir() else path
    located = load_yaml(file, display_name=str(file))
    root, config = file.parent.resolve(), validate_model(Project, located)
    definitions = load_definitions(ProjectFile(root, file, config, located))
    return LoadedProject(root, file, config, located, definitions)


def json_schema() -> str:
    schema = Project.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "tieout.yml"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"
