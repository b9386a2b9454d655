"""Exports behind service, onboarding and capacity: ServiceNow's metric_instance (every
state interval of every incident) and tieout's canonical onboarding_milestone and time_off."""

from __future__ import annotations

from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tieout.demo import service as sv
from tieout.demo import timeline as tl
from tieout.demo.capacity import KINDS as CAPACITY_KINDS
from tieout.demo.capacity import Capacity
from tieout.demo.company import Company
from tieout.demo.exports import Export, arrow_table, bool_text, person_names, spelling
from tieout.demo.fmt import (
    IntArray,
    blank_where,
    constant,
    dates,
    datetimes,
    datetimes_or_blank,
    hex_ids,
    i64,
    ints,
    join,
    padded,
    pick,
    quarters,
    strings,
)
from tieout.demo.keys import Keys
from tieout.demo.onboarding import BLOCKERS, MILESTONES, Onboarding, milestone_ids
from tieout.demo.onboarding import STATUSES as ONBOARDING_STATUSES
from tieout.demo.sales import Sales

SN_STATE_TEXT: Final = (
    "New",
    "In Progress",
    "On Hold",
    "Pending",
    "Resolved",
    "Closed",
    "Canceled",
)


def _units(n: IntArray, one: str, many: str) -> pa.Array:
    """'1 Hour', '3 Hours', '' for 0 (ServiceNow's duration display)."""
    text = join(ints(n), " ", pick((many, one), i64(n == 1)))
    return pc.if_else(pa.array(n == 0), "", text)


def durations(seconds: IntArray) -> pa.Array:
    """ServiceNow's display of a duration: '2 Days 3 Hours 15 Minutes', blank when running."""
    s = i64(np.maximum(seconds, 0))
    parts = [
        _units(s // 86400, "Day", "Days"),
        _units(s // 3600 % 24, "Hour", "Hours"),
        _units(s // 60 % 60, "Minute", "Minutes"),
        _units(np.where(s < 3600, s % 60, 0), "Second", "Seconds"),
    ]
    text = pc.utf8_trim_whitespace(pc.replace_substring_regex(join(*parts, sep=" "), " +", " "))
    text = pc.if_else(pa.array(s == 0), "0 Seconds", text)
    return blank_where(text, i64(seconds) < 0)


def metric_instance(rng: np.random.Generator, t: sv.Tickets, times: tl.Timeline) -> Export:
    """One 'Incident State Duration' row per state interval, incident by incident; the
    current state has no end and its calculation is not complete."""
    number = t.number[times.ticket]
    order = np.lexsort((times.start, number))
    running = times.end < 0
    table = arrow_table(
        {
            "sys_id": hex_ids(rng, len(order)),
            "id": join("INC", padded(number, 7)),
            "definition": constant("Incident State Duration", len(order)),
            "value": pick(SN_STATE_TEXT, times.state),
            "start": datetimes(times.start),
            "end": datetimes_or_blank(times.end),
            "duration": durations(np.where(running, -1, times.end - times.start)),
            "calculation_complete": bool_text(~running),
        },
        order,
    )
    return Export("exports/servicenow/metric_instance.csv", table)


def minutes_or_blank(values: IntArray) -> pa.Array:
    v = i64(values)
    return blank_where(ints(np.maximum(v, 0)), v < 0)


def onboarding_milestones(company: Company, sales: Sales, ob: Onboarding, keys: Keys) -> Export:
    """tieout's canonical onboarding_milestone layout; Salesforce ids as exported."""
    cust = sales.k_cust[ob.contract]
    table = arrow_table(
        {
            "native_id": strings(milestone_ids(len(ob.step))),
            "account_native_id": short(keys.account, cust),
            "contract_native_id": short(keys.contract, ob.contract),
            "customer_name": spelling(company, "salesforce").take(pa.array(cust)),
            "name": pick([m[0] for m in MILESTONES], ob.step),
            "due_date": dates(ob.due),
            "completed_at": datetimes_or_blank(ob.completed),
            "status": pick(ONBOARDING_STATUSES, ob.status),
            "blocker": blank_where(pick(BLOCKERS, np.maximum(ob.blocker, 0)), ob.blocker < 0),
            "owner_native_id": short(keys.user, ob.owner),
        }
    )
    return Export("exports/canonical/onboarding_milestone.csv", table)


def time_off(company: Company, cap: Capacity, keys: Keys) -> Export:
    """tieout's canonical time_off layout: one row per block of leave, hours in all."""
    n = len(cap.off_person)
    table = arrow_table(
        {
            "native_id": join("TO-", padded(np.arange(1, n + 1), 6)),
            "person_native_id": short(keys.user, cap.off_person),
            "person_name": person_names(company).take(pa.array(cap.off_person)),
            "start_date": dates(cap.off_start),
            "end_date": dates(cap.off_end),
            "hours": quarters(cap.off_q),
            "kind": pick(CAPACITY_KINDS, cap.off_kind),
        }
    )
    return Export("exports/canonical/time_off.csv", table)


def short(ids: pa.Array, idx: IntArray) -> pa.Array:
    return ids.take(pa.array(i64(idx)))
