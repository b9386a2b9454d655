"""Plan files: the joint plan as YAML, checked against the metric catalogue when the project
loads, so a target naming an unknown metric or split is a config error with file, line and
key before `tieout plan import` (or a run) starts."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tieout.config.metrics import Catalogue
from tieout.config.project import ProjectFile
from tieout.config.yamlfile import (
    LocatedYaml,
    collecting,
    load_yaml,
    raise_problems,
    validate_model,
)
from tieout.errors import ConfigError, did_you_mean

MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Target(Strict):
    period: str = Field(pattern=MONTH, description="the month, YYYY-MM")
    metric: str
    dimension: str | None = Field(None, description="a split the metric allows, e.g. campaign")
    member: str | None = Field(None, description="the member of that split, e.g. its name")
    value: Decimal = Field(decimal_places=2, description="to the cent, or 0.01 of a point")

    @field_validator("period", "member", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        """YAML reads 2026-07 as text but an unquoted member like 2026 as a number."""
        return str(value) if isinstance(value, int | float) else value

    @model_validator(mode="after")
    def _split_named(self) -> Target:
        if (self.dimension is None) != (self.member is None):
            raise ValueError("dimension and member go together: give both or neither")
        return self


class Commitment(Strict):
    campaign: str
    metric: str = Field(description="the conversion rate committed to, e.g. sql_rate")
    value: Decimal = Field(decimal_places=2)
    committed_by: str


class PlanFile(Strict):
    plan: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    title: str
    cadence: Literal["monthly", "quarterly"] = "monthly"
    review_day: int = Field(10, ge=1, le=28, description="day of the month after the period")
    variance_threshold_pct: Decimal = Field(Decimal(20), ge=0)
    targets: list[Target] = Field(min_length=1)
    commitments: list[Commitment] = Field(default_factory=list)

    def digest(self) -> str:
        """Identity of the content: importing the same plan again makes no new version."""
        body = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(body.encode()).hexdigest()


@dataclass(frozen=True)
class DefinedPlan:
    plan: PlanFile
    file: str  # what errors and the plan's versions call it (relative to the project)


def load_plans(project: ProjectFile, catalogue: Catalogue) -> tuple[DefinedPlan, ...]:
    """Every file of `plan_files`, checked; all their problems reported together."""
    problems: list[ConfigError] = []
    plans: list[DefinedPlan] = []
    paths = sorted({p for pattern in project.config.plan_files for p in project.root.glob(pattern)})
    for path in paths:
        with collecting(problems):
            plans.append(load_plan_file(path, project.root, catalogue))
    raise_problems(problems)
    return tuple(plans)


def load_plan_file(path: Path, root: Path, catalogue: Catalogue) -> DefinedPlan:
    """One plan file, checked (a file named on the command line need not be in plan_files)."""
    try:
        name = str(path.resolve().relative_to(root))
    except ValueError:
        name = str(path)
    located = load_yaml(path, display_name=name)
    plan = validate_model(PlanFile, located)
    raise_problems(_problems(plan, located, catalogue))
    return DefinedPlan(plan, name)


def _problems(plan: PlanFile, located: LocatedYaml, catalogue: Catalogue) -> list[ConfigError]:
    """Every metric exists and every target's split is one its metric allows; no target or
    commitment is given twice."""
    problems: list[ConfigError] = []
    seen: dict[tuple[str, str, str | None, str | None], int] = {}
    for i, t in enumerate(plan.targets):
        metric = catalogue.metrics.get(t.metric)
        if metric is None:
            message = f"no metric {t.metric!r}{did_you_mean(t.metric, catalogue.metrics)}"
            problems.append(located.error(message, "targets", i, "metric"))
            continue
        splits = [d for d in metric.dimensions if d != "month"]
        if t.dimension is not None and t.dimension not in splits:
            message = (
                f"{t.metric} cannot be split by {t.dimension!r} (it can by "
                f"{', '.join(splits) or 'nothing'})"
            )
            problems.append(located.error(message, "targets", i, "dimension"))
        key = (t.period, t.metric, t.dimension, t.member)
        if key in seen:
            message = f"the same target as targets[{seen[key]}]"
            problems.append(located.error(message, "targets", i, "period"))
        seen[key] = i
    committed: dict[tuple[str, str], int] = {}
    for i, c in enumerate(plan.commitments):
        if c.metric not in catalogue.metrics:
            message = f"no metric {c.metric!r}{did_you_mean(c.metric, catalogue.metrics)}"
            problems.append(located.error(message, "commitments", i, "metric"))
        if (c.campaign, c.metric) in committed:
            message = f"the same commitment as commitments[{committed[c.campaign, c.metric]}]"
            problems.append(located.error(message, "commitments", i, "campaign"))
        committed[c.campaign, c.metric] = i
    return problems
