"""The demo's service, onboarding, capacity and plan truth, checked against the export files.

truth.json lists what the generator planted. Each rule added for issue 7 is recomputed here
from the CSVs, the written tieout.yml and the plan file alone, with a business clock of its
own (zoneinfo, day by day), and must give exactly those: every plant holds in the files, and
nothing else meets the rule by chance. The state histories must be whole and plausible.
"""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from tieout.demo.generate import generate
from tieout.demo.scaffold import write_demo_project

SCALE, SEED = 0.2, 23
AS_OF = date(2026, 10, 31)
END = datetime(2026, 11, 1)  # where open tickets' clocks stand (naive UTC)
Demo = tuple[Path, dict[str, Any], dict[str, Any]]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    out = tmp_path_factory.mktemp("demo7")
    generate(out, scale=SCALE, seed=SEED)
    write_demo_project(out)
    truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    config = yaml.safe_load((out / "tieout.yml").read_text(encoding="utf-8"))
    return out, truth, config


def _records(root: Path, name: str, truth: dict[str, Any]) -> list[dict[str, str]]:
    """Well-formed rows of one export (the malformed ones truth.json lists are left out)."""
    bad = {m["row"] for m in truth["malformed"] if m["file"] == name}
    path = root / name
    raw = path.read_bytes()
    text = raw.decode("utf-8-sig")
    rows = list(csv.reader(text.splitlines()))
    header = rows[0]
    return [dict(zip(header, r, strict=True)) for i, r in enumerate(rows[1:], 2) if i not in bad]


def _ts(text: str) -> datetime:
    return datetime.strptime(text[:19].replace("T", " "), "%Y-%m-%d %H:%M:%S")


def _truth(truth: dict[str, Any], rule: str) -> set[tuple[tuple[str, str, str], ...]]:
    return {
        tuple((r["system"], r["object"], r["native_id"]) for r in a["refs"])
        for a in truth["anomalies"]
        if a["rule"] == rule
    }


class BusinessClock:
    """Working seconds between UTC instants on a tieout.yml calendar, day by day."""

    def __init__(self, cal: dict[str, Any]) -> None:
        self.zone = ZoneInfo(cal["timezone"])
        self.days = {
            ("mon", "tue", "wed", "thu", "fri", "sat", "sun").index(d) for d in cal["days"]
        }
        self.holidays = {date.fromisoformat(str(h)) for h in cal["holidays"]}
        self.start = time.fromisoformat(str(cal["start"]))
        self.end = time.fromisoformat(str(cal["end"]))

    def working(self, day: date) -> bool:
        return day.weekday() in self.days and day not in self.holidays

    @cache  # noqa: B019 - one clock per test module
    def window(self, day: date) -> tuple[datetime, datetime]:
        def utc(t: time) -> datetime:
            local = datetime.combine(day, t, self.zone)
            return local.astimezone(UTC).replace(tzinfo=None)

        return utc(self.start), utc(self.end)

    def seconds(self, a: datetime, b: datetime) -> float:
        total = 0.0
        day = a.date() - timedelta(days=1)
        while day <= b.date():
            if self.working(day):
                lo, hi = self.window(day)
                total += max((min(b, hi) - max(a, lo)).total_seconds(), 0.0)
            day += timedelta(days=1)
        return total

    def inside(self, t: datetime) -> bool:
        lo, hi = self.window(t.date())
        return self.working(t.date()) and lo <= t <= hi


def _customers(truth: dict[str, Any]) -> dict[tuple[str, str], tuple[str, str]]:
    return {
        (m["system"], m["native_id"]): (c["key"], c["tier"])
        for c in truth["customers"]
        for m in c["members"]
    }


def _tickets(root: Path, truth: dict[str, Any]) -> list[dict[str, Any]]:
    """Every ticket of the three systems in one shape: ref, customer, tier, times, status."""
    who = _customers(truth)
    out: list[dict[str, Any]] = []
    for r in _records(root, "exports/servicenow/incident.csv", truth):
        key, tier = who[("servicenow", r["company"])]
        out.append({
            "ref": ("servicenow", "incident", r["number"]), "key": key, "tier": tier,
            "priority": min(int(r["priority"][0]), 4), "opened": _ts(r["opened_at"]),
            "resolved": _ts(r["resolved_at"]) if r["resolved_at"] else None,
            "open": r["state"] in ("New", "In Progress", "On Hold"), "category": "incident",
            "topic": r["category"], "paused": None, "state": r["state"],
            "reopens": int(r["reopen_count"]),
        })  # fmt: skip
    zd = _records(root, "exports/zendesk/tickets.csv", truth)
    domains = {r["Requester domain"]: r["Organization"] for r in zd if r["Organization"]}
    zd_priority = {"Urgent": 1, "High": 2, "Normal": 3, "Low": 4}
    zd_type = {"Question": "request", "Incident": "incident", "Problem": "incident",
               "Task": "request"}  # fmt: skip
    for r in zd:
        org = r["Organization"] or domains[r["Requester domain"]]
        key, tier = who[("zendesk", org)]
        full = r["Full resolution time in minutes within business hours"]
        wait = r["Requester wait time in minutes within business hours"]
        hold = r["On hold time in minutes within business hours"]
        out.append({
            "ref": ("zendesk", "ticket", r["Id"]), "key": key, "tier": tier,
            "priority": zd_priority[r["Priority"]], "opened": _ts(r["Created at"]),
            "resolved": _ts(r["Solved at"]) if r["Solved at"] else None,
            "open": r["Status"] in ("New", "Open", "Pending", "Hold"),
            "category": zd_type[r["Ticket type"]], "topic": r["Tags"],
            "paused": int(full) - int(wait) + int(hold) if full else 0, "row": r,
        })  # fmt: skip
    case_priority = {"Critical": 1, "High": 2, "Medium": 3, "Low": 4}
    case_type = {"Problem": "incident", "Question": "request", "Feature Request": "request"}
    for r in _records(root, "exports/salesforce/Case.csv", truth):
        key, tier = who[("salesforce", r["AccountId"])]
        out.append({
            "ref": ("salesforce", "Case", r["Id"]), "key": key, "tier": tier,
            "priority": case_priority[r["Priority"]], "opened": _ts(r["CreatedDate"]),
            "resolved": _ts(r["ClosedDate"]) if r["ClosedDate"] else None,
            "open": r["Status"] != "Closed", "category": case_type[r["Type"]],
            "topic": r["Reason"], "paused": 0,
        })  # fmt: skip
    return out


def _intervals(root: Path, truth: dict[str, Any]) -> dict[str, list[dict[str, str]]]:
    by_incident: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in _records(root, "exports/servicenow/metric_instance.csv", truth):
        by_incident[r["id"]].append(r)
    return by_incident


def _target(config: dict[str, Any], priority: int, tier: str) -> float:
    for p in config["service"]["policies"]:
        if p["priority"] == priority and p.get("tier") in (None, tier):
            return float(p["resolution_hours"]) * 3600
    raise AssertionError(priority)


def test_sla_breaches_follow_from_the_exports(demo: Demo) -> None:
    root, truth, config = demo
    clock = BusinessClock(config["calendars"]["uk"])
    states = _intervals(root, truth)
    expected, strategic = set(), 0
    for t in _tickets(root, truth):
        if t["tier"] != "strategic" or t["opened"].date() <= AS_OF - timedelta(days=90):
            continue
        strategic += 1
        if t["ref"][0] == "servicenow":
            elapsed = sum(
                clock.seconds(_ts(s["start"]), min(_ts(s["end"]), END) if s["end"] else END)
                for s in states[t["ref"][2]]
                if s["value"] in ("New", "In Progress")
            )
        else:
            stop = min(t["resolved"], END) if t["resolved"] else END
            elapsed = clock.seconds(t["opened"], stop) - 60 * t["paused"]
        target = _target(config, t["priority"], t["tier"])
        assert abs(elapsed - target) >= 240, t["ref"]  # no clock sits on its target
        if elapsed > target:
            expected.add((t["ref"],))
    assert expected == _truth(truth, "sla_breach_strategic")
    assert 0 < len(expected) < strategic / 3  # some breach, most do not


def test_state_histories_are_whole_and_in_working_hours(demo: Demo) -> None:
    root, truth, config = demo
    clock = BusinessClock(config["calendars"]["uk"])
    states = _intervals(root, truth)
    incidents = [t for t in _tickets(root, truth) if t["ref"][0] == "servicenow"]
    assert incidents and set(states) >= {t["ref"][2] for t in incidents}
    on_hold = reopened = 0
    for t in incidents:
        rows = sorted(states[t["ref"][2]], key=lambda r: r["start"])
        assert rows[0]["value"] == "New" and _ts(rows[0]["start"]) == t["opened"]
        for a, b in pairwise(rows):
            assert a["end"] == b["start"], t["ref"]  # contiguous, no gaps or overlaps
            assert a["calculation_complete"] == "true" and a["duration"]
            if b["value"] != "Closed":
                assert clock.inside(_ts(b["start"])), (t["ref"], b["start"])
        assert rows[-1]["end"] == "" and rows[-1]["calculation_complete"] == "false"
        assert rows[-1]["value"] == t["state"]
        values = [r["value"] for r in rows]
        reopens = sum(a == "Resolved" and b == "In Progress" for a, b in pairwise(values))
        assert reopens == t["reopens"], t["ref"]
        if t["state"] in ("Resolved", "Closed"):
            last = max(r["start"] for r in rows if r["value"] == "Resolved")
            assert t["resolved"] == _ts(last)
        else:
            assert t["resolved"] is None
        on_hold += "On Hold" in values
        reopened += reopens > 0
    assert on_hold > len(incidents) / 10 and reopened > len(incidents) / 30


def test_zendesk_metrics_agree_with_the_clock(demo: Demo) -> None:
    root, truth, config = demo
    clock = BusinessClock(config["calendars"]["uk"])
    tickets = [t for t in _tickets(root, truth) if t["ref"][0] == "zendesk"]
    scores = Counter(t["row"]["Satisfaction Score"] for t in tickets)
    assert set(scores) <= {"Good", "Bad", "Offered", "Unoffered"} and scores["Good"] > scores["Bad"]
    for t in tickets:
        r = t["row"]
        metrics = [r[c] for c in r if c.endswith("within business hours")]
        if t["resolved"] is None:
            assert metrics == ["", "", ""] and r["Satisfaction Score"] == "Unoffered"
            continue
        full, wait, hold = map(int, metrics)
        assert full >= wait >= hold >= 0
        assert abs(full * 60 - clock.seconds(t["opened"], t["resolved"])) <= 30, t["ref"]
        first = int(r["First reply time in minutes"])
        assert t["opened"] + timedelta(minutes=first) <= t["resolved"]


def test_aged_tickets_at_renewing_customers(demo: Demo) -> None:
    root, truth, _ = demo
    who = _customers(truth)
    aged: dict[str, set[tuple[str, str, str]]] = defaultdict(set)
    for t in _tickets(root, truth):
        if t["open"] and t["opened"].date() < AS_OF - timedelta(days=30):
            aged[t["key"]].add(t["ref"])
    expected, renewing = set(), 0
    for c in _records(root, "exports/salesforce/Contract.csv", truth):
        renewal = date.fromisoformat(c["EndDate"]) + timedelta(days=1)
        if c["Status"] == "Activated" and AS_OF < renewal <= AS_OF + timedelta(days=90):
            renewing += 1
            key = who[("salesforce", c["AccountId"])][0]
            if aged[key]:
                expected.add((("salesforce", "Contract", c["Id"]), *sorted(aged[key])))
    got = {(refs[0], *sorted(refs[1:])) for refs in _truth(truth, "aged_case_renewal_risk")}
    assert got == expected
    assert 0 < len(expected) <= max(renewing - 1, 1)  # some renewals carry aged tickets


def test_repeat_issues(demo: Demo) -> None:
    root, truth, _ = demo
    groups: dict[tuple[str, str, str, str], list[tuple[str, str, str]]] = defaultdict(list)
    for t in _tickets(root, truth):
        if AS_OF - timedelta(days=30) < t["opened"].date() <= AS_OF:
            topic = t["topic"].strip().lower()
            groups[(t["ref"][0], t["key"], t["category"], topic)].append(t["ref"])
    expected = {frozenset(refs) for refs in groups.values() if len(refs) >= 3}
    assert expected and {frozenset(r) for r in _truth(truth, "repeat_issue")} == expected


def test_onboarding_milestones(demo: Demo) -> None:
    root, truth, _ = demo
    rows = _records(root, "exports/canonical/onboarding_milestone.csv", truth)
    by_contract: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in rows:
        by_contract[r["contract_native_id"]].append(r)
        assert (r["status"] == "blocked") == bool(r["blocker"])
        assert (r["status"] == "completed") == bool(r["completed_at"])
    for milestones in by_contract.values():
        done = [m["status"] == "completed" for m in sorted(milestones, key=lambda m: m["due_date"])]
        assert done == sorted(done, reverse=True)  # completed ones come first
    late = {
        (("salesforce", "onboarding_milestone", r["native_id"]),)
        for r in rows
        if r["status"] != "completed" and not r["completed_at"] and r["due_date"] < str(AS_OF)
    }
    assert late and late == _truth(truth, "onboarding_overdue")
    assert any(r["status"] == "blocked" for r in rows)


def test_capacity_risk(demo: Demo) -> None:
    root, truth, config = demo
    clock = BusinessClock(config["calendars"]["uk"])
    hours = config["capacity"]["people"]
    assert hours == truth["capacity_people"] and hours
    users = {u["Id"]: u for u in _records(root, "exports/salesforce/User.csv", truth)}
    weekly = {
        i: float(hours.get(f"{u['FirstName']} {u['LastName']}", 37.5)) for i, u in users.items()
    }
    off = _records(root, "exports/canonical/time_off.csv", truth)
    orders = _records(root, "exports/salesforce/WorkOrder.csv", truth)

    def days(a: date, b: date) -> list[date]:
        return [
            a + timedelta(n) for n in range((b - a).days + 1) if clock.working(a + timedelta(n))
        ]

    @cache
    def week(team: str, monday: date) -> tuple[float, float]:
        span = set(days(monday, monday + timedelta(6)))
        demand = 0.0
        for w in orders:
            if users[w["OwnerId"]]["Department"] != team:
                continue
            if w["Status"] not in ("New", "Scheduled", "In Progress", "On Hold"):
                continue
            start, end = _ts(w["StartDate"]).date(), _ts(w["EndDate"]).date()
            mine = days(start, end)
            share = len(span & set(mine)) / len(mine) if mine else float(start in span)
            demand += float(w["Duration"]) * share
        avail = 0.0
        for i, u in users.items():
            if u["Department"] == team and u["IsActive"] == "true":
                avail += weekly[i] / 5 * len(span)
                for t in off:
                    if t["person_native_id"] == i:
                        mine = days(
                            date.fromisoformat(t["start_date"]), date.fromisoformat(t["end_date"])
                        )
                        avail -= float(t["hours"]) * len(span & set(mine)) / len(mine)
        return demand, avail

    expected = set()
    for w in orders:
        start = _ts(w["StartDate"]).date()
        if w["Status"] in ("New", "Scheduled") and start > AS_OF:
            team = users[w["OwnerId"]]["Department"]
            demand, avail = week(team, start - timedelta(start.weekday()))
            assert abs(demand - avail) > 0.5  # no week sits on the line
            if demand > avail:
                expected.add((("salesforce", "WorkOrder", w["Id"]),))
    assert expected and expected == _truth(truth, "capacity_risk")
    teams = {users[w["OwnerId"]]["Department"] for w in orders}
    first = AS_OF - timedelta(AS_OF.weekday())
    horizon = [(t, first + timedelta(7 * k)) for t in sorted(teams) for k in range(13)]
    over = [tw for tw in horizon if week(*tw)[0] > week(*tw)[1]]
    assert 0 < len(over) < len(horizon) / 3  # a few team-weeks over, most not


def test_joint_plan(demo: Demo) -> None:
    root, truth, _ = demo
    plan = yaml.safe_load((root / "plans" / "joint-plan.yml").read_text(encoding="utf-8"))
    assert (plan["plan"], plan["cadence"], plan["review_day"]) == ("joint-2026", "monthly", 10)
    assert plan["variance_threshold_pct"] == 20 and plan["targets"] and plan["commitments"]
    campaigns = {c["Id"]: c for c in _records(root, "exports/salesforce/Campaign.csv", truth)}
    by_name = {c["Name"]: i for i, c in campaigns.items()}
    first: dict[str, tuple[str, str]] = {}
    for m in _records(root, "exports/salesforce/CampaignMember.csv", truth):
        if m["LeadId"]:
            lead, seen = m["LeadId"], (m["CreatedDate"], m["CampaignId"])
            if lead not in first or seen < first[lead]:
                first[lead] = seen
    mqls: Counter[tuple[str, str]] = Counter()
    for lead in _records(root, "exports/salesforce/Lead.csv", truth):
        cohort = first.get(lead["Id"])
        if lead["MQL_Date__c"] and cohort:
            mqls[(cohort[1], lead["MQL_Date__c"][:7])] += 1
    variances = set()
    for t in plan["targets"]:
        assert (t["metric"], t["dimension"]) == ("mqls", "campaign")
        period, campaign = str(t["period"]), by_name[t["member"]]
        actual, target = mqls[(campaign, period)], t["value"]
        assert target in (actual, (3 * actual + 1) // 2), t
        y, m = map(int, period.split("-"))
        review = date(y + m // 12, m % 12 + 1, 10)
        if abs(actual - target) > 0.2 * target and review < AS_OF:
            variances.add((("salesforce", "Campaign", campaign),))
    assert variances and variances == _truth(truth, "unexplained_variance")
    periods = sorted(str(t["period"]) for t in plan["targets"])
    committed = {c["campaign"] for c in plan["commitments"]}
    recent = (AS_OF - timedelta(days=180)).isoformat()
    idle = {
        (("salesforce", "Campaign", i),)
        for i, c in campaigns.items()
        if float(c["ActualCost"]) > 0
        and (
            periods[0] <= c["StartDate"][:7] <= periods[-1]
            or recent < c["StartDate"][:10] <= AS_OF.isoformat()
        )
        and c["Name"] not in committed
    }
    assert idle and idle == _truth(truth, "spend_without_commitment")


def test_project_file_and_refs(demo: Demo) -> None:
    root, truth, config = demo
    names = {s["name"]: s for s in config["sources"]}
    assert names["servicenow_state_history"]["preset"] == "servicenow.metric_instance"
    for table in ("onboarding_milestone", "time_off"):
        source = next(s for s in config["sources"] if s["preset"] == f"canonical.{table}")
        assert source["system"] == "salesforce" and (root / source["path"]).exists()
    uk = config["calendars"]["uk"]
    assert uk["timezone"] == "Europe/London" and date(2026, 12, 28) in uk["holidays"]
    assert config["service"]["calendar"] == config["capacity"]["calendar"] == "uk"
    assert config["plan_files"] == ["plans/*.yml"]
    assert all(rule in truth["definitions"] for rule in {a["rule"] for a in truth["anomalies"]})
