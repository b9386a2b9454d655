"""The demo as an ordinary tieout project: its tieout.yml names every export it writes and
carries the working calendar, SLA policies, capacity and plan settings the demo runs on."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from tieout.config.scaffold import write_project
from tieout.demo.calendar import HOLIDAYS, TIMEZONE

DEMO_AS_OF = dt.date(2026, 10, 31)

_SALESFORCE = (
    "Account",
    "User",
    "Product2",
    "Opportunity",
    "OpportunityLineItem",
    "Quote",
    "QuoteLineItem",
    "Contract",
    "Campaign",
    "CampaignMember",
    "Lead",
    "Case",
    "WorkOrder",
    "WorkOrderLineItem",
)


def demo_sources() -> list[dict[str, Any]]:
    sources: list[dict[str, Any]] = []
    for obj in _SALESFORCE:
        source: dict[str, Any] = {
            "name": f"salesforce_{obj.lower()}",
            "path": f"exports/salesforce/{obj}.csv",
            "preset": f"salesforce.{obj.lower()}",
        }
        if obj == "Account":
            source["fields"] = {"tier": "Tier__c"}
        if obj == "WorkOrder":
            source["fields"] = {"quote_id": "Quote__c", "completed_at": "Completed_Date__c"}
        sources.append(source)
    sources += [
        {
            "name": "servicenow_incidents",
            "path": "exports/servicenow/incident.csv",
            "preset": "servicenow.incident",
        },
        {
            "name": "servicenow_state_history",
            "path": "exports/servicenow/metric_instance.csv",
            "preset": "servicenow.metric_instance",
        },
        {
            "name": "zendesk_tickets",
            "path": "exports/zendesk/tickets.csv",
            "preset": "zendesk.tickets",
        },
        {"name": "xero_invoices", "path": "exports/xero/invoices_*.csv", "preset": "xero.invoices"},
        {"name": "harvest_time", "path": "exports/harvest/time_*.csv", "preset": "harvest.time"},
        {
            "name": "scope_changes",
            "path": "exports/canonical/work_order_change.csv",
            "preset": "canonical.work_order_change",
            "system": "salesforce",
        },
        {
            "name": "fx_rates",
            "path": "exports/canonical/fx_rate.csv",
            "preset": "canonical.fx_rate",
        },
        {
            "name": "onboarding_milestones",
            "path": "exports/canonical/onboarding_milestone.csv",
            "preset": "canonical.onboarding_milestone",
            "system": "salesforce",
        },
        {
            "name": "time_off",
            "path": "exports/canonical/time_off.csv",
            "preset": "canonical.time_off",
            "system": "salesforce",
        },
    ]
    return sources


def demo_settings(people: dict[str, float]) -> dict[str, Any]:
    """Calendar `uk`, the SLA policies, capacity (part-timers by name) and the plan files."""
    return {
        "calendars": {
            "uk": {
                "timezone": TIMEZONE,
                "days": ["mon", "tue", "wed", "thu", "fri"],
                "start": "09:00",
                "end": "17:30",
                "holidays": list(HOLIDAYS),
            }
        },
        "service": {
            "calendar": "uk",
            "pause_statuses": ["pending", "on_hold"],
            "policies": [
                {"priority": 1, "tier": "strategic", "response_hours": 0.5, "resolution_hours": 4},
                {"priority": 1, "response_hours": 1, "resolution_hours": 8},
                {"priority": 2, "response_hours": 4, "resolution_hours": 16},
                {"priority": 3, "response_hours": 8, "resolution_hours": 40},
                {"priority": 4, "response_hours": 16, "resolution_hours": 80},
            ],
        },
        "capacity": {"calendar": "uk", "weekly_hours": 37.5, "people": dict(people)},
        "plan_files": ["plans/*.yml"],
    }


def write_demo_project(folder: Path, people: dict[str, float] | None = None) -> Path:
    """tieout.yml for a generated demo; part-timers come from its truth.json when not given."""
    if people is None:
        truth = Path(folder) / "truth.json"
        known = json.loads(truth.read_text(encoding="utf-8")) if truth.exists() else {}
        people = known.get("capacity_people", {})
    return write_project(
        folder,
        name="Demo services company",
        sources=demo_sources(),
        extra={
            "as_of": DEMO_AS_OF,
            # the demo plants unreadable rows on purpose; in a small company's small files
            # they pass the default 5% a file may set aside
            "ingest": {"max_quarantine_pct": 15},
            **demo_settings(people),
        },
    )
