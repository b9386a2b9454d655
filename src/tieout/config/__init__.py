"""Loading tieout.yml: Pydantic models, JSON Schema, and errors that name file, line and key."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from tieout.config.fields import DateOrder, FieldSpec, FieldType, TableSpec
from tieout.config.project import Project, SourceConfig
from tieout.config.yamlfile import LocatedYaml, load_yaml, parse_yaml
from tieout.errors import ConfigError

PROJECT_FILE = "tieout.yml"
SCHEMA_FILE = Path(__file__).with_name("tieout.schema.json")
M = TypeVar("M", bound=BaseModel)

__all__ = [
    "PROJECT_FILE",
    "DateOrder",
    "FieldSpec",
    "FieldType",
    "LoadedProject",
    "LocatedYaml",
    "Project",
    "SourceConfig",
    "TableSpec",
    "config_error",
    "json_schema",
    "load_project",
    "parse_yaml",
    "validate_model",
]


@dataclass(frozen=True)
class LoadedProject:
    """A validated project and where it lives (relative paths resolve against `root`)."""

    root: Path
    file: Path
    config: Project
    located: LocatedYaml

    def error(self, message: str, *path: str | int) -> ConfigError:
        return config_error(self.located, message, path)


def load_project(path: Path) -> LoadedProject:
    file = path / PROJECT_FILE if path.is_dir() else path
    located = load_yaml(file, display_name=str(file))
    config = validate_model(Project, located)
    return LoadedProject(file.parent.resolve(), file, config, located)


def validate_model(model: type[M], located: LocatedYaml) -> M:
    data = located.data if located.data is not None else {}
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(p for p in first["loc"] if isinstance(p, str | int))
        raise config_error(located, _message(first), loc) from None


def config_error(located: LocatedYaml, message: str, path: tuple[str | int, ...]) -> ConfigError:
    key = ".".join(str(p) for p in path) or None
    return ConfigError(message, file=located.file, line=located.line_of(path), key=key)


def _message(error: object) -> str:
    assert isinstance(error, dict)
    msg = str(error.get("msg", "invalid"))
    if error.get("type") == "extra_forbidden":
        return "unknown key"
    if error.get("type") == "missing":
        return "required key is missing"
    return msg


def json_schema() -> str:
    schema = Project.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "tieout.yml"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"
