"""tieout.yml: the one project file. Its JSON Schema is generated from these models."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from tieout.config.access import AccessConfig
from tieout.config.engine import ENGINE_HELP, EngineName, SparkConfig
from tieout.config.fields import DateOrder, FieldSpec
from tieout.config.notify import NotifyConfig
from tieout.config.operating import (
    CalendarConfig,
    CapacityConfig,
    DecisionsConfig,
    FunnelConfig,
    HealthConfig,
    ServiceConfig,
)
from tieout.config.yamlfile import LocatedYaml
from tieout.errors import ConfigError

Name = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
STATE_PASSWORD_ENV = "TIEOUT_STATE_PASSWORD"


class SourceConfig(BaseModel):
    """One source: files (a glob) and how their columns map onto the model."""

    model_config = ConfigDict(extra="forbid")

    name: Name = Field(description="unique, snake_case")
    path: str = Field(description="file or glob, relative to the project directory")
    preset: str | None = Field(None, description="e.g. xero.invoices; see `tieout presets`")
    system: str | None = Field(None, description="source system name (required without preset)")
    object: str | None = Field(None, description="source object name (required without preset)")
    table: str | None = Field(None, description="canonical table, for a source without preset")
    fields: dict[str, str | FieldSpec] = Field(
        default_factory=dict,
        description="add or override fields: a header name, or a full field spec "
        "(custom Salesforce fields ending in __c go here)",
    )
    columns: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="table -> canonical column -> SQL expression over fields (overrides)",
    )
    native_id: str | None = Field(None, description="SQL expression for the row id (no preset)")
    delimiter: str | None = Field(None, description="CSV delimiter; detected when omitted")
    encoding: str | None = Field(None, description="e.g. cp1252; detected when omitted")
    sheet: str | None = Field(None, description="XLSX sheet name; first sheet when omitted")
    date_formats: list[str] = Field(default_factory=list)
    timestamp_formats: list[str] = Field(default_factory=list)
    date_order: DateOrder | None = Field(
        None,
        description="DMY, MDY or YMD: how to read a date column whose every value fits more "
        "than one order (all days 12 or less); the project's ingest.date_order when omitted",
    )
    base_currency: CurrencyCode | None = Field(
        None,
        description="the currency a blank currency cell means (e.g. a Xero organisation's "
        "base currency); the reporting currency when omitted",
    )
    timezone: str | None = Field(
        None, description="IANA zone of timestamps without an offset, e.g. Europe/London"
    )


class IngestConfig(BaseModel):
    """How exports are read: ambiguous dates, implausible dates, how much may be set aside."""

    model_config = ConfigDict(extra="forbid")

    date_order: DateOrder | None = Field(
        None,
        description="DMY (UK, EU), MDY (US) or YMD: decides a date column whose every value "
        "fits more than one order, when the exporting system documents no default",
    )
    earliest_date: dt.date = Field(
        dt.date(1990, 1, 1), description="dates before this are implausible and quarantined"
    )
    latest_years_ahead: int = Field(
        20, ge=0, description="dates more than this many years after the as-of date are implausible"
    )
    max_quarantine_pct: float = Field(
        5.0,
        ge=0,
        le=100,
        description="a file with a larger share of its rows quarantined fails the run (exit 1) "
        "and the previous snapshot stays current",
    )


class WarehouseConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    engine: EngineName = Field("duckdb", description=ENGINE_HELP)
    dir: str = ".tieout/warehouse"
    retention: int = Field(7, ge=1, description="snapshots kept, the current one included")
    memory_limit: str = Field(
        "4GB", description="DuckDB memory limit for a run; beyond it, work spills to disk"
    )


class StateConfig(BaseModel):
    """Where the state store lives. A password need not sit in tieout.yml: leave it out of
    `url` and set $TIEOUT_STATE_PASSWORD, or name a variable holding the whole URL in
    `url_env`. Both are read when the project loads."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(
        "sqlite:///.tieout/state.db",
        description="SQLAlchemy URL; relative SQLite paths are relative to the project; "
        f"without a password, ${STATE_PASSWORD_ENV} supplies it",
    )
    url_env: str | None = Field(
        None,
        description="the environment variable holding the whole URL instead of `url`, "
        "e.g. TIEOUT_STATE_URL",
    )

    @field_validator("url")
    @classmethod
    def _url(cls, url: str) -> str:
        return with_state_password(url)

    @field_validator("url_env")
    @classmethod
    def _url_env(cls, name: str | None) -> str | None:
        if name is not None and not os.environ.get(name):
            raise ValueError(f"the environment variable {name} is not set")
        return name

    @model_validator(mode="after")
    def _url_from_env(self) -> StateConfig:
        if self.url_env is None:
            return self
        if "url" in self.model_fields_set:
            raise ValueError("give url or url_env, not both")
        self.url = with_state_password(os.environ[self.url_env])
        return self


def with_state_password(url: str) -> str:
    """The URL with $TIEOUT_STATE_PASSWORD as its password when it has none (SQLite has no
    passwords: left alone). A URL that has one as well is refused: which one is meant?"""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ValueError(f"not a SQLAlchemy URL: {url!r}") from None
    password = os.environ.get(STATE_PASSWORD_ENV)
    if not password or parsed.get_backend_name() == "sqlite":
        return url
    if parsed.password is not None:
        raise ValueError(
            f"the URL has a password and ${STATE_PASSWORD_ENV} is set too: keep one "
            "(the environment variable keeps it out of tieout.yml)"
        )
    return parsed.set(password=password).render_as_string(hide_password=False)


class MasterSystem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    system: str = "salesforce"
    object: str = "Account"


class MatchingConfig(BaseModel):
    """How shared keys are built; thresholds are Splink match probabilities."""

    model_config = ConfigDict(extra="forbid")

    customer_master: MasterSystem = Field(
        default_factory=MasterSystem,
        description="the system of record for customers: one record per real customer",
    )
    upper: float = Field(0.7, gt=0, le=1, description="link on probability alone at or above")
    lower: float = Field(0.3, gt=0, le=1, description="send to review at or above, below upper")


class EscalationRule(BaseModel):
    """Raise an open exception's severity (and hand it over) when it matches."""

    model_config = ConfigDict(extra="forbid")

    min_age_days: int | None = Field(None, ge=0, description="open at least this long")
    min_amount: float | None = Field(None, ge=0, description="amount at risk at least this")
    tier: str | None = Field(None, description="customer tier, e.g. strategic")
    severity: Literal["low", "medium", "high", "critical"] = "high"
    owner: str | None = Field(None, description="hand over to, e.g. leadership")


class CloseConfig(BaseModel):
    """Month-end close (`tieout close`)."""

    model_config = ConfigDict(extra="forbid")

    tolerance: Decimal = Field(
        Decimal("1.00"),
        ge=0,
        decimal_places=2,
        description="a job's gap up to this (reporting currency) is rounding, not a difference",
    )


class CommissionTier(BaseModel):
    model_config = ConfigDict(extra="forbid")

    up_to: Decimal | None = Field(
        None, gt=0, description="upper bound of this slice; omit on the last"
    )
    rate_pct: Decimal = Field(ge=0, le=100, description="commission on this slice, per cent")


class CommissionPlan(BaseModel):
    """Commission on realised margin: each rep's period basis cut into marginal tiers."""

    model_config = ConfigDict(extra="forbid")

    basis: str = Field("margin", description="a money metric split by rep and job")
    tiers: list[CommissionTier] = Field(
        default_factory=lambda: [CommissionTier(rate_pct=Decimal(5))], min_length=1
    )

    @field_validator("tiers")
    @classmethod
    def _ascending(cls, tiers: list[CommissionTier]) -> list[CommissionTier]:
        bounds = [t.up_to for t in tiers[:-1]]
        if any(b is None for b in bounds) or tiers[-1].up_to is not None:
            raise ValueError("every tier but the last needs up_to; the last has none")
        if bounds != sorted(bounds):  # type: ignore[type-var]
            raise ValueError("tiers must rise: each up_to above the one before")
        return tiers


class LlmConfig(BaseModel):
    """An OpenAI-compatible chat endpoint that may reword the commentary (numbers checked)."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(description="base URL, e.g. http://localhost:8000/v1")
    model: str = Field(description="model name the endpoint serves")
    api_key_env: str = Field("OPENAI_API_KEY", description="environment variable with the key")
    timeout_seconds: float = Field(30, gt=0)


class CommentaryConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    llm: LlmConfig | None = Field(None, description="omit for the deterministic text only")


def _default_ownership() -> dict[str, str]:
    return {"sales": "account_owner"}


class Project(BaseModel):
    """The whole tieout.yml."""

    model_config = ConfigDict(extra="forbid")

    name: str = "tieout project"
    reporting_currency: CurrencyCode = "GBP"
    as_of: dt.date | None = Field(
        None, description="fixed as-of date for every window; today when omitted"
    )
    warehouse: WarehouseConfig = Field(default_factory=WarehouseConfig)
    spark: SparkConfig = Field(default_factory=SparkConfig)
    ingest: IngestConfig = Field(default_factory=IngestConfig)
    state: StateConfig = Field(default_factory=StateConfig)
    sources: list[SourceConfig] = Field(default_factory=list)
    matching: MatchingConfig = Field(default_factory=MatchingConfig)
    ownership: dict[str, str] = Field(
        default_factory=_default_ownership,
        description="rule owner function -> owner; 'account_owner' = the CRM account owner",
    )
    escalation: list[EscalationRule] = Field(
        default_factory=list, description="applied in order to every open exception"
    )
    rules: dict[str, dict[str, int | Decimal | str]] = Field(
        default_factory=dict,
        description="rule id -> parameter overrides, e.g. unbilled_work: {days: 21}",
    )
    rule_files: list[str] = Field(
        default_factory=lambda: ["rules/*.yml"],
        description="the project's own exception rules (YAML, same fields as the built-in "
        "ones), globs relative to the project directory",
    )
    metric_files: list[str] = Field(
        default_factory=lambda: ["metrics/*.yml"],
        description="the project's own metric definitions (YAML), globs relative to the "
        "project directory",
    )
    close: CloseConfig = Field(default_factory=CloseConfig)
    commission: CommissionPlan = Field(default_factory=CommissionPlan)
    commentary: CommentaryConfig = Field(default_factory=CommentaryConfig)
    calendars: dict[str, CalendarConfig] = Field(
        default_factory=lambda: {"default": CalendarConfig()},
        description="working calendars by name, for SLA clocks and capacity",
    )
    service: ServiceConfig = Field(default_factory=ServiceConfig)
    capacity: CapacityConfig = Field(default_factory=CapacityConfig)
    funnel: FunnelConfig = Field(default_factory=FunnelConfig)
    health: HealthConfig = Field(default_factory=HealthConfig)
    decisions: DecisionsConfig = Field(default_factory=DecisionsConfig)
    plan_files: list[str] = Field(
        default_factory=lambda: ["plans/*.yml"],
        description="joint plan files, imported as draft versions with `tieout plan import`",
    )
    access: AccessConfig = Field(default_factory=AccessConfig)
    notify: NotifyConfig = Field(default_factory=NotifyConfig)
    scorecards: dict[str, list[str]] | None = Field(
        None, description="function -> metrics it is measured on; the built-in set when omitted"
    )

    @model_validator(mode="after")
    def _calendars_exist(self) -> Project:
        for section, name in (
            ("service", self.service.calendar),
            ("capacity", self.capacity.calendar),
        ):
            if name not in self.calendars:
                raise ValueError(f"{section}.calendar {name!r} is not under calendars")
        return self

    @field_validator("sources")
    @classmethod
    def _unique_names(cls, sources: list[SourceConfig]) -> list[SourceConfig]:
        seen: set[str] = set()
        for src in sources:
            if src.name in seen:
                raise ValueError(f"two sources are named {src.name!r}")
            seen.add(src.name)
        return sources


@dataclass(frozen=True)
class ProjectFile:
    """A validated tieout.yml and where it lives (relative paths resolve against `root`):
    what the definitions are loaded from."""

    root: Path
    file: Path
    config: Project
    located: LocatedYaml

    def error(self, message: str, *path: str | int) -> ConfigError:
        return self.located.error(message, *path)
