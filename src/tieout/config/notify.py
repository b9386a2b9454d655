"""tieout.yml `notify:`: how exception owners hear about new and escalated exceptions (a
daily e-mail digest) and how another system hears about each run (a webhook)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SmtpConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str
    port: int = Field(587, ge=1, le=65535)
    starttls: bool = True
    from_address: str = Field(description="e.g. tieout@example.com")
    username_env: str | None = Field(None, description="environment variable with the login")
    password_env: str | None = Field(None, description="environment variable with the password")
    timeout_seconds: float = Field(30, gt=0)


class NotifyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    smtp: SmtpConfig | None = None
    recipients: dict[str, str] = Field(
        default_factory=dict, description="exception owner (person or team) -> e-mail address"
    )
    webhook_url: str | None = Field(
        None, description="`tieout run` POSTs a JSON summary here after each successful run"
    )
    webhook_timeout_seconds: float = Field(10, gt=0)
