"""A small company for the web app's tests, every figure worked out by hand below, with
one user per role (the user is named after the role) and a draft plan imported by sales;
and logging a test client in through the form."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from support import invoke, write_project
from tieout import pipeline
from tieout.cli.main import app
from tieout.config import load_project
from tieout.config.access import ROLES
from tieout.state.users import add_user, issue_token

ACME = "001Dn000004AAAaIAO"
QUOTE = "0Q0Dn0000001AAAKA2"
PASSWORD = "correct horse battery"
YML = """
name: serve
as_of: 2026-01-31
access: {waive_approval_above: 100}
sources:
  - {name: crm, path: Account.csv, preset: salesforce.account}
  - {name: users, path: User.csv, preset: salesforce.user}
  - {name: quotes, path: Quote.csv, preset: salesforce.quote}
  - {name: quote_lines, path: QuoteLineItem.csv, preset: salesforce.quotelineitem}
  - {name: wo, path: WorkOrder.csv, preset: salesforce.workorder}
  - {name: xero, path: invoices.csv, preset: xero.invoices}
  - {name: harvest, path: time.csv, preset: harvest.time}
"""
# One job, worked out by hand. Quote 00000045: 5 x DEV at 100.00 = 500.00. Work order
# 00000001 carries it (500.00), completed 20 Jan. INV-1 bills 3 x 100.00 = 300.00 against
# "WO-00000001"; Dana books 8 h (400.00 at cost) and 4 h (200.00) to it. So in January the
# job's margin is 300.00 - 600.00 = -300.00 and it is billed 200.00 short of what was ordered.
# Work order 00000002 (300.00) completed 10 Jan and was never invoiced: 21 days before the
# as-of date, past unbilled_work's 14, so one unbilled_work exception with 300.00 at risk.
# The CRM user "sales" owns Acme, so the sales role sees Acme.
FILES = {
    "Account.csv": f"Id,Name,OwnerId\n{ACME},Acme Ltd,005Dn000001AAAaIAO\n",
    "User.csv": "Id,FirstName,LastName\n005Dn000001AAAaAAA,,sales\n",
    "Quote.csv": (
        "Id,QuoteNumber,AccountId,Status,CreatedDate,TotalPrice,CurrencyIsoCode\n"
        f"{QUOTE},00000045,{ACME},Accepted,2026-01-02T09:00:00Z,500.00,GBP\n"
    ),
    "QuoteLineItem.csv": (
        "Id,QuoteId,LineNumber,ProductCode,Description,Quantity,UnitPrice,TotalPrice,"
        "CurrencyIsoCode\n"
        f"0QLDn0000001AAAOA2,{QUOTE},1,DEV,Development,5,100.00,500.00,GBP\n"
    ),
    "WorkOrder.csv": (
        "Id,WorkOrderNumber,AccountId,Subject,Status,StartDate,TotalPrice,CurrencyIsoCode,"
        "Completed_Date__c,Quote__c\n"
        f"0WODn00000AAAAAOA5,00000001,{ACME},Acme rollout,Completed,2026-01-05T09:00:00Z,"
        f"500.00,GBP,2026-01-20T17:00:00Z,{QUOTE}\n"
        f"0WODn00000BBBBBOA5,00000002,{ACME},Acme training,Completed,2026-01-06T09:00:00Z,"
        "300.00,GBP,2026-01-10T17:00:00Z,\n"
    ),
    "invoices.csv": (
        "ContactName,InvoiceNumber,Reference,InvoiceDate,Total,InventoryItemCode,Description,"
        "Quantity,UnitAmount,Discount,Currency,Type,Status\n"
        "Acme Ltd,INV-1,WO-00000001,25/01/2026,300.00,DEV,Development,3,100.00,,GBP,"
        "Sales invoice,Authorised\n"
    ),
    "plans/joint.yml": (
        "plan: joint-2026\ntitle: Joint plan 2026\ncadence: monthly\nreview_day: 10\n"
        "variance_threshold_pct: 20\n"
        "targets:\n  - {period: 2026-01, metric: revenue, value: 400}\n"
    ),
    "time.csv": (
        "Date,Client,Project,Project Code,Task,Notes,Hours,Billable?,Invoiced?,First Name,"
        "Last Name,Roles,Billable Rate,Billable Amount,Cost Rate,Cost Amount,Currency\n"
        "2026-01-06,Acme Ltd,Acme rollout,WO-00000001,Build,,8,Yes,Yes,Dana,Smith,,100,800,"
        "50,400.00,British Pound - GBP\n"
        "2026-01-07,Acme Ltd,Acme rollout,WO-00000001,Build,,4,Yes,Yes,Dana,Smith,,100,400,"
        "50,200.00,British Pound - GBP\n"
    ),
}
# January revenue 300.00 against the plan's 400.00: -25 %, beyond the 20 % threshold.


def build(root: Path) -> Path:
    """Write the exports, run, add the users and import the plan as sales."""
    write_project(root, YML, FILES)
    code, out = invoke(CliRunner(), "run", "-p", str(root))
    assert code == 0, out
    store = pipeline.state_store(load_project(root))
    for role in ROLES:
        add_user(store, role, role, PASSWORD, None)
    token = issue_token(store, "sales", ["plan.edit"])  # the CLI's writers authenticate
    store.close()
    result = CliRunner(env={"TIEOUT_USER": "sales", "TIEOUT_TOKEN": token}).invoke(
        app, ["plan", "import", str(root / "plans" / "joint.yml"), "-p", str(root)]
    )
    assert result.exit_code == 0, result.output
    return root


def csrf_of(client: TestClient, path: str = "/login") -> str:
    """The CSRF token a page carries in its forms."""
    found = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert found, "the page carries a CSRF token"
    return found.group(1)


def api_headers(client: TestClient) -> dict[str, str]:
    """What a page's own script sends with a state-changing API call: the session's CSRF
    token in X-Tieout-CSRF (every page carries it in <meta name="tieout-csrf">)."""
    found = re.search(r'<meta name="tieout-csrf" content="([^"]+)"', client.get("/").text)
    assert found, "the page carries its CSRF token for scripts"
    return {"X-Tieout-CSRF": found.group(1)}


def log_in(client: TestClient, name: str) -> None:
    """Log in through the form, as a browser does (every test user's password is PASSWORD)."""
    r = client.post(
        "/login",
        data={"name": name, "password": PASSWORD, "csrf": csrf_of(client)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
