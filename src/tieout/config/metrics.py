"""Metric definitions: each governed number defined once, in YAML, and checked on load.

A base metric has a `fact` query: one row per `grain` (its `id`), with the columns the layer
groups and filters by (`date`, `account_key`, `product`, `job_key`) and the `value` in the
reporting currency. A derived metric has a `formula` over other metrics, computed after
they are aggregated, so a ratio is never summed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal, get_args

import sqlglot
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlglot import exp

from tieout.config.project import ProjectFile
from tieout.config.yamlfile import (
    LocatedYaml,
    collecting,
    load_yaml,
    parse_yaml,
    validate_model,
)
from tieout.errors import ConfigError
from tieout.model.sqlcheck import (
    UnknownColumnsError,
    UnsafeSQLError,
    checked_expression,
    checked_query,
)

FACT_COLUMNS = ("id", "date", "account_key", "product", "job_key", "value")
# splits a fact carries in a column of its own when it allows them
OPTIONAL_COLUMNS = {"contract": "contract_key", "campaign": "campaign", "team": "team"}
Dimension = Literal[
    "month",
    "customer",
    "region",
    "segment",
    "rep",
    "product",
    "job",
    "contract",
    "campaign",
    "team",
]
DIMENSIONS: tuple[str, ...] = get_args(Dimension)
PLACEHOLDERS = ("currency", "as_of")


class MetricDef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    description: str
    owner: str = Field(description="function that owns the definition: finance, sales, ...")
    version: int = Field(ge=1, description="bump it whenever the definition changes")
    unit: Literal["money", "percent", "hours", "count"]
    good: Literal["up", "down"] = Field(description="which direction is good")
    grain: str = Field(description="what one fact row is, e.g. invoice line")
    dimensions: list[Dimension] = Field(
        description="splits it allows; contract, campaign and team need a fact column of "
        "their own (contract_key, campaign, team)"
    )
    fact: str | None = Field(None, description="SQL: one row per grain; see FACT_COLUMNS")
    kind: Literal["flow", "balance"] = Field(
        "flow",
        description="flow: summed over the period; balance: what is open at the period's "
        "end (the fact adds `end_date`, when the item stopped being open), never summed "
        "over time",
    )
    formula: str | None = Field(None, description="arithmetic over other metrics' names")

    @model_validator(mode="after")
    def _one_kind(self) -> MetricDef:
        if (self.fact is None) == (self.formula is None):
            raise ValueError("a metric has either a fact query or a formula, not both")
        return self

    @property
    def mart(self) -> str:
        """The table a run pre-aggregates this metric into."""
        return f"mart_{self.name}"

    def digest(self) -> str:
        """Identity of the definition, to catch a change made without a version bump."""
        body = self.model_dump(exclude={"version"}, exclude_defaults=True)  # new fields keep it
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]

    def inputs(self) -> list[str]:
        if self.formula is None:
            return []
        tree = sqlglot.parse_one(self.formula, read="duckdb")
        return sorted({c.name for c in tree.find_all(exp.Column)})


@dataclass(frozen=True)
class Catalogue:
    metrics: dict[str, MetricDef]
    sources: dict[str, str]  # metric name -> file it came from

    def get(self, name: str) -> MetricDef:
        if name not in self.metrics:
            raise ConfigError(f"no metric {name!r} (see `tieout metrics list`)")
        return self.metrics[name]


Defined = tuple[MetricDef, LocatedYaml]  # a metric and the file it came from, with its lines


@cache
def builtin_metrics() -> tuple[Defined, ...]:
    """The shipped metrics, read and checked once per process (a formula among them uses
    only shipped metrics, which a project cannot redefine)."""
    folder = resources.files("tieout") / "metrics" / "definitions"
    found = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yml"):
            located = parse_yaml(entry.read_text("utf-8"), f"metrics/{entry.name}")
            found.append((validate_model(MetricDef, located), located))
    shipped = {metric.name: metric for metric, _ in found}
    for metric, located in found:
        _check(metric, located, shipped)
    return tuple(found)


def read_metrics(project: ProjectFile) -> tuple[dict[str, Defined], list[ConfigError]]:
    """Built-in and project metrics (`metric_files`) by name, and the problems of the
    project's files that do not read (YAML, schema, a name already taken)."""
    found = {metric.name: (metric, located) for metric, located in builtin_metrics()}
    problems: list[ConfigError] = []
    for pattern in project.config.metric_files:
        for path in sorted(project.root.glob(pattern)):
            with collecting(problems):
                located = load_yaml(path, display_name=str(path.relative_to(project.root)))
                metric = validate_model(MetricDef, located)
                if metric.name in found:
                    message = f"metric {metric.name!r} is already defined in "
                    raise located.error(message + found[metric.name][1].file, "name")
                found[metric.name] = (metric, located)
    return found, problems


def check_metrics(found: dict[str, Defined]) -> list[ConfigError]:
    """Each project metric's query or formula, against the model and the other metrics
    (the built-in ones were checked when read)."""
    shipped = {metric.name for metric, _ in builtin_metrics()}
    metrics = {name: metric for name, (metric, _) in found.items()}
    problems: list[ConfigError] = []
    for name, (metric, located) in found.items():
        if name not in shipped:
            with collecting(problems):
                _check(metric, located, metrics)
    return problems


def catalogue(found: dict[str, Defined]) -> Catalogue:
    return Catalogue(
        {name: metric for name, (metric, _) in found.items()},
        {name: located.file for name, (_, located) in found.items()},
    )


def _check(metric: MetricDef, located: LocatedYaml, metrics: dict[str, MetricDef]) -> None:
    def fail(problem: str, key: str) -> ConfigError:
        return located.error(f"metric {metric.name}: {problem}", key)

    if metric.fact is not None:
        outputs = [*FACT_COLUMNS]
        outputs += ["end_date"] if metric.kind == "balance" else []
        outputs += [c for d, c in OPTIONAL_COLUMNS.items() if d in metric.dimensions]
        try:
            checked_query(metric.fact, PLACEHOLDERS, outputs)
        except UnsafeSQLError as problem:
            raise fail(str(problem), "fact") from None
        return
    assert metric.formula is not None
    try:
        checked_expression(metric.formula, metrics)
    except UnknownColumnsError as unknown:
        raise fail(f"formula names no metric {unknown.names[0]!r}", "formula") from None
    except UnsafeSQLError as problem:
        raise fail(str(problem), "formula") from None
    inputs = metric.inputs()
    for name in inputs:
        if metrics[name].formula is not None:
            raise fail(f"formula input {name!r} must be a fact metric", "formula")
        if metrics[name].kind != metrics[inputs[0]].kind:
            raise fail("a formula cannot mix flows and balances", "formula")
        missing = set(metric.dimensions) - set(metrics[name].dimensions)
        if missing:
            raise fail(f"{name} cannot be split by {', '.join(sorted(missing))}", "dimensions")
