"""Exception rules: YAML entries, each a condition over one subject or, as an escape
hatch, a whole SQL query.

A condition rule names its `subject` (one canonical or facts table whose row is one finding
candidate) and SQL expressions over that row: `where`, `amount`, `detail` and optionally
`currency`; the runner adds the source records, the customer and the currency
(conditions.py). A query rule (`sql:`) selects `account_key`, `amount`, `currency`, `refs`
(a list of {system, object, native_id}) and `detail` itself. `:name` placeholders are the
rule's parameters (and `:as_of`), substituted as literals by sqlglot, never pasted as text.
Every rule is parsed and its tables and columns checked when the project loads, so a typo is
a config error naming the file, line and key, not a failed run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tieout.config.conditions import Condition, ConditionError
from tieout.config.operating import ExceptionEffect
from tieout.config.project import ProjectFile
from tieout.config.yamlfile import (
    LocatedYaml,
    collecting,
    load_yaml,
    parse_yaml,
    raise_problems,
    validate_model,
)
from tieout.engine import bind
from tieout.errors import ConfigError, did_you_mean
from tieout.model.sqlcheck import UnsafeSQLError, checked_query

OUTPUT_COLUMNS = ("account_key", "amount", "currency", "refs", "detail")
SEVERITIES = ("low", "medium", "high", "critical")


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    description: str
    owner: str = Field(description="function that owns it: finance, sales, service, ...")
    severity: str = Field(pattern="^(low|medium|high|critical)$")
    params: dict[str, int | Decimal | str] = Field(default_factory=dict)  # a DECIMAL in SQL
    health: ExceptionEffect = Field(
        default_factory=ExceptionEffect,
        description="what an open exception of this rule does to its account's health",
    )
    explains: list[Literal["scope", "billing"]] = Field(
        default_factory=list,
        description="month-end close differences an open exception of this rule explains: "
        "scope (delivered vs quoted), billing (delivered vs billed net of credits)",
    )
    subject: str | None = Field(
        default=None,
        description="the table whose row is one finding candidate: a canonical table or a "
        "fact (work_order_fact, invoice_fact, job_fact, ticket_sla, ...)",
    )
    where: str | None = Field(default=None, description="SQL condition over the subject's row")
    amount: str | None = Field(default=None, description="money at risk, in `currency`")
    detail: str | None = Field(default=None, description="SQL text expression: what was found")
    currency: str | None = Field(
        default=None, description="SQL expression; default the subject's currency column"
    )
    sql: str | None = Field(
        default=None,
        description="escape hatch instead of subject/where/amount/detail: a whole query "
        "selecting account_key, amount, currency, refs and detail",
    )

    @property
    def condition(self) -> Condition | None:
        if self.subject is None or self.where is None or self.detail is None:
            return None
        return Condition(self.subject, self.where, self.detail, self.amount, self.currency)

    @property
    def query(self) -> str:
        """The rule as one query with `:name` placeholders: its own, or its condition's."""
        condition = self.condition
        if condition is not None:
            return condition.query({*self.params, "as_of"})
        if self.sql is None:
            raise ValueError(f"rule {self.id} is neither a condition nor a query")
        return self.sql


@dataclass(frozen=True)
class ResolvedRule:
    rule: Rule
    source: str  # where it was defined, for error messages
    params: dict[str, Any]
    health: ExceptionEffect  # the rule's own, with tieout.yml's health.exceptions over it

    def render(self, as_of: dt.date) -> str:
        """The rule's query with its parameters and the as-of date in it as literals (bound
        here, not by the statement that runs it, so a parameter's name never meets that
        statement's own)."""
        return bind(self.rule.query, {**self.params, "as_of": as_of})


Defined = tuple[Rule, LocatedYaml]  # a rule and the file it came from, with its lines


@cache
def builtin_rules() -> dict[str, Defined]:
    rules: dict[str, Defined] = {}
    folder = resources.files("tieout") / "reconcile" / "rules"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yml"):
            located = parse_yaml(entry.read_text(encoding="utf-8"), f"rules/{entry.name}")
            rule = validate_model(Rule, located)
            if f"{rule.id}.yml" != entry.name:
                raise located.error("rule id must equal its file name", "id")
            check_rule(rule, located)
            rules[rule.id] = (rule, located)
    return rules


def project_rules(project: ProjectFile) -> dict[str, Defined]:
    """The project's own rules: YAML files matched by `rule_files` (default rules/*.yml),
    every file checked and all their problems reported together."""
    rules: dict[str, Defined] = {}
    builtin = builtin_rules()
    problems: list[ConfigError] = []
    for pattern in project.config.rule_files:
        for path in sorted(project.root.glob(pattern)):
            with collecting(problems):
                located = load_yaml(path, display_name=str(path.relative_to(project.root)))
                rule = validate_model(Rule, located)
                if rule.id in builtin or rule.id in rules:
                    other = (builtin | rules)[rule.id][1].file
                    message = f"rule id {rule.id!r} is already defined in {other}"
                    raise located.error(f"{message}: give it another id", "id")
                check_rule(rule, located)
                rules[rule.id] = (rule, located)
    raise_problems(problems)
    return rules


def load_rules(project: ProjectFile) -> tuple[ResolvedRule, ...]:
    """Built-in and project rules with tieout.yml's parameter and health overrides, each
    checked against the model."""
    overrides = project.config.rules
    effects = project.config.health.exceptions
    rules = {**builtin_rules(), **project_rules(project)}
    problems: list[ConfigError] = []
    for section, keys in (("rules", overrides), ("health.exceptions", effects)):
        for rule_id in keys:
            if rule_id not in rules:
                message = f"no rule {rule_id!r}{did_you_mean(rule_id, rules)}"
                problems.append(project.error(message, *section.split("."), rule_id))
    resolved: list[ResolvedRule] = []
    for rule_id, (rule, located) in rules.items():
        params: dict[str, Any] = dict(rule.params)
        for key, value in overrides.get(rule_id, {}).items():
            if key not in params:
                known = ", ".join(params) or "none"
                message = f"rule {rule_id} has no parameter {key!r} (it has {known})"
                problems.append(project.error(message, "rules", rule_id, key))
            params[key] = value
        tuned = effects.get(rule_id)
        health = rule.health
        if tuned is not None:
            health = health.model_copy(update=tuned.model_dump(exclude_unset=True))
        resolved.append(ResolvedRule(rule, located.file, params, health))
    raise_problems(problems)
    return tuple(resolved)


CONDITION_KEYS = ("where", "amount", "detail", "currency")


def check_rule(rule: Rule, located: LocatedYaml) -> None:
    """Exactly one of `sql` and `subject`; then parse it: one data-only query over the
    model's tables and columns, or a condition over its subject's columns."""
    if rule.sql is not None and rule.subject is not None:
        message = f"rule {rule.id}: give either subject (with where, detail) or sql, not both"
        raise located.error(message, "sql")
    if rule.sql is None and rule.subject is None:
        message = f"rule {rule.id}: give a subject with where and detail, or a whole sql query"
        raise located.error(message, "subject")
    placeholders = {*rule.params, "as_of"}
    if rule.sql is not None:
        for key in CONDITION_KEYS:
            if getattr(rule, key) is not None:
                message = f"rule {rule.id}: {key} goes with subject, not with sql"
                raise located.error(message, key)
        try:
            checked_query(rule.sql, placeholders, OUTPUT_COLUMNS)
        except UnsafeSQLError as problem:
            raise located.error(f"rule {rule.id}: {problem}", "sql") from None
        return
    for key in ("where", "detail"):
        if getattr(rule, key) is None:
            raise located.error(f"rule {rule.id}: a subject needs {key}", key)
    try:
        query = rule.query
    except ConditionError as problem:
        raise located.error(f"rule {rule.id}: {problem}", problem.key) from None
    try:  # what the runner composed: checked like any query
        checked_query(query, placeholders, OUTPUT_COLUMNS)
    except UnsafeSQLError as problem:
        raise located.error(f"rule {rule.id}: {problem}", "subject") from None
