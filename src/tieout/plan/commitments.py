"""Campaign commitments: the conversion sales expects from a campaign's cohort, wherever it
was written down. The approved plan's `commitments:` entry wins; else the campaign's own
expectations in the CRM count (Salesforce Campaign ExpectedResponse, a response rate, and
ExpectedRevenue), because many teams keep them there and never write a plan file.

Each commitment is measured over the campaign's whole cohort up to the as-of date with the
governed metric it names (a CRM response rate with the share of members who responded), so
`spend_without_commitment`, the plan page and `tieout funnel` all read one table,
`campaign_commitment`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from importlib import resources
from typing import Any

import pyarrow as pa

from tieout.engine import Warehouse
from tieout.errors import TieoutError
from tieout.metrics import Catalogue, Period, compute

SINCE = dt.date(1900, 1, 1)  # a cohort's actual counts everything up to the as-of date
UNITS = {"response_rate": "percent"}  # the CRM's response rate is not a catalogue metric


def build(wh: Warehouse, catalogue: Catalogue, currency: str, as_of: dt.date) -> list[str]:
    """Fill `campaign_commitment` (after `plan_commitment`); returns the metrics that could
    not be measured, and why."""
    wh.run_script(
        (resources.files("tieout.plan") / "sql" / "commitments.sql").read_text("utf-8"),
        {"plan_as_of": as_of, "plan_currency": currency},
    )
    rows = wh.query_dicts("SELECT * FROM _campaign_commitment ORDER BY campaign, metric, source")
    wh.drop_table("_campaign_commitment")
    problems: list[str] = []
    measured: dict[str, dict[str, Decimal | None]] = {}
    for metric in sorted({r["metric"] for r in rows if r["actual"] is None} - set(UNITS)):
        try:
            result = compute(
                wh,
                catalogue,
                metric,
                by=["campaign"],
                period=Period(SINCE, as_of, f"to {as_of}"),
                compare=None,
                currency=currency,
                as_of=as_of,
            )
        except TieoutError as exc:
            problems.append(f"campaign commitments on {metric}: {exc}")
            continue
        measured[metric] = {
            _name(r["campaign"]): r["value"] for r in result.rows if r.get("campaign") is not None
        }
    for r in rows:
        if r["actual"] is None:
            r["actual"] = measured.get(r["metric"], {}).get(_name(r["campaign"]))
        known = catalogue.metrics.get(r["metric"])
        r["unit"] = UNITS.get(r["metric"]) or (known.unit if known else None)
    _replace(wh, rows)
    return problems


def _name(campaign: Any) -> str:
    return str(campaign).strip().casefold()


def _replace(wh: Warehouse, rows: list[dict[str, Any]]) -> None:
    wh.execute("DELETE FROM campaign_commitment")
    if rows:
        wh.register_arrow("_campaign_commitment_in", pa.Table.from_pylist(rows))
        try:
            wh.execute(
                "INSERT INTO campaign_commitment BY NAME SELECT * FROM _campaign_commitment_in"
            )
        finally:
            wh.unregister("_campaign_commitment_in")
