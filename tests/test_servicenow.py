"""ServiceNow incident and case exports as instances really write them, read by the ingest
stage alone (and the SLA clocks on top for closing). Every expected value is worked out by
hand from the rows written here.

Calendar for the clocks: UTC, Monday to Friday 09:00-17:00 (480 minutes a day), no
holidays. The as-of date is Tuesday 2026-03-31. Default policies: P1 480 resolution
minutes, P3 2400.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from support import write_project
from tieout import ingest, operations
from tieout.config import load_project
from tieout.config.presets import resolve_source
from tieout.engine import Warehouse

AS_OF = dt.date(2026, 3, 31)
PROJECT = """\
name: sn
as_of: 2026-03-31
reporting_currency: GBP
calendars:
  default: {timezone: UTC, start: "09:00", end: "17:00"}
sources:
  - {name: incidents, path: incident.csv, preset: %s%s}
"""

# field names, display values, the system date format, durations as displayed
NAMES = (
    "number,opened_at,state,priority,short_description,assignment_group,assigned_to,"
    "company,resolved_at,closed_at,sys_updated_on,business_duration,calendar_duration\n"
    "INC0010001,2025-03-17 06:04:00,Closed,1 - Critical,Mail down,Service Desk,Beth Anglin,"
    "ACME,2025-03-19 10:07:00,2025-03-26 11:00:00,2025-03-26 11:00:00,"
    "2 Days 4 Hours 3 Minutes,1 Day 22 Minutes\n"
    "INC0010002,2025-03-18 08:30:00,In Progress,3 - Moderate,VPN slow,Network,,ACME,,,"
    "2025-03-18 09:00:00,,\n"
)
# labels (the XLSX default, a CSV option), re-saved by Excel: M/d/yyyy H:mm, no seconds
LABELS = (
    "Number,Opened,State,Priority,Short description,Assignment group,Assigned to,"
    "Company,Resolved,Closed,Updated\n"
    "INC0020001,3/17/2025 6:04,Resolved,2 - High,Printer jam,Service Desk,Beth Anglin,"
    "Initech,3/18/2025 14:30,,3/18/2025 14:30\n"
    "INC0020002,12/1/2025 17:45,On Hold,4 - Low,New laptop,Service Desk,,Initech,,,"
    "12/2/2025 9:05\n"
)
# raw values: state and priority as their choice numbers, durations as stored and as seconds
RAW = (
    "number,opened_at,incident_state,priority,company,business_stc,calendar_duration\n"
    "INC0030001,2025-03-17 06:04:00,7,1,ACME,11400,1970-01-03 04:03:00\n"
    "INC0030002,2025-03-18 06:04:00,8,5,ACME,,\n"
    "INC0030003,2025-03-19 06:04:00,3,2,ACME,,\n"
)
# an event log: one row per update, the last one not last in the file
LOG = (
    "number,opened_at,state,priority,sys_updated_on,resolved_at\n"
    "INC0040001,2025-03-17 09:00:00,New,3 - Moderate,2025-03-17 09:00:00,\n"
    "INC0040001,2025-03-17 09:00:00,Closed,3 - Moderate,2025-03-20 16:00:00,2025-03-18 12:00:00\n"
    "INC0040001,2025-03-17 09:00:00,In Progress,3 - Moderate,2025-03-17 10:30:00,\n"
    "INC0040002,2025-03-18 09:00:00,New,2 - High,2025-03-18 09:00:00,\n"
)


def _ingest(
    root: Path, csv: str, *, preset: str = "servicenow.incident", extra: str = ""
) -> tuple[Warehouse, ingest.IngestSummary]:
    write_project(root, PROJECT % (preset, extra), {"incident.csv": csv})
    wh = Warehouse()
    summary = ingest.run(wh, load_project(root), cache_dir=root / "cache", as_of=AS_OF)
    return wh, summary


def _tickets(wh: Warehouse, *columns: str) -> list[dict[str, Any]]:
    return wh.query_dicts(
        f"SELECT ticket_number, {', '.join(columns)} FROM ticket ORDER BY ticket_number"
    )


def test_field_name_export_with_display_values(tmp_path: Path) -> None:
    wh, summary = _ingest(tmp_path, NAMES)
    assert summary.rows_quarantined == 0
    assert _tickets(
        wh,
        "status",
        "priority",
        "opened_at",
        "resolved_at",
        "updated_at",
        "business_minutes",
        "calendar_minutes",
        "customer_name",
    ) == [
        {
            "ticket_number": "INC0010001",
            "status": "closed",
            "priority": 1,
            "opened_at": dt.datetime(2025, 3, 17, 6, 4),
            "resolved_at": dt.datetime(2025, 3, 19, 10, 7),
            "updated_at": dt.datetime(2025, 3, 26, 11, 0),
            "business_minutes": 2 * 1440 + 4 * 60 + 3,  # 3123
            "calendar_minutes": 1440 + 22,  # 1462
            "customer_name": "ACME",
        },
        {
            "ticket_number": "INC0010002",
            "status": "open",
            "priority": 3,
            "opened_at": dt.datetime(2025, 3, 18, 8, 30),
            "resolved_at": None,
            "updated_at": dt.datetime(2025, 3, 18, 9, 0),
            "business_minutes": None,
            "calendar_minutes": None,
            "customer_name": "ACME",
        },
    ]


def test_label_export_resaved_by_excel(tmp_path: Path) -> None:
    wh, summary = _ingest(tmp_path, LABELS)
    assert (summary.rows_read, summary.rows_quarantined) == (2, 0)
    assert _tickets(wh, "status", "priority", "opened_at", "resolved_at", "subject") == [
        {
            "ticket_number": "INC0020001",
            "status": "resolved",
            "priority": 2,
            "opened_at": dt.datetime(2025, 3, 17, 6, 4),
            "resolved_at": dt.datetime(2025, 3, 18, 14, 30),
            "subject": "Printer jam",
        },
        {
            "ticket_number": "INC0020002",
            "status": "on_hold",
            "priority": 4,
            "opened_at": dt.datetime(2025, 12, 1, 17, 45),
            "resolved_at": None,
            "subject": "New laptop",
        },
    ]
    assert wh.query("SELECT name FROM person") == [("Beth Anglin",)]


def test_raw_value_export(tmp_path: Path) -> None:
    wh, summary = _ingest(tmp_path, RAW)
    assert summary.rows_quarantined == 0
    assert _tickets(wh, "status", "priority", "business_minutes", "calendar_minutes") == [
        # 11400 s = 190 min; 1970-01-03 04:03:00 is 2 days 4 h 3 min after the epoch
        {"ticket_number": "INC0030001", "status": "closed", "priority": 1,
         "business_minutes": 190, "calendar_minutes": 3123},
        # priority 5 (planning) is counted as 4, the lowest the model knows
        {"ticket_number": "INC0030002", "status": "canceled", "priority": 4,
         "business_minutes": None, "calendar_minutes": None},
        {"ticket_number": "INC0030003", "status": "on_hold", "priority": 2,
         "business_minutes": None, "calendar_minutes": None},
    ]  # fmt: skip


def test_event_log_keeps_the_latest_row_per_incident(tmp_path: Path) -> None:
    wh, summary = _ingest(tmp_path, LOG)
    (f,) = summary.files
    # 4 rows: INC0040001's two earlier updates are superseded, nothing is quarantined
    assert (f.rows_read, f.rows_quarantined, f.rows_superseded) == (4, 0, 2)
    assert _tickets(wh, "status", "updated_at", "resolved_at") == [
        {
            "ticket_number": "INC0040001",
            "status": "closed",
            "updated_at": dt.datetime(2025, 3, 20, 16, 0),
            "resolved_at": dt.datetime(2025, 3, 18, 12, 0),
        },
        {
            "ticket_number": "INC0040002",
            "status": "new",
            "updated_at": dt.datetime(2025, 3, 18, 9, 0),
            "resolved_at": None,
        },
    ]


def test_bad_rows_of_one_incident_are_each_quarantined_not_superseded(tmp_path: Path) -> None:
    """Two rows with no number and two updates of one incident whose dates cannot be read
    share an id (or none): each is quarantined with its reason, none counted as an older
    version of another (that broke the row count at the demo's scale 10)."""
    bad = (
        LOG
        + ",2025-03-19 09:00:00,New,3 - Moderate,2025-03-19 09:00:00,\n"
        + ",2025-03-19 10:00:00,New,3 - Moderate,2025-03-19 10:00:00,\n"
        + "INC0040003,2025-02-30 09:00:00,New,3 - Moderate,2025-03-19 09:00:00,\n"
        + "INC0040003,2025-02-30 09:00:00,Closed,3 - Moderate,2025-03-20 09:00:00,\n"
    )
    _, summary = _ingest(tmp_path, bad)
    (f,) = summary.files
    # 8 rows: INC0040001's two earlier updates superseded as before, the four bad ones
    # quarantined, 2 tickets kept; 2 + 4 + 2 = 8
    assert (f.rows_read, f.rows_quarantined, f.rows_superseded) == (8, 4, 2)


def test_custom_states_add_to_the_preset_values(tmp_path: Path) -> None:
    csv = (
        "number,opened_at,state\n"
        "INC0050001,2026-03-02 09:00:00,Work In Progress\n"
        "INC0050002,2026-03-02 09:00:00,Awaiting Customer\n"
        "INC0050003,2026-03-02 09:00:00,Closed\n"
    )
    custom = (
        ', fields: {state: {type: enum, values: {"work in progress": open, '
        '"awaiting customer": pending}}}'
    )
    wh, summary = _ingest(tmp_path, csv, extra=custom)
    assert (summary.rows_quarantined, summary.rows_accepted) == (0, 3)
    assert [r["status"] for r in _tickets(wh, "status")] == ["open", "pending", "closed"]
    state = resolve_source(load_project(tmp_path), 0).fields["state"]
    assert state.columns == ["state", "State", "incident_state", "Incident state"]
    assert (state.values["work in progress"], state.values["7"]) == ("open", "closed")


def test_case_export_names_its_account(tmp_path: Path) -> None:
    csv = (
        "Number,Opened,State,Priority,Account,Contact,Short description,Resolved\n"
        "CS0001001,2025-06-02 09:00:00,Awaiting Info,3 - Moderate,Globex,Hank Scorpio,"
        "Invoice query,\n"
        "CS0001002,2025-06-03 09:00:00,3,1 - Critical,Globex,Hank Scorpio,Outage,"
        "2025-06-03 11:00:00\n"
    )
    wh, summary = _ingest(tmp_path, csv, preset="servicenow.case")
    assert summary.rows_quarantined == 0
    assert _tickets(wh, "status", "priority", "customer_name") == [
        {"ticket_number": "CS0001001", "status": "pending", "priority": 3,
         "customer_name": "Globex"},
        # raw state 3 is Closed on a case (on an incident it is On Hold)
        {"ticket_number": "CS0001002", "status": "closed", "priority": 1,
         "customer_name": "Globex"},
    ]  # fmt: skip
    assert wh.query("SELECT native_id, name FROM account") == [("Globex", "Globex")]


# The default incident list has no resolved_at: clocks stop at the closed time, else the
# last update, else the exported durations; a closed ticket with none is left out.
CLOSING = (
    "number,opened_at,state,priority,closed_at,sys_updated_on,business_duration,"
    "calendar_duration\n"
    # A: Mon 2 March 09:00 to 12:00 the same day = 180
    "INC0060001,2026-03-02 09:00:00,Closed,3 - Moderate,2026-03-02 12:00:00,"
    "2026-03-02 12:00:00,,\n"
    # B: no closed time, last update Tue 10:00: Mon 09-17 480 + Tue 09-10 60 = 540 < 2400
    "INC0060002,2026-03-02 09:00:00,Closed,3 - Moderate,,2026-03-03 10:00:00,,\n"
    # C: no end time at all: out of the SLA figures, not breached
    "INC0060003,2026-03-02 09:00:00,Closed,1 - Critical,,,,\n"
    # D: resolved, calendar duration 1 day 2 hours: Wed 4 March 09:00 + 26 h = Thu 11:00,
    # before its closed time a week later: Wed 480 + Thu 09-11 120 = 600 < 2400
    "INC0060004,2026-03-04 09:00:00,Resolved,3 - Moderate,2026-03-11 09:00:00,"
    "2026-03-11 09:00:00,,1 Day 2 Hours\n"
    # E: only a business duration: 3 h 20 min = 200 < 480
    "INC0060005,2026-03-05 09:00:00,Closed,1 - Critical,,,3 Hours 20 Minutes,\n"
    # F: still open from Mon 30 March 09:00 to the end of Tue 31st: 480 + 480 = 960
    "INC0060006,2026-03-30 09:00:00,In Progress,3 - Moderate,,2026-03-30 09:30:00,,\n"
)


def test_closed_tickets_stop_their_clocks_without_a_resolved_time(tmp_path: Path) -> None:
    wh, _ = _ingest(tmp_path, CLOSING)
    summary = operations.run(wh, load_project(tmp_path), AS_OF)
    rows = wh.query(
        "SELECT t.ticket_number, s.resolution_minutes, s.resolution_breached, s.is_open, "
        "s.clock_source FROM ticket_sla s JOIN ticket t ON t.id = s.ticket_id "
        "ORDER BY t.ticket_number"
    )
    assert rows == [
        ("INC0060001", 180, False, False, "timestamps"),
        ("INC0060002", 540, False, False, "timestamps"),
        ("INC0060003", None, None, False, "no end time"),
        ("INC0060004", 600, False, False, "timestamps"),
        ("INC0060005", 200, False, False, "durations"),
        ("INC0060006", 960, False, True, "timestamps"),
    ]
    assert summary.unclocked_tickets == 1
    assert "1 resolved or closed ticket(s) have no resolved" in summary.warnings[0]
