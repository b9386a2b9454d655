"""Exception rules: YAML entries whose SQL condition yields one row per exception.

A rule's SQL selects `account_key`, `amount`, `currency`, `refs` (a list of
{system, object, native_id}) and `detail` from the canonical model and the shared keys.
`:name` placeholders are the rule's parameters (and `:as_of`), substituted as literals
by sqlglot, never pasted as text. Every rule is parsed and its tables and columns checked
when the project loads, so a typo is a config error naming the rule, not a failed run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

import sqlglot
from pydantic import BaseModel, ConfigDict, Field
from sqlglot import exp

from tieout.config import LoadedProject, parse_yaml, validate_model
from tieout.errors import ConfigError
from tieout.model import TABLE_MAP

OUTPUT_COLUMNS = ("account_key", "amount", "currency", "refs", "detail")
# ids the service issue's rules will take; a project rule may not claim them first
RESERVED = frozenset(
    {
        "sla_breach_strategic",
        "aged_case_renewal_risk",
        "onboarding_overdue",
        "repeat_issue",
        "capacity_risk",
        "unexplained_variance",
        "spend_without_commitment",
    }
)
SEVERITIES = ("low", "medium", "high", "critical")


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    description: str
    owner: str = Field(description="function that owns it: finance, sales, service, ...")
    severity: str = Field(pattern="^(low|medium|high|critical)$")
    params: dict[str, float | int | str] = Field(default_factory=dict)
    explains: list[Literal["scope", "billing"]] = Field(
        default_factory=list,
        description="month-end close differences an open exception of this rule explains: "
        "scope (delivered vs quoted), billing (delivered vs billed net of credits)",
    )
    sql: str


@dataclass(frozen=True)
class ResolvedRule:
    rule: Rule
    source: str  # where it was defined, for error messages
    params: dict[str, Any]

    def render(self, as_of: dt.date) -> exp.Expr:
        """The rule's query with every placeholder replaced by a literal."""
        values: dict[str, Any] = {**self.params, "as_of": as_of}
        tree = sqlglot.parse_one(self.rule.sql, read="duckdb")

        def bind(node: exp.Expr) -> exp.Expr:
            if isinstance(node, exp.Placeholder):
                return _literal(values[node.name])
            return node

        return tree.transform(bind)


@cache
def builtin_rules() -> dict[str, tuple[Rule, str]]:
    rules: dict[str, tuple[Rule, str]] = {}
    folder = resources.files("tieout.reconcile") / "rules"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yml"):
            name = f"rules/{entry.name}"
            rule = validate_model(Rule, parse_yaml(entry.read_text(encoding="utf-8"), name))
            if f"{rule.id}.yml" != entry.name:
                raise ConfigError(f"rule id {rule.id!r} must equal its file name", file=name)
            rules[rule.id] = (rule, name)
    return rules


def project_rules(project: LoadedProject) -> dict[str, tuple[Rule, str]]:
    """The project's own rules: YAML files matched by `rule_files` (default rules/*.yml)."""
    rules: dict[str, tuple[Rule, str]] = {}
    builtin = builtin_rules()
    for pattern in project.config.rule_files:
        for path in sorted(project.root.glob(pattern)):
            name = str(path.relative_to(project.root))
            located = parse_yaml(path.read_text(encoding="utf-8"), name)
            rule = validate_model(Rule, located)
            if rule.id in builtin or rule.id in RESERVED or rule.id in rules:
                taken = (
                    "reserved for a coming built-in rule"
                    if rule.id in RESERVED
                    else (f"already defined in {(builtin | rules)[rule.id][1]}")
                )
                raise ConfigError(
                    f"rule id {rule.id!r} is {taken}: give it another id",
                    file=name,
                    line=located.line_of(("id",)),
                    key="id",
                )
            rules[rule.id] = (rule, name)
    return rules


def load_rules(project: LoadedProject) -> list[ResolvedRule]:
    """Built-in and project rules with the parameter overrides, each checked against the model."""
    overrides = project.config.rules
    rules = {**builtin_rules(), **project_rules(project)}
    for rule_id in overrides:
        if rule_id not in rules:
            raise project.error(
                f"no rule {rule_id!r} (rules: {', '.join(rules)})", "rules", rule_id
            )
    resolved: list[ResolvedRule] = []
    for rule_id, (rule, source) in rules.items():
        params: dict[str, Any] = dict(rule.params)
        for key, value in overrides.get(rule_id, {}).items():
            if key not in params:
                known = ", ".join(params) or "none"
                raise project.error(
                    f"rule {rule_id} has no parameter {key!r} (it has {known})",
                    "rules",
                    rule_id,
                    key,
                )
            params[key] = value
        check_rule(rule, source)
        resolved.append(ResolvedRule(rule, source, params))
    return resolved


def check_rule(rule: Rule, source: str) -> None:
    """Parse the SQL; every table must be in the model and every qualified column in it."""

    def fail(problem: str) -> ConfigError:
        return ConfigError(f"rule {rule.id}: {problem}", file=source, key="sql")

    try:
        tree = sqlglot.parse_one(rule.sql, read="duckdb")
    except sqlglot.errors.ParseError as exc:
        detail = exc.errors[0].get("description", "") if exc.errors else str(exc)
        raise fail(f"not valid SQL: {detail}") from None
    if not isinstance(tree, exp.Query):
        raise fail("the SQL must be a query (SELECT ...)")
    ctes = {c.alias for c in tree.find_all(exp.CTE)}
    aliases: dict[str, set[str]] = {}
    for table in tree.find_all(exp.Table):
        if table.name not in ctes and table.name not in TABLE_MAP:
            raise fail(f"unknown table {table.name!r}")
        aliases.setdefault(table.alias_or_name, set()).add(table.name)
    for column in tree.find_all(exp.Column):
        owners = aliases.get(column.table, set())
        if len(owners) != 1 or column.name == "*":
            continue  # unqualified, or an alias reused across scopes: the engine will tell
        (owner,) = owners
        if owner in TABLE_MAP and column.name not in TABLE_MAP[owner].column_map:
            raise fail(f"table {owner} has no column {column.name!r}")
    unknown = {p.name for p in tree.find_all(exp.Placeholder)} - {*rule.params, "as_of"}
    if unknown:
        raise fail(f"unknown parameter(s) {', '.join(sorted(unknown))}")
    outputs = {s.alias_or_name for s in tree.selects}
    missing = [c for c in OUTPUT_COLUMNS if c not in outputs]
    if missing:
        raise fail(f"the query must select {', '.join(missing)}")


def _literal(value: Any) -> exp.Expr:
    if isinstance(value, dt.date):
        return exp.cast(exp.Literal.string(value.isoformat()), "DATE")
    if isinstance(value, bool):
        return exp.true() if value else exp.false()
    if isinstance(value, int | float):
        return exp.Literal.number(value)
    return exp.Literal.string(str(value))
