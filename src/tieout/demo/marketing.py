"""Marketing: campaigns (yearly parents with quarterly children), leads and members.

Most leads are prospects that never became customers. Customers won during the window
each have one converted lead pointing at their Account and first won Opportunity, with
MQL, SAL and SQL dates in order, so the funnel can be rebuilt by cohort.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

import numpy as np
import pyarrow as pa

from tieout.demo import company as co
from tieout.demo import names
from tieout.demo.company import D0, D1, Company
from tieout.demo.fmt import IntArray, day_number, i64, strings, to_date
from tieout.demo.places import PLACES, postcodes
from tieout.demo.sales import Sales

CAMPAIGN_TYPES: Final = (
    "Webinar",
    "Email",
    "Conference",
    "Advertisement",
    "Direct Mail",
    "Partners",
)
_BUDGET: Final = (4000, 1500, 40000, 20000, 8000, 6000)  # typical GBP budget per type
TOPICS: Final = (
    "Data Platforms",
    "Cloud Migration",
    "Customer Portals",
    "Managed Services",
    "Security",
    "AI Readiness",
    "Digital Workplace",
)
LEAD_STATUSES: Final = (
    "Open - Not Contacted",
    "Working - Contacted",
    "Closed - Converted",
    "Closed - Not Converted",
)
MEMBER_STATUSES: Final = ("Sent", "Opened", "Clicked", "Responded", "Registered", "Attended")


@dataclass
class Campaigns:
    """Sorted by start day, so index order is creation order."""

    name: list[str]
    kind: list[int]
    start: IntArray
    end: IntArray
    parent: IntArray  # -1 for top-level
    budget: IntArray  # minor units, GBP
    spend: IntArray
    owner: IntArray


@dataclass
class Leads:
    company: pa.Array
    first: IntArray  # index into names.FIRST_NAMES
    last: IntArray
    domain: pa.Array
    place: IntArray  # index into places.PLACES
    postcode: pa.Array
    status: IntArray
    source: IntArray
    created: IntArray  # epoch seconds
    mql: IntArray  # day, -1 when never reached
    sal: IntArray
    sql: IntArray
    converted: IntArray  # day, -1
    account: IntArray  # customer index, -1
    opportunity: IntArray  # opportunity index, -1
    owner: IntArray
    m_campaign: IntArray  # campaign members
    m_lead: IntArray  # -1 for contact members
    m_contact: IntArray  # -1 for lead members
    m_status: IntArray
    m_created: IntArray  # epoch seconds


def build_campaigns(rng: np.random.Generator, company: Company, scale: float) -> Campaigns:
    n = max(8, round(40 * scale))
    years = (2024, 2025, 2026)
    rows: list[tuple[str, int, int, int, int, int]] = []  # name, kind, start, end, parent, budget
    for y in years:
        start = max(day_number(date(y, 1, 1)), D0 - 120)
        rows.append((f"FY{y} Demand Generation", 1, start, day_number(date(y, 12, 31)), -1, 0))
    seen: dict[str, int] = {}
    for _ in range(n):
        start = int(rng.integers(D0 - 90, D1 - 10))
        y = to_date(start).year
        q = (to_date(start).month - 1) // 3 + 1
        kind = int(rng.integers(len(CAMPAIGN_TYPES)))
        topic = TOPICS[int(rng.integers(len(TOPICS)))]
        name = f"{y} Q{q} {CAMPAIGN_TYPES[kind]} - {topic}"
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            name = f"{name} ({seen[name]})"
        cost = int(_BUDGET[kind] * rng.uniform(0.6, 1.6)) * 100
        rows.append((name, kind, start, start + int(rng.integers(14, 91)), years.index(y), cost))
    order = sorted(range(len(rows)), key=lambda i: (rows[i][2], i))
    pos = {old: new for new, old in enumerate(order)}
    rows = [rows[i] for i in order]
    start_a = i64([r[2] for r in rows])
    end_a = i64([r[3] for r in rows])
    budget = i64([r[5] for r in rows])
    parent = i64([pos[r[4]] if r[4] >= 0 else -1 for r in rows])
    done = np.clip((D1 - start_a) / np.maximum(end_a - start_a, 1), 0, 1)
    spend = i64(np.round(budget * rng.uniform(0.7, 1.15, len(rows)) * done))
    staff = company.marketing_staff
    return Campaigns(
        name=[r[0] for r in rows],
        kind=[r[1] for r in rows],
        start=start_a,
        end=end_a,
        parent=parent,
        budget=budget,
        spend=spend,
        owner=staff[rng.integers(0, len(staff), len(rows))],
    )


def build_leads(
    rng: np.random.Generator, company: Company, sales: Sales, campaigns: Campaigns, scale: float
) -> Leads:
    n = max(50, round(2500 * scale))
    won = i64([c.index for c in company.customers if c.active and c.created_day >= D0])
    n_conv = len(won)
    n_prospect = max(0, n - n_conv)
    prospects = co.prospect_names(rng, max(10, n_prospect * 3 // 4), company)
    pick_p = rng.integers(0, len(prospects), n_prospect)
    # a converted lead carries the name as the prospect typed it, not the CRM's legal name
    companies = [prospects[i][0] for i in pick_p]
    companies += [names.variant(company.customers[i].name, "zendesk", rng) for i in won]
    domain = [prospects[i][1] for i in pick_p] + [company.customers[i].domain for i in won]
    place = i64(
        [prospects[i][2] for i in pick_p] + [PLACES.index(company.customers[i].place) for i in won]
    )

    job_cust = sales.opp_cust[: sales.n_jobs]
    first_opp = np.full(len(company.customers), -1)
    cust_with_jobs, first_job = np.unique(job_cust, return_index=True)
    first_opp[cust_with_jobs] = first_job  # jobs are in date order
    conv_day = company.cust_created[won]
    created_day = np.r_[
        rng.integers(D0 - 60, D1 + 1, n_prospect), conv_day - rng.integers(20, 121, n_conv)
    ]
    m = n_prospect + n_conv
    is_conv = np.arange(m) >= n_prospect
    conv_full = np.r_[np.full(n_prospect, D1), conv_day]
    reach = rng.random(m)
    mql = created_day + rng.integers(0, 21, m)
    sal = mql + rng.integers(1, 15, m)
    sql = sal + rng.integers(2, 31, m)
    funnel = []
    for stage, share in ((mql, 0.55), (sal, 0.3), (sql, 0.16)):
        x = np.where(is_conv, np.minimum(stage, conv_full), np.where(reach < share, stage, -1))
        funnel.append(np.where(x > D1, -1, x))
    mql, sal, sql = funnel
    sal = np.where(mql < 0, -1, sal)
    sql = np.where(sal < 0, -1, sql)
    not_reached = rng.choice([0, 3], size=m, p=[0.6, 0.4])
    status = np.where(is_conv, 2, np.where(sql >= 0, 3, np.where(mql >= 0, 1, not_reached)))
    sales_staff, mkt = company.sales_staff, company.marketing_staff
    owner = np.where(
        sal >= 0,
        sales_staff[rng.integers(0, len(sales_staff), m)],
        mkt[rng.integers(0, len(mkt), m)],
    )
    created = created_day * 86400 + rng.integers(8 * 3600, 19 * 3600, m)
    members = _members(rng, campaigns, created_day, company)
    return Leads(
        company=strings(companies),
        first=i64(rng.integers(0, len(names.FIRST_NAMES), m)),
        last=i64(rng.integers(0, len(names.LAST_NAMES), m)),
        domain=strings(domain),
        place=place,
        postcode=postcodes(rng, place),
        status=i64(status),
        source=i64(rng.integers(0, 8, m)),
        created=i64(created),
        mql=i64(mql),
        sal=i64(sal),
        sql=i64(sql),
        converted=np.r_[np.full(n_prospect, -1), conv_day],
        account=np.r_[np.full(n_prospect, -1), won],
        opportunity=np.r_[np.full(n_prospect, -1), first_opp[won]],
        owner=i64(owner),
        **members,
    )


def _members(
    rng: np.random.Generator, campaigns: Campaigns, lead_day: IntArray, company: Company
) -> dict[str, IntArray]:
    """Leads (and some customer contacts) in campaigns that had started by then."""
    m = len(lead_day)
    child = np.flatnonzero(campaigns.parent >= 0)
    starts = campaigns.start[child]
    per_lead = rng.choice(4, size=m, p=[0.25, 0.45, 0.2, 0.1])
    lead = np.repeat(np.arange(m), per_lead)
    started = np.searchsorted(starts, lead_day[lead], side="right")
    ok = started > 0
    lead, started = lead[ok], started[ok]
    camp = child[(rng.random(len(lead)) * started).astype(np.int64)]
    n_contacts = max(5, len(lead) // 10)
    active = np.flatnonzero(company.cust_active)
    c_camp = child[rng.integers(0, len(child), n_contacts)]
    contact = active[rng.integers(0, len(active), n_contacts)] * 16 + rng.integers(0, 2, n_contacts)
    key = np.r_[camp * (m + 1) + lead, -(c_camp * 10**7 + contact) - 1]
    _, first = np.unique(key, return_index=True)
    first = np.sort(first)
    camp_all = np.r_[camp, c_camp][first]
    lead_all = np.r_[lead, np.full(n_contacts, -1)][first]
    contact_all = np.r_[np.full(len(lead), -1), contact][first]
    base = np.where(lead_all >= 0, lead_day[np.maximum(lead_all, 0)], campaigns.start[camp_all])
    day = np.minimum(np.maximum(base, campaigns.start[camp_all]), D1)
    k = len(camp_all)
    return {
        "m_campaign": i64(camp_all),
        "m_lead": i64(lead_all),
        "m_contact": i64(contact_all),
        "m_status": i64(rng.choice(6, size=k, p=[0.35, 0.25, 0.15, 0.12, 0.08, 0.05])),
        "m_created": i64(day * 86400 + rng.integers(7 * 3600, 20 * 3600, k)),
    }
