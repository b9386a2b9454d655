"""The one YAML loader for every definition (tieout.yml, presets, rules, metrics, plans):
line numbers kept, so every config error can name file, line and key."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from tieout.errors import ConfigError, ConfigProblemsError

Path_ = tuple[str | int, ...]
M = TypeVar("M", bound=BaseModel)
# libyaml when the wheel has it: the built-in definitions alone are a hundred files
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class LocatedYaml:
    """A parsed document plus the line of every mapping key and list item in it."""

    file: str
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)

    def line_of(self, path: Path_) -> int | None:
        """Line of the deepest known node on `path` (a missing key points at its parent)."""
        for cut in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:cut]))
            if line is not None:
                return line
        return None

    def error(self, message: str, *path: str | int) -> ConfigError:
        """A problem at `path` in this file, named by file, line and dotted key."""
        key = ".".join(str(p) for p in path) or None
        return ConfigError(message, file=self.file, line=self.line_of(path), key=key)


def load_yaml(path: Path, *, display_name: str | None = None) -> LocatedYaml:
    name = display_name or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("file not found", file=name) from None
    return parse_yaml(text, name)


def parse_yaml(text: str, name: str) -> LocatedYaml:
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark else None
        raise ConfigError(f"not valid YAML: {exc.problem}", file=name, line=line) from None
    located = LocatedYaml(name, None)
    located.data = _build(node, (), located.lines) if node is not None else None
    return located


def load_model(model: type[M], path: Path, display_name: str) -> tuple[M, LocatedYaml]:
    """A definition file read and validated against its model, with the located document
    for the checks that need more than the model (cross-references)."""
    located = load_yaml(path, display_name=display_name)
    return validate_model(model, located), located


def validate_model(model: type[M], located: LocatedYaml) -> M:
    """The document as `model`; every problem in it reported at once (file, line, key)."""
    data = located.data if located.data is not None else {}
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigProblemsError(_problems(located, exc.errors())) from None


def _problems(located: LocatedYaml, errors: list[ErrorDetails]) -> list[ConfigError]:
    """One problem per key the author wrote (or has to add): a value that fits no branch
    of a union gives Pydantic one error per branch, all on the same key."""
    found: dict[Path_, ConfigError] = {}
    for error in errors:
        loc = tuple(p for p in error["loc"] if isinstance(p, str | int))
        written = loc if error["type"] == "missing" else _written(located, loc)
        if written not in found:
            found[written] = located.error(_message(error), *loc)
    return list(found.values())


def _written(located: LocatedYaml, loc: Path_) -> Path_:
    """The longest part of `loc` that is in the file."""
    for cut in range(len(loc), 0, -1):
        if loc[:cut] in located.lines:
            return loc[:cut]
    return ()


def _message(error: ErrorDetails) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown key"
    if error["type"] == "missing":
        return "required key is missing"
    return error["msg"].removeprefix("Value error, ")


@contextmanager
def collecting(problems: list[ConfigError]) -> Iterator[None]:
    """Run a check and keep its problems instead of stopping at them, so one pass reports
    everything wrong with a project."""
    try:
        yield
    except ConfigError as exc:
        problems.extend(exc.problems)


def raise_problems(problems: list[ConfigError]) -> None:
    if problems:
        raise ConfigProblemsError(problems)


def _build(node: yaml.Node, path: Path_, lines: dict[Path_, int]) -> Any:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(_scalar(key_node))
            lines[(*path, key)] = key_node.start_mark.line + 1
            out[key] = _build(value_node, (*path, key), lines)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, i), lines) for i, item in enumerate(node.value)]
    return _scalar(node)


_CONSTRUCTOR = yaml.SafeLoader("")


def _scalar(node: yaml.Node) -> Any:
    if node.tag == "tag:yaml.org,2002:timestamp":
        return node.value  # Pydantic parses dates, and reports a bad one with its line
    return _CONSTRUCTOR.construct_object(node, deep=True)
