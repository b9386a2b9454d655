"""Ground truth of the service rules (sla_breach_strategic, aged_case_renewal_risk,
repeat_issue), evaluated on the generated tickets exactly as DEFINITIONS words them.

Clocks are counted here from the tickets' own state histories (ServiceNow), their exported
whole-minute metrics (Zendesk) and their open/closed times (Salesforce cases), on the `uk`
calendar in `calendar`; nothing is read back from the export files.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from tieout.demo import service as sv
from tieout.demo import service_time as st
from tieout.demo import timeline as tl
from tieout.demo.audit import Finding, Ref, _currency
from tieout.demo.calendar import clock
from tieout.demo.company import D1, Company
from tieout.demo.fmt import BoolArray, IntArray, i64, id_list
from tieout.demo.keys import Keys
from tieout.demo.sales import Sales

# canonical category of each native type, as the presets map them (topic is the native text)
ZD_CATEGORY: Final = (1, 0, 0, 1)  # Question, Incident, Problem, Task -> request / incident
CASE_CATEGORY: Final = (0, 1, 1)  # Problem, Question, Feature Request
SN_OPEN: Final = (0, 1, 2)  # New, In Progress, On Hold
ZD_OPEN: Final = (0, 1, 2, 3)  # New, Open, Pending, Hold
NO_AMOUNT: Final = (0, "GBP")


@dataclass
class _System:
    """One ticket source, reduced to what the rules read."""

    name: str
    refs: list[Ref]
    cust: IntArray
    opened: IntArray
    is_open: BoolArray
    elapsed: IntArray  # working seconds on the resolution clock
    target: IntArray  # resolution target, working seconds
    category: IntArray
    topic: IntArray
    number: IntArray  # order of the refs within a finding


def _systems(
    company: Company, service: sv.Service, times: st.ServiceTimes, keys: Keys
) -> list[_System]:
    strategic = times.strategic
    sn, zd, cs = service.servicenow, service.zendesk, service.cases
    n_sn = len(sn.cust)
    sn_ran = tl.running_seconds(times.sn, n_sn, st.CLOCK_END)
    zd_paused = np.where(times.zd_full >= 0, times.zd_full - times.zd_wait + times.zd_hold, 0)
    zd_end = np.where(zd.resolved >= 0, zd.resolved, st.CLOCK_END)
    zd_ran = clock().between(zd.opened, zd_end) - 60 * zd_paused
    cs_end = np.where(cs.closed >= 0, cs.closed, st.CLOCK_END)
    case_ids = id_list(keys.case)
    return [
        _System(
            "servicenow",
            [Ref("servicenow", "incident", f"INC{n:07d}") for n in sn.number.tolist()],
            sn.cust,
            sn.opened,
            np.isin(sn.state, SN_OPEN),
            sn_ran,
            st.targets(st.sn_priority(sn), strategic[sn.cust])[1],
            np.zeros(n_sn, dtype=np.int64),
            sn.category,
            sn.number,
        ),
        _System(
            "zendesk",
            [Ref("zendesk", "ticket", str(n)) for n in zd.number.tolist()],
            zd.cust,
            zd.opened,
            np.isin(zd.state, ZD_OPEN),
            i64(zd_ran),
            st.targets(st.zd_priority(zd), strategic[zd.cust])[1],
            i64(ZD_CATEGORY)[zd.category],
            zd.subject,  # Tags follow the subject one to one
            zd.number,
        ),
        _System(
            "salesforce",
            [Ref("salesforce", "Case", i) for i in case_ids],
            cs.cust,
            cs.created,
            cs.closed < 0,
            clock().between(cs.created, cs_end),
            st.targets(st.case_priority(cs), strategic[cs.cust])[1],
            i64(CASE_CATEGORY)[cs.kind],
            cs.reason,
            cs.number,
        ),
    ]


def _day(t: IntArray) -> IntArray:
    return i64(i64(t) // 86400)


def _sla(systems: list[_System], strategic: BoolArray) -> list[Finding]:
    out = []
    for s in systems:
        recent = (_day(s.opened) > D1 - st.WINDOW) & (_day(s.opened) <= D1)
        hit = np.flatnonzero(strategic[s.cust] & recent & (s.elapsed > s.target))
        hit = hit[np.argsort(s.number[hit], kind="stable")]
        out += [Finding("sla_breach_strategic", (s.refs[i],), *NO_AMOUNT) for i in hit.tolist()]
    return out


def _aged_renewals(
    systems: list[_System], company: Company, sales: Sales, keys: Keys
) -> list[Finding]:
    aged: dict[int, list[Ref]] = {}
    for s in systems:
        old = np.flatnonzero(s.is_open & (_day(s.opened) < D1 - st.AGED))
        old = old[np.lexsort((s.number[old], s.cust[old]))]
        for i in old.tolist():
            aged.setdefault(int(s.cust[i]), []).append(s.refs[i])
    contract = id_list(keys.contract)
    renew = sales.k_end  # EndDate + 1 day
    live = (sales.k_start <= D1) & (sales.k_end > D1) & (renew <= D1 + 90)
    out = []
    for k in np.flatnonzero(live).tolist():
        cust = int(sales.k_cust[k])
        if cust in aged:
            refs = (Ref("salesforce", "Contract", contract[k]), *aged[cust])
            value = int(sales.k_fee[k] * sales.k_term[k] * 100)
            out.append(
                Finding(
                    "aged_case_renewal_risk", refs, value, _currency(company.cust_currency[cust])
                )
            )
    return out


def _repeats(systems: list[_System]) -> list[Finding]:
    out = []
    for s in systems:
        recent = np.flatnonzero((_day(s.opened) > D1 - st.REPEAT) & (_day(s.opened) <= D1))
        key = np.stack([s.cust[recent], s.category[recent], s.topic[recent]], axis=1)
        _, inverse, counts = np.unique(key, axis=0, return_inverse=True, return_counts=True)
        for g in np.flatnonzero(counts >= 3).tolist():
            members = recent[inverse.reshape(-1) == g]
            members = members[np.argsort(s.number[members], kind="stable")]
            refs = tuple(s.refs[i] for i in members.tolist())
            out.append(Finding("repeat_issue", refs, *NO_AMOUNT))
    return out


def service_findings(
    company: Company, sales: Sales, service: sv.Service, times: st.ServiceTimes, keys: Keys
) -> list[Finding]:
    """The three service rules, in rule order, each in a stable order."""
    systems = _systems(company, service, times, keys)
    return (
        _sla(systems, times.strategic)
        + _aged_renewals(systems, company, sales, keys)
        + _repeats(systems)
    )
