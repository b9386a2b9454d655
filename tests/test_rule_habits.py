"""Rules on habits other companies have, each on a hand-built project checked by hand:
a work order's Duration that is the scheduled window rather than the effort, time sheets
whose project code is the bare work-order number or whose project names only the service
(of two alike jobs, the one whose dates the entry falls within), and a bill's total that
tells which of two look-alike jobs it is for."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from typer.testing import CliRunner

from support import invoke, write_project
from tieout import pipeline
from tieout.config import load_project

NORTHWIND, CONTOSO = "001Dn000004AAAaIAO", "001Dn000004AAAbIAO"
ACCOUNTS = (
    "Id,Name,Website\n"
    f"{NORTHWIND},Northwind Traders Ltd,www.northwind.co.uk\n"
    f"{CONTOSO},Contoso GmbH,contoso.de\n"
)
TIME_HEADER = (
    "Date,Client,Project,Project Code,Task,Notes,Hours,Billable?,First Name,Last Name,"
    "Cost Rate,Cost Amount,Currency\n"
)
YML = """
name: habits
as_of: 2026-10-31
sources:
  - {name: crm, path: Account.csv, preset: salesforce.account}
  - {name: wo, path: WorkOrder.csv, preset: salesforce.workorder}
  - {name: harvest, path: time.csv, preset: harvest.time}
"""
WO_HEADER = (
    "Id,WorkOrderNumber,AccountId,Status,Subject,StartDate,EndDate,Duration,DurationType,"
    "TotalPrice,CurrencyIsoCode\n"
)


def _wo(n: int, status: str, planned: int) -> str:
    return (
        f"0WODn{n:010d}OAA,{n:08d},{NORTHWIND},{status},Job {n},"
        f"2026-0{1 + n % 8}-01T09:00:00Z,2026-0{1 + n % 8}-20T17:00:00Z,{planned},Hours,"
        f"{planned * 100}.00,GBP"
    )


def _time(n: int, hours: int, code: str | None = None) -> str:
    return (
        f"2026-0{1 + n % 8}-10,Northwind Traders Ltd,Job {n},{code or f'WO-{n:08d}'},Work,,"
        f"{hours},Yes,Ann,Lee,50,{hours * 50},GBP"
    )


def _run(cli: CliRunner, root: Path, wos: list[str], time: list[str]) -> Path:
    files = {
        "Account.csv": ACCOUNTS,
        "WorkOrder.csv": WO_HEADER + "\n".join(wos) + "\n",
        "time.csv": TIME_HEADER + "\n".join(time) + "\n",
    }
    write_project(root, YML, files)
    code, out = invoke(cli, "run", "-p", str(root))
    assert code == 0, out
    return root


def _scope_drift(cli: CliRunner, root: Path, logged_on_finished: int) -> dict[str, str]:
    """Ten completed jobs planned at 40 h each with `logged_on_finished` hours logged,
    and work order 00000011, in progress, planned at 40 h with 60 h logged (50 % over)."""
    wos = [_wo(n, "Completed", 40) for n in range(1, 11)] + [_wo(11, "In Progress", 40)]
    time = [_time(n, logged_on_finished) for n in range(1, 11)] + [_time(11, 60)]
    _run(cli, root, wos, time)
    code, out = invoke(cli, "exceptions", "-p", str(root), "-f", "json", "--rule", "scope_drift")
    assert code == 0, out
    return {e["source_refs"][-1]["native_id"]: e["amount_at_risk"] for e in json.loads(out)}


def test_scope_drift_reads_planned_hours_where_they_estimate_effort(
    tmp_path: Path, cli: CliRunner
) -> None:
    # finished jobs logged 44 h against 40 h planned: within 25 %, so Duration is an effort
    # estimate here, and job 11's 60 h against 40 h is 20 h over: 20 h x (4000 / 40) = 2000
    assert _scope_drift(cli, tmp_path / "effort", 44) == {"0WODn0000000011OAA": "2000.00"}


def test_scope_drift_ignores_a_duration_that_is_the_scheduled_window(
    tmp_path: Path, cli: CliRunner
) -> None:
    # finished jobs logged 120 h against 40 h "planned" (the days on site x 8, with a crew of
    # three): none within 25 % of plan, so the field says nothing about effort and job 11's
    # 60 h is no overrun of it
    assert _scope_drift(cli, tmp_path / "window", 120) == {}


def test_time_sheets_find_their_work_order_by_number_or_service(
    tmp_path: Path, cli: CliRunner
) -> None:
    wos = [_wo(18340, "Completed", 40), _wo(18341, "Completed", 40)]
    wos.append(
        f"0WODn000001WW999AO,00018342,{CONTOSO},Completed,Job 18342,2026-03-01T09:00:00Z,"
        "2026-03-20T17:00:00Z,40,Hours,4000.00,GBP"
    )
    wos += [  # two phases of one service, at once
        f"0WODn000001WW9a7AO,00018343,{NORTHWIND},Completed,Energy audit for Northwind - "
        "Phase 1,2026-06-01T09:00:00Z,2026-06-30T17:00:00Z,40,Hours,4000.00,GBP",
        f"0WODn000001WW9b8AO,00018344,{NORTHWIND},Completed,Energy audit for Northwind - "
        "Phase 2,2026-06-01T09:00:00Z,2026-06-30T17:00:00Z,40,Hours,4000.00,GBP",
    ]
    wos += [  # two alike jobs one after the other, the first naming its quote
        f"0WODn000001WW9c9AO,00018345,{NORTHWIND},Completed,AHU install for Northwind "
        "(Q702345),2026-07-01T09:00:00Z,2026-07-20T17:00:00Z,40,Hours,4000.00,GBP",
        f"0WODn000001WW9dAAO,00018346,{NORTHWIND},Completed,AHU install for Northwind,"
        "2026-07-25T09:00:00Z,2026-08-15T17:00:00Z,40,Hours,4000.00,GBP",
    ]
    wos += [  # a service's second job at once, numbered as the time sheets number it
        f"0WODn000001WW9eBAO,00018347,{NORTHWIND},Completed,Site survey for Northwind,"
        "2026-09-01T09:00:00Z,2026-09-30T17:00:00Z,40,Hours,4000.00,GBP",
        f"0WODn000001WW9fCAO,00018348,{NORTHWIND},Completed,Site survey for Northwind (2),"
        "2026-09-15T09:00:00Z,2026-10-15T17:00:00Z,40,Hours,4000.00,GBP",
    ]
    time = [
        _time(18340, 5, "18340"),  # Northwind's work order 00018340, unpadded
        _time(18341, 6, "J18341"),  # a job-number prefix the CRM never uses
        # Northwind's project code names 18342, which is Contoso's work order: not linked
        "2026-05-10,Northwind Traders Ltd,Site visit,18342,Work,,7,Yes,Ann,Lee,50,350,GBP",
        # no code: a project named "<client> - <service>", the work order's subject the other
        # way round; the phase number tells the two apart
        "2026-06-10,Northwind Traders Ltd,Northwind - Energy audit phase 2,,Work,,3,Yes,Ann,"
        "Lee,50,150,GBP",
        # the AHU jobs' project names neither the quote nor which job: each entry is near
        # both jobs' dates (from 14 days before the start), and within one job's own
        "2026-07-15,Northwind Traders Ltd,Northwind - AHU install,,Work,,4,Yes,Ann,Lee,50,200,GBP",
        "2026-08-01,Northwind Traders Ltd,Northwind - AHU install,,Work,,2,Yes,Ann,Lee,50,100,GBP",
        # within both surveys' dates: the project's own number, or none, says which
        "2026-09-20,Northwind Traders Ltd,Northwind - Site survey,,Work,,5,Yes,Ann,Lee,50,250,GBP",
        "2026-09-20,Northwind Traders Ltd,Northwind - Site survey (2),,Work,,7,Yes,Ann,Lee,50,350,"
        "GBP",
    ]
    root = _run(cli, tmp_path, wos, time)
    with pipeline.snapshots(load_project(root)).open_current() as wh:
        linked = wh.query(
            "SELECT w.work_order_number, t.hours FROM job_time jt "
            "JOIN time_entry t ON t.id = jt.time_entry_id "
            "JOIN work_order w ON w.id = jt.work_order_id ORDER BY 1"
        )
    assert linked == [
        ("00018340", Decimal("5.00")),
        ("00018341", Decimal("6.00")),
        ("00018344", Decimal("3.00")),
        ("00018345", Decimal("4.00")),
        ("00018346", Decimal("2.00")),
        ("00018347", Decimal("5.00")),
        ("00018348", Decimal("7.00")),
    ]
