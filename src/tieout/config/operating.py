"""tieout.yml sections for running the business: calendars, SLA policies, capacity, the
funnel's one definition of qualified, account health, decision thresholds and scorecards."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from sqlglot import exp

from tieout.model.sqlcheck import UnknownColumnsError, UnsafeSQLError, checked_expression
from tieout.model.tables import TABLE_MAP

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Severity = Literal["low", "medium", "high", "critical"]
CapBand = Literal["amber", "red"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HHMM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CalendarConfig(Strict):
    """Working time: SLA clocks and capacity count only these hours."""

    timezone: str = Field("UTC", description="IANA name, e.g. Europe/London")
    days: list[Weekday] = Field(default_factory=lambda: list(WEEKDAYS[:5]))
    start: str = Field("09:00", pattern=HHMM, description="local start of the working day")
    end: str = Field("17:30", pattern=HHMM, description="local end of the working day")
    holidays: list[dt.date] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {name!r}") from None
        return name

    @model_validator(mode="after")
    def _start_before_end(self) -> CalendarConfig:
        if self.start >= self.end:
            raise ValueError("start must be before end")
        return self

    @property
    def hours_per_day(self) -> Decimal:
        (h0, m0), (h1, m1) = (map(int, t.split(":")) for t in (self.start, self.end))
        return Decimal((h1 * 60 + m1) - (h0 * 60 + m0)) / 60


class SlaPolicy(Strict):
    """Targets for one priority (and tier): the first policy that fits a ticket applies."""

    priority: int = Field(ge=1, le=4, description="1 critical .. 4 low")
    tier: str | None = Field(None, description="customer tier, e.g. strategic; any when omitted")
    response_hours: Decimal = Field(gt=0, description="business hours to first response")
    resolution_hours: Decimal = Field(gt=0, description="business hours to resolution")


def _default_policies() -> list[SlaPolicy]:
    return [
        SlaPolicy(priority=1, response_hours=Decimal(1), resolution_hours=Decimal(8)),
        SlaPolicy(priority=2, response_hours=Decimal(4), resolution_hours=Decimal(16)),
        SlaPolicy(priority=3, response_hours=Decimal(8), resolution_hours=Decimal(40)),
        SlaPolicy(priority=4, response_hours=Decimal(16), resolution_hours=Decimal(80)),
    ]


class ServiceConfig(Strict):
    calendar: str = Field("default", description="name under `calendars`")
    pause_statuses: list[str] = Field(
        default_factory=lambda: ["pending", "on_hold"],
        description="canonical ticket statuses that stop the clock (waiting on the customer)",
    )
    policies: list[SlaPolicy] = Field(default_factory=_default_policies)
    age_buckets_days: list[int] = Field(
        default_factory=lambda: [7, 30, 90], description="open cases by age: upper bounds"
    )


class CapacityConfig(Strict):
    calendar: str = Field("default", description="name under `calendars`")
    weekly_hours: Decimal = Field(Decimal("37.5"), gt=0, description="a full-time week")
    people: dict[str, Decimal] = Field(
        default_factory=dict, description="person name -> weekly hours (part-time)"
    )
    team_field: Literal["team", "department", "function"] = Field(
        "department", description="person column that names a team"
    )
    service_team: str | None = Field(
        None, description="team that answers tickets: recent ticket load counts as demand"
    )
    hours_per_ticket: Decimal = Field(Decimal("1.5"), ge=0)
    weeks: int = Field(13, ge=1, le=104, description="weeks ahead to plan")
    billable_target_pct: Decimal = Field(Decimal(75), ge=0, le=100)


class FunnelStage(Strict):
    at: str = Field(description="SQL over the lead row: when it reached the stage")
    when: str = Field("TRUE", description="SQL condition over the lead row")

    @field_validator("at", "when")
    @classmethod
    def _over_the_lead(cls, sql: str) -> str:
        """Data-only SQL over the lead's own columns, checked when tieout.yml loads."""
        try:
            checked_expression(sql, TABLE_MAP["lead"].column_map)
        except UnknownColumnsError as unknown:
            names = ", ".join(map(repr, unknown.names))
            raise ValueError(f"the lead has no column {names}") from None
        except UnsafeSQLError as problem:
            raise ValueError(str(problem)) from None
        return sql


def _stage(at: str) -> FunnelStage:
    return FunnelStage(at=at)


class FunnelConfig(Strict):
    """The one definition of qualified, shared by sales and marketing."""

    mql: FunnelStage = Field(default_factory=lambda: _stage("mql_at"))
    sal: FunnelStage = Field(default_factory=lambda: _stage("sal_at"))
    sql: FunnelStage = Field(default_factory=lambda: _stage("sql_at"))


class HealthSignal(Strict):
    points: Decimal = Field(ge=0, description="taken off 100 for each occurrence")
    cap: Decimal = Field(ge=0, description="at most this many points in all")


def _default_signals() -> dict[str, HealthSignal]:
    def s(points: int, cap: int) -> HealthSignal:
        return HealthSignal(points=Decimal(points), cap=Decimal(cap))

    return {
        "sla_breaches": s(5, 25),
        "open_escalations": s(10, 30),
        "aged_cases": s(5, 20),
        "onboarding_late": s(10, 20),
        "onboarding_blocked": s(10, 20),
        "overdue_receivables": s(10, 20),
        "low_margin": s(15, 15),
        "renewal_without_pipeline": s(10, 10),
    }


# signals that count exceptions became the rules' own health effects (issue 16)
MOVED_SIGNALS = {"repeat_issues": "repeat_issue", "unbilled_work": "unbilled_work"}


class ExceptionEffect(Strict):
    """What an open exception of a rule does to its account's health: declared in the rule's
    YAML (`health:`), tuned per rule in tieout.yml (`health.exceptions.<rule>`, only the keys
    given). Open means open, acknowledged or waiting for a waiver's approval; resolving it or
    an approved waiver lifts the effect at the next run."""

    points: Decimal = Field(
        Decimal(0), ge=0, description="taken off 100 for each open exception of the rule"
    )
    max_points: Decimal | None = Field(
        None, ge=0, description="at most this many for all of them; none: no limit"
    )
    caps: dict[Severity, CapBand] | None = Field(
        None,
        description="the band at most, by the exception's severity; none: health.exception_caps",
    )
    high_on: list[Literal["strategic", "renewal"]] = Field(
        default_factory=list,
        description="counts as high (at least) on a strategic account (tier strategic) or one "
        "in its renewal stage (renewing within health.renewal_days)",
    )


def _default_caps() -> dict[Severity, CapBand]:
    return {"high": "amber", "critical": "red"}


class HealthScorecard(Strict):
    """Overrides for one segment (tier) or lifecycle stage."""

    signals: dict[str, HealthSignal] = Field(default_factory=dict)


class HealthConfig(Strict):
    signals: dict[str, HealthSignal] = Field(default_factory=_default_signals)
    green: Decimal = Field(Decimal(75), description="score at or above: green")
    amber: Decimal = Field(Decimal(50), description="score at or above (below green): amber")
    window_days: int = Field(90, ge=1, description="recent SLA breaches and escalations")
    aged_days: int = Field(30, ge=1)
    renewal_days: int = Field(90, ge=1, description="lifecycle stage renewal within this")
    onboarding_days: int = Field(90, ge=1, description="stage onboarding: contract this new")
    overdue_days: int = Field(60, ge=0, description="receivables overdue beyond this")
    margin_floor_pct: Decimal = Field(Decimal(20), description="12-month margin below this")
    stages: dict[Literal["onboarding", "steady", "renewal"], HealthScorecard] = Field(
        default_factory=dict
    )
    segments: dict[str, HealthScorecard] = Field(
        default_factory=dict, description="tier -> overrides, applied after the stage's"
    )
    exception_caps: dict[Severity, CapBand] = Field(
        default_factory=_default_caps,
        description="an open exception of this severity keeps its account's band at most "
        "this, whatever the score (a rule may declare its own caps)",
    )
    exceptions: dict[str, ExceptionEffect] = Field(
        default_factory=dict,
        description="rule id -> what an open exception of it does to health, over the "
        "rule's own `health:` (only the keys given), e.g. repeat_issue: {points: 10}",
    )

    @model_validator(mode="after")
    def _known_signals(self) -> HealthConfig:
        known = set(_default_signals())
        cards: list[HealthConfig | HealthScorecard] = [self, *self.stages.values()]
        for card in [*cards, *self.segments.values()]:
            unknown = sorted(set(card.signals) - known)
            if unknown:
                moved = [
                    f"{name} is now health.exceptions.{MOVED_SIGNALS[name]}"
                    for name in unknown
                    if name in MOVED_SIGNALS
                ]
                hint = f" ({'; '.join(moved)})" if moved else ""
                raise ValueError(f"unknown health signal(s) {', '.join(unknown)}{hint}")
        return self


class DecisionThreshold(Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    when: str = Field(
        description="SQL condition over account_health (band, tier, stage, score, "
        "renewal_days, contract_value, open_pipeline, ...)"
    )
    question: str
    options: list[str] = Field(default_factory=list)
    owner: str = "leadership"
    due_days: int = Field(7, ge=0)

    @field_validator("when")
    @classmethod
    def _one_condition(cls, when: str, info: ValidationInfo) -> str:
        """One data-only SQL condition over account_health's own columns (no query, no
        second statement), checked when tieout.yml loads."""
        known = TABLE_MAP["account_health"].column_map
        problem = None
        try:
            if not isinstance(checked_expression(when, known), exp.Condition):
                problem = "must be one condition, e.g. band = 'red' AND renewal_days <= 90"
        except UnknownColumnsError as unknown:
            problem = (
                f"account_health has no column {', '.join(unknown.names)} "
                f"(it has {', '.join(known)}; quote text with single quotes)"
            )
        except UnsafeSQLError as unsafe:
            problem = str(unsafe)
        if problem:
            raise ValueError(f"decision threshold {info.data.get('name', '')}: {problem}")
        return when


def _default_thresholds() -> list[DecisionThreshold]:
    """Leadership hears of every account that turns red and every strategic one that turns
    amber; each request names the open exceptions behind the band."""
    options = ["executive sponsor call", "service recovery plan", "commercial concession"]
    return [
        DecisionThreshold(
            name="account_red",
            when="band = 'red'",
            question="The account turned red: what do we do?",
            options=options,
        ),
        DecisionThreshold(
            name="strategic_amber",
            when="band = 'amber' AND tier = 'strategic'",
            question="A strategic account turned amber: what do we do?",
            options=options,
        ),
    ]


class DecisionsConfig(Strict):
    leaders: list[str] = Field(
        default_factory=list, description="users who may decide; empty: anyone"
    )
    thresholds: list[DecisionThreshold] = Field(default_factory=_default_thresholds)
