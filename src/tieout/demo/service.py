"""Service: ServiceNow incidents (managed-service customers), Zendesk tickets (everyone
else) and Salesforce cases, some of which spawned work orders.

Customers' people are generated as 'contacts' (a code per person) so that the same requester
shows up across tickets with one name and one email address.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import pyarrow as pa

from tieout.demo import names
from tieout.demo.company import D0, D1, Company
from tieout.demo.delivery import NEW, Delivery
from tieout.demo.fmt import BoolArray, IntArray, i64, join, pick
from tieout.demo.vec import choose, ranks, uniform_int

NOW: Final = D1 * 86400 + 18 * 3600  # the exports were taken at 18:00 on the as-of date
SN_PRIORITIES: Final = ("1 - Critical", "2 - High", "3 - Moderate", "4 - Low", "5 - Planning")
SN_STATES: Final = ("New", "In Progress", "On Hold", "Resolved", "Closed", "Canceled")
SN_CATEGORIES: Final[dict[str, tuple[str, ...]]] = {
    "Inquiry / Help": ("Antivirus", "Email", "Internal Application"),
    "Software": ("Email", "Operating System", "Internal Application"),
    "Hardware": ("CPU", "Disk", "Keyboard", "Memory", "Monitor"),
    "Network": ("DHCP", "DNS", "IP Address", "VPN", "Wireless"),
    "Database": ("DB2", "MS SQL Server", "Oracle"),
}
SUBCOUNT: Final = np.array([len(v) for v in SN_CATEGORIES.values()])
SN_GROUPS: Final = ("Service Desk", "Application Support", "Hardware", "Network", "Database")
SN_SUBJECTS: Final = (
    (
        "How do I reset my password?",
        "Request for access to shared mailbox",
        "Question about licence",
    ),
    ("Application crashes on start", "Email not syncing on laptop", "Error when exporting report"),
    ("Laptop will not boot", "Disk nearly full on file server", "Monitor flickering"),
    ("VPN keeps disconnecting", "Wi-Fi slow in meeting rooms", "Cannot reach intranet"),
    ("Database backup failed", "Slow queries on reporting DB", "Replication lag alert"),
)
SN_ESCALATIONS: Final = ("Normal", "Moderate", "High", "Overdue")
SN_CONTACT_TYPES: Final = ("Phone", "Email", "Self-service")
ZD_STATUSES: Final = ("New", "Open", "Pending", "Hold", "Solved", "Closed")
ZD_PRIORITIES: Final = ("Urgent", "High", "Normal", "Low")
ZD_VIA: Final = ("Mail", "Web form", "Phone call")
ZD_TYPES: Final = ("Question", "Incident", "Problem", "Task")
ZD_GROUPS: Final = ("Support", "Tier 2", "Billing", "Onboarding")
ZD_SUBJECTS: Final = (
    "Cannot log in to the portal",
    "Invoice query",
    "Report shows wrong totals",
    "How do I add a new user?",
    "Page loads very slowly",
    "Request: change email template",
    "Error 500 on checkout",
    "Data import failed",
    "Question about our SLA",
    "Password reset link expired",
    "Feature request: export to Excel",
    "Integration stopped syncing",
)
ZD_TAGS: Final = (
    "login",
    "billing invoice",
    "reporting",
    "user_admin",
    "performance",
    "email_template",
    "bug checkout urgent",
    "import data",
    "sla",
    "password",
    "feature_request export",
    "integration sync",
)
CASE_STATUSES: Final = ("New", "Working", "Escalated", "Closed")
CASE_PRIORITIES: Final = ("Low", "Medium", "High", "Critical")
CASE_TYPES: Final = ("Problem", "Question", "Feature Request")
CASE_REASONS: Final = ("Installation", "Performance", "Breakdown", "Feedback", "New requirement")
CASE_ORIGINS: Final = ("Phone", "Email", "Web")
CASE_SUBJECTS: Final = (
    "Escalation: repeated outages",
    "Complaint about response times",
    "Request for additional work",
    "Renewal concerns raised by customer",
    "Billing dispute",
    "Onboarding not progressing",
)


@dataclass
class Tickets:
    """One ticket system's tickets; fields unused by a system stay at their defaults."""

    cust: IntArray
    opened: IntArray  # epoch seconds
    resolved: IntArray  # epoch seconds, -1 when not resolved
    closed: IntArray  # epoch seconds, -1 when not closed
    updated: IntArray
    state: IntArray
    priority: IntArray  # 0 = most urgent
    category: IntArray
    subcategory: IntArray
    subject: IntArray
    contact: IntArray  # requester / caller contact code
    agent: IntArray  # person index, -1 when unassigned
    group: IntArray
    reopens: IntArray
    replies: IntArray
    escalation: IntArray
    channel: IntArray
    number: IntArray
    org_blank: BoolArray


@dataclass
class Cases:
    cust: IntArray
    created: IntArray
    closed: IntArray
    status: IntArray
    priority: IntArray
    kind: IntArray
    reason: IntArray
    origin: IntArray
    escalated: BoolArray
    subject: IntArray
    owner: IntArray
    number: IntArray
    wo: IntArray  # work order the case led to, -1 when none


@dataclass
class Service:
    servicenow: Tickets
    zendesk: Tickets
    cases: Cases
    wo_case: IntArray  # case index per work order, -1 when none


def contact_names(code: IntArray) -> tuple[pa.Array, pa.Array]:
    """First and last name of customer contact `code` (stable: a function of the code)."""
    c = i64(code)
    first = (c * 7919 + 13) % len(names.FIRST_NAMES)
    last = (c * 104729 + 7) % len(names.LAST_NAMES)
    return pick(names.FIRST_NAMES, first), pick(names.LAST_NAMES, last)


def contact_emails(code: IntArray, domain: pa.Array) -> pa.Array:
    """first.last@customer-domain, lower case, ASCII."""
    c = i64(code)
    first = [names.fold_accents(n).lower() for n in names.FIRST_NAMES]
    last = [
        names.fold_accents(n).lower().replace(" ", "").replace("'", "") for n in names.LAST_NAMES
    ]
    f = pick(first, (c * 7919 + 13) % len(first))
    s = pick(last, (c * 104729 + 7) % len(last))
    return join(f, ".", s, "@", domain)


def _contacts(rng: np.random.Generator, cust: IntArray) -> IntArray:
    """A contact code per ticket: each customer has 2-7 people who raise tickets."""
    per_cust = 2 + (i64(cust) * 31 + 5) % 6
    return i64(cust) * 16 + (rng.random(len(cust)) * per_cust).astype(np.int64)


_HOURS: Final = np.array(
    [1, 1, 1, 1, 1, 2, 4, 8, 16, 20, 20, 18, 14, 18, 18, 16, 14, 10, 6, 4, 3, 2, 1, 1]
)
_HOURS_P: Final = _HOURS / _HOURS.sum()


def _open_times(rng: np.random.Generator, first_day: IntArray) -> IntArray:
    day = uniform_int(rng, np.maximum(first_day, D0), np.full(len(first_day), D1))
    weekday = (day + 3) % 7
    day = day - np.where((weekday >= 5) & (rng.random(len(day)) < 0.8), weekday - 4, 0)
    hour = rng.choice(24, size=len(day), p=_HOURS_P)
    return i64(day * 86400 + hour * 3600 + rng.integers(0, 3600, len(day)))


def _servicenow(rng: np.random.Generator, company: Company, n: int) -> Tickets:
    managed = np.flatnonzero(company.cust_managed)
    tier_w = np.array([{"Strategic": 4, "Key": 2}.get(c.tier, 1) for c in company.customers])
    cust = managed[choose(rng, (tier_w * company.cust_weight)[managed], n)]
    opened = _open_times(rng, company.cust_created[cust])
    priority = i64(rng.choice(5, size=n, p=[0.03, 0.12, 0.5, 0.3, 0.05]))
    median_h = np.array([4, 12, 40, 90, 240])[priority]
    resolved = opened + i64(median_h * 3600 * rng.lognormal(0, 0.9, n))
    canceled = rng.random(n) < 0.02
    open_now = resolved > NOW
    closed = resolved + 3 * 86400
    state = np.where(closed <= NOW, 4, 3)
    fresh = opened > NOW - 86400
    state = np.where(open_now, np.where(fresh, 0, np.where(rng.random(n) < 0.75, 1, 2)), state)
    state = np.where(canceled, 5, state)
    category = i64(rng.choice(5, size=n, p=[0.3, 0.3, 0.15, 0.15, 0.1]))
    staff = company.service_staff
    agent = np.where(state == 0, -1, staff[rng.integers(0, len(staff), n)])
    return Tickets(
        cust=i64(cust),
        opened=opened,
        resolved=np.where((state == 3) | (state == 4), resolved, -1),
        closed=np.where(state == 4, closed, -1),
        updated=opened,
        state=i64(state),
        priority=priority,
        category=category,
        subcategory=i64(rng.random(n) * SUBCOUNT[category]),
        subject=category * 3 + rng.integers(0, 3, n),
        contact=_contacts(rng, cust),
        agent=i64(agent),
        group=category,
        reopens=i64(rng.choice(3, size=n, p=[0.9, 0.08, 0.02])),
        replies=np.zeros(n, dtype=np.int64),
        escalation=i64(rng.choice(4, size=n, p=[0.85, 0.08, 0.05, 0.02])),
        channel=i64(rng.choice(3, size=n, p=[0.3, 0.4, 0.3])),
        number=10001 + ranks(opened),
        org_blank=np.zeros(n, dtype=np.bool_),
    )


def _zendesk(rng: np.random.Generator, company: Company, n: int) -> Tickets:
    others = np.flatnonzero(~company.cust_managed)
    cust = others[choose(rng, np.sqrt(company.cust_weight[others]), n)]
    opened = _open_times(rng, company.cust_created[cust])
    priority = i64(rng.choice(4, size=n, p=[0.05, 0.2, 0.55, 0.2]))
    median_h = np.array([6, 20, 60, 120])[priority]
    solved = opened + i64(median_h * 3600 * rng.lognormal(0, 1.0, n))
    closed = solved + 4 * 86400
    state = np.where(closed <= NOW, 5, 4)
    fresh = opened > NOW - 86400
    waiting = i64(rng.choice([1, 2, 3], size=n, p=[0.5, 0.3, 0.2]))
    state = np.where(solved > NOW, np.where(fresh, 0, waiting), state)
    done = state >= 4
    updated = np.where(state == 5, closed, np.where(done, solved, np.minimum(opened + 3600, NOW)))
    shared = np.array([c.shared_domain for c in company.customers])
    staff = company.service_staff
    subject = rng.integers(0, len(ZD_SUBJECTS), n)
    return Tickets(
        cust=i64(cust),
        opened=opened,
        resolved=np.where(done, solved, -1),
        closed=np.where(state == 5, closed, -1),
        updated=i64(updated),
        state=i64(state),
        priority=priority,
        category=i64(rng.choice(4, size=n, p=[0.35, 0.4, 0.1, 0.15])),
        subcategory=np.zeros(n, dtype=np.int64),
        subject=i64(subject),
        contact=_contacts(rng, cust),
        agent=i64(np.where(state == 0, -1, staff[rng.integers(0, len(staff), n)])),
        group=i64(rng.choice(4, size=n, p=[0.6, 0.2, 0.1, 0.1])),
        reopens=i64(rng.choice(3, size=n, p=[0.88, 0.1, 0.02])),
        replies=i64(rng.integers(0, 13, n)),
        escalation=np.zeros(n, dtype=np.int64),
        channel=i64(rng.choice(3, size=n, p=[0.5, 0.35, 0.15])),
        number=1000 + ranks(opened),
        org_blank=(rng.random(n) < 0.05) & ~shared[cust],
    )


def _cases(
    rng: np.random.Generator, company: Company, dl: Delivery, n: int
) -> tuple[Cases, IntArray]:
    """Account-level cases; 8 % of work orders were raised from one."""
    spawn = np.flatnonzero((rng.random(len(dl.wo_job)) < 0.08) & (dl.wo_status != NEW))
    active = np.flatnonzero(company.cust_active)
    cust = np.r_[dl.wo_cust[spawn], active[choose(rng, company.cust_weight[active], n)]]
    m = len(cust)
    created = np.r_[
        dl.wo_created[spawn] - rng.integers(1, 11, len(spawn)) * 86400,
        _open_times(rng, company.cust_created[cust[len(spawn) :]]),
    ]
    age = rng.lognormal(np.log(5 * 86400), 1.0, m)
    closed = np.r_[dl.wo_created[spawn], created[len(spawn) :] + i64(age[len(spawn) :])]
    is_open = closed > NOW
    status = np.where(is_open, rng.choice(3, size=m, p=[0.3, 0.5, 0.2]), 3)
    kind = np.where(np.arange(m) < len(spawn), 2, rng.choice(3, size=m, p=[0.5, 0.4, 0.1]))
    subject = np.where(np.arange(m) < len(spawn), 2, rng.integers(0, len(CASE_SUBJECTS), m))
    staff = company.service_staff
    order = np.argsort(created, kind="stable")
    wo = np.r_[spawn, np.full(n, -1)]
    cases = Cases(
        cust=i64(cust[order]),
        created=i64(created[order]),
        closed=i64(np.where(is_open, -1, closed)[order]),
        status=i64(status[order]),
        priority=i64(rng.choice(4, size=m, p=[0.3, 0.45, 0.2, 0.05])),
        kind=i64(kind[order]),
        reason=i64(rng.integers(0, len(CASE_REASONS), m)),
        origin=i64(rng.choice(3, size=m, p=[0.3, 0.5, 0.2])),
        escalated=(status == 2)[order] | (rng.random(m) < 0.05),
        subject=i64(subject[order]),
        owner=i64(staff[rng.integers(0, len(staff), m)]),
        number=1001 + np.arange(m, dtype=np.int64),
        wo=i64(wo[order]),
    )
    wo_case = np.full(len(dl.wo_job), -1)
    linked = np.flatnonzero(cases.wo >= 0)
    wo_case[cases.wo[linked]] = linked
    return cases, i64(wo_case)


def build_service(
    rng: np.random.Generator, company: Company, dl: Delivery, scale: float
) -> Service:
    n = max(50, round(2500 * scale))
    cases, wo_case = _cases(rng, company, dl, max(20, round(700 * scale)))
    return Service(_servicenow(rng, company, n), _zendesk(rng, company, n), cases, wo_case)
