"""The demo as an ordinary tieout project: its tieout.yml names every export it writes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from tieout.config.scaffold import write_project

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
    ]
    return sources


def write_demo_project(folder: Path) -> Path:
    return write_project(
        folder,
        name="Demo services company",
        sources=demo_sources(),
        extra={"as_of": DEMO_AS_OF},
    )
