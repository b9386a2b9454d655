"""The joint sales and marketing plan for 2026 (plans/joint-plan.yml).

Targets are MQLs by campaign cohort per month, for the cells big enough to plan: each is
what the campaign then delivered, except about one reviewed cell in ten where marketing
promised half as much again (a clear variance nobody has explained yet). Commitments: sales
commits to a SQL rate for most campaigns that spent money in the plan's months or the last
RECENT_SPEND days, not all (the CRM holds no expected response or revenue for any).
The cohort of a lead is the campaign of its earliest CampaignMember row (CreatedDate, then
CampaignId), so the plan and the truth count leads the way a reader of the exports would.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Final

import numpy as np
import pyarrow as pa
import yaml

from tieout.demo.company import D1, Company
from tieout.demo.fmt import IntArray, day_number, i64
from tieout.demo.marketing import Campaigns, Leads

PLAN_ID: Final = "joint-2026"
YEAR: Final = 2026
REVIEW_DAY: Final = 10
THRESHOLD_PCT: Final = 20
RECENT_SPEND: Final = 180  # days: spend this recent needs a commitment, plan or no plan


@dataclass
class Plan:
    campaign: IntArray  # per target
    month: IntArray  # 1..12
    actual: IntArray  # MQLs of the cohort that month
    target: IntArray
    committed: IntArray  # campaign indexes with a commitment
    rate: list[float]
    committed_by: list[str]
    spend: IntArray  # per campaign, as Campaign.ActualCost exports it (parents include children)
    varied: IntArray  # planted: targets promised half as much again as delivered
    uncommitted: IntArray  # planted: campaigns that spent in the plan's months, not committed


def cohorts(campaign_ids: pa.Array, leads: Leads) -> IntArray:
    """Each lead's cohort campaign (-1 for a lead in no campaign)."""
    ids = np.asarray(campaign_ids.to_pylist(), dtype=object)
    lead = leads.m_lead
    rows = np.flatnonzero(lead >= 0)
    key_id = ids[leads.m_campaign[rows]].astype(str)
    order = np.lexsort((key_id, leads.m_created[rows], lead[rows]))
    rows = rows[order]
    first = np.r_[True, lead[rows][1:] != lead[rows][:-1]] if len(rows) else np.zeros(0, bool)
    out = np.full(len(leads.mql), -1, dtype=np.int64)
    out[lead[rows[first]]] = leads.m_campaign[rows[first]]
    return out


def month_of(day: IntArray) -> IntArray:
    """Months since year 0 (year * 12 + month - 1) of day numbers."""
    d = np.asarray(i64(day), dtype="datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return i64(d + 1970 * 12)


def review_day(month: int) -> int:
    """Day 10 of the month after `month` (1..12 of YEAR)."""
    y, m = divmod(YEAR * 12 + month, 12)
    return day_number(date(y, m + 1, REVIEW_DAY))


def exported_spend(c: Campaigns) -> IntArray:
    spend = c.spend.copy()
    child = np.flatnonzero(c.parent >= 0)
    np.add.at(spend, c.parent[child], c.spend[child])
    return i64(spend)


def build_plan(
    rng: np.random.Generator,
    company: Company,
    campaigns: Campaigns,
    leads: Leads,
    campaign_ids: pa.Array,
    scale: float,
) -> Plan:
    """Targets and commitments (see module docstring)."""
    cohort = cohorts(campaign_ids, leads)
    ok = (leads.mql >= 0) & (cohort >= 0)
    ym = month_of(np.where(ok, leads.mql, 0))
    ok &= ym // 12 == YEAR
    cell = cohort[ok] * 12 + ym[ok] % 12
    counts = np.bincount(cell, minlength=len(campaigns.name) * 12)
    least = 3 if scale < 0.5 else 4  # cells this big are worth a target (cohorts stay small)
    cells = np.flatnonzero(counts >= least)
    camp, month = cells // 12, cells % 12 + 1
    order = np.lexsort((np.array([campaigns.name[c] for c in camp], dtype=str), month))
    camp, month, actual = camp[order], month[order], counts[cells][order]
    reviewed = np.flatnonzero(i64([review_day(int(m)) for m in month]) < D1)
    target = actual.copy()
    k = max(1, round(0.1 * len(reviewed))) if len(reviewed) else 0
    seen: set[int] = set()
    varied: list[int] = []
    for i in rng.permutation(reviewed).tolist():
        if len(seen) == k:
            break
        if int(camp[i]) not in seen:  # one promised-too-much cell per campaign
            seen.add(int(camp[i]))
            target[i] = (actual[i] * 3 + 1) // 2  # round(count * 1.5), halves up
            varied.append(i)
    spend = exported_spend(campaigns)
    committed, rate, by, idle = _commitments(rng, company, campaigns, spend, month)
    return Plan(i64(camp), i64(month), i64(actual), i64(target), committed, rate, by, spend,
                i64(sorted(varied)), idle)  # fmt: skip


def plan_span(month: IntArray) -> tuple[int, int]:
    """First and last day of the plan's periods (its first to last target month)."""
    if not len(month):
        return 1, 0
    lo, hi = int(month.min()), int(month.max())
    last = review_day(hi) - REVIEW_DAY  # the first of the month after
    return day_number(date(YEAR, lo, 1)), last


def _commitments(
    rng: np.random.Generator, company: Company, c: Campaigns, spend: IntArray, month: IntArray
) -> tuple[IntArray, list[float], list[str], IntArray]:
    first, last = plan_span(month)
    in_plan = (c.start >= first) & (c.start <= last)
    recent = (c.start > D1 - RECENT_SPEND) & (c.start <= D1)
    spent = np.flatnonzero((spend > 0) & (in_plan | recent))
    keep = rng.random(len(spent)) < 0.85
    if len(spent) >= 2 and keep.all():
        keep[int(rng.integers(len(spent)))] = False
    chosen = spent[keep]
    sellers = [i for i in company.sales_staff.tolist() if company.people[i].active]
    who = rng.integers(0, len(sellers), len(chosen))
    rate = [float(r) for r in np.round(rng.uniform(15, 35, len(chosen)), 1)]
    names = [f"{company.people[sellers[w]].first} {company.people[sellers[w]].last}" for w in who]
    return i64(chosen), rate, names, i64(spent[~keep])


def plan_yaml(plan: Plan, campaigns: Campaigns) -> str:
    """The plan file, one target or commitment per line as people write them."""
    head: dict[str, Any] = {
        "plan": PLAN_ID,
        "title": f"Joint sales and marketing plan {YEAR}",
        "cadence": "monthly",
        "review_day": REVIEW_DAY,
        "variance_threshold_pct": THRESHOLD_PCT,
    }
    lines = [yaml.safe_dump(head, sort_keys=False, allow_unicode=True).rstrip()]
    lines.append("targets:" + (" []" if not len(plan.campaign) else ""))
    for c, m, t in zip(
        plan.campaign.tolist(), plan.month.tolist(), plan.target.tolist(), strict=True
    ):
        entry = {
            "period": f"{YEAR}-{m:02d}",
            "metric": "mqls",
            "dimension": "campaign",
            "member": campaigns.name[c],
            "value": t,
        }
        lines.append("  - " + _flow(entry))
    lines.append("commitments:" + (" []" if not len(plan.committed) else ""))
    for c, r, who in zip(plan.committed.tolist(), plan.rate, plan.committed_by, strict=True):
        entry = {"campaign": campaigns.name[c], "metric": "sql_rate", "value": r,
                 "committed_by": who}  # fmt: skip
        lines.append("  - " + _flow(entry))
    return "\n".join(lines) + "\n"


def _flow(entry: dict[str, Any]) -> str:
    text = yaml.safe_dump(
        entry, default_flow_style=True, sort_keys=False, allow_unicode=True, width=1_000_000
    )
    return text.strip()


def write_plan(out_dir: Path, plan: Plan, campaigns: Campaigns) -> Path:
    path = Path(out_dir) / "plans" / "joint-plan.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(plan_yaml(plan, campaigns), encoding="utf-8")
    return path
