"""Every definition a project has, loaded once and cross-checked before anything runs.

Sources with their presets, exception rules, metrics, plan files and scorecards are read
with the one YAML loader and checked against each other (a rule's tables and columns, a
plan's and a scorecard's metrics, a source's preset, every piece of SQL parsed), and
every problem found is reported at once with its file, line and key. Stages read what they
need from the result instead of loading it again; `tieout check` is this load alone.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from tieout.config.metrics import Catalogue, catalogue, check_metrics, read_metrics
from tieout.config.plans import DefinedPlan, load_plans
from tieout.config.presets import ResolvedSource, resolve_sources
from tieout.config.project import ProjectFile
from tieout.config.rules import ResolvedRule, load_rules
from tieout.config.yamlfile import collecting, raise_problems
from tieout.errors import ConfigError, did_you_mean

# what each function is measured on when tieout.yml names no scorecards
DEFAULT_SCORECARDS: dict[str, list[str]] = {
    "sales": ["quoted_value", "sals", "sqls", "sql_rate", "lead_wins", "open_pipeline"],
    "marketing": ["leads", "mqls", "campaign_spend", "cost_per_mql", "pipeline_per_spend"],
    "service": [
        "sla_attainment",
        "escalation_rate",
        "reopen_rate",
        "repeat_rate",
        "open_cases",
        "csat",
        "service_cost",
    ],
    "ps": [
        "utilisation",
        "billable_utilisation",
        "on_time_delivery",
        "delivered_vs_quoted",
        "csat",
    ],
    "ops": ["over_committed_weeks", "on_time_delivery", "delivered_value"],
    "finance": ["revenue", "margin", "margin_pct", "billed_vs_delivered", "receivables"],
}


class Definitions(BaseModel):
    """What the stages, the commands and the web app read: never loaded twice in a run."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    sources: tuple[ResolvedSource, ...]
    rules: tuple[ResolvedRule, ...]
    metrics: Catalogue
    plans: tuple[DefinedPlan, ...]
    scorecards: dict[str, list[str]]


def load_definitions(project: ProjectFile) -> Definitions:
    """Load and cross-check everything; raises ConfigProblemsError listing every problem."""
    problems: list[ConfigError] = []
    sources: tuple[ResolvedSource, ...] = ()
    rules: tuple[ResolvedRule, ...] = ()
    with collecting(problems):
        sources = resolve_sources(project)
    with collecting(problems):
        rules = load_rules(project)
    found, unread = read_metrics(project)
    problems += unread + check_metrics(found)
    metrics = catalogue(found)
    plans: tuple[DefinedPlan, ...] = ()
    cards = project.config.scorecards
    scorecards = DEFAULT_SCORECARDS if cards is None else cards
    if not unread:  # every metric's name is known: what plans and scorecards name can be checked
        with collecting(problems):
            plans = load_plans(project, metrics)
        problems += _commission_problems(project, metrics)
        problems += _scorecard_problems(project, scorecards, metrics)
    raise_problems(problems)
    return Definitions(
        sources=sources, rules=rules, metrics=metrics, plans=plans, scorecards=scorecards
    )


def _commission_problems(project: ProjectFile, metrics: Catalogue) -> list[ConfigError]:
    basis = project.config.commission.basis
    metric = metrics.metrics.get(basis)
    if metric is not None and metric.unit == "money" and {"rep", "job"} <= {*metric.dimensions}:
        return []
    message = f"commission basis {basis!r} must be a money metric split by rep and job"
    return [project.error(message, "commission", "basis")]


def _scorecard_problems(
    project: ProjectFile, cards: dict[str, list[str]], metrics: Catalogue
) -> list[ConfigError]:
    problems = []
    for card, names in cards.items():
        for i, name in enumerate(names):
            if name not in metrics.metrics:
                near = did_you_mean(name, metrics.metrics)
                problems.append(project.error(f"no metric {name!r}{near}", "scorecards", card, i))
    return problems
