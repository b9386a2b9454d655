"""Customer keys on habits the names alone do not settle, each link stated by hand:

- time sheets name clients by a short form: "Northgate Eng" for Northgate Engineering
  (while Northgate Estates is another customer), "Blackwood" for Blackwood Healthcare;
- umlauts spelt out in one system and not in another: "Mueller" for Müller Haustechnik;
- the finance system bills under a trading name ("Saxon Services Ltd" for Saxon
  Facilities Limited) with no reference on the bills: each bill totals, to the cent, the
  one work order of that size at the time, or two bills (a deposit and the balance) do
  together ("Solway Renewables" for Pennant Facilities Limited);
- a trading name and nothing in its bills, but the e-mail domain of one account and that
  account's postcode ("Kelda Cartons Ltd" for Kelda Packaging Ltd.). A domain two accounts
  share (a group and its subsidiary) says nothing, and nor does a domain alone.

The CRM also holds sixty other accounts, as a real one would: a name comparison is only
as strong as the names it has to be told apart from.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from support import invoke, write_project
from tieout import pipeline
from tieout.config import load_project

YML = """
name: customer-habits
as_of: 2026-06-30
reporting_currency: GBP
sources:
  - {name: crm, path: sf/Account.csv, preset: salesforce.account}
  - {name: wo, path: sf/WorkOrder.csv, preset: salesforce.workorder}
  - {name: wo_lines, path: sf/WorkOrderLineItem.csv, preset: salesforce.workorderlineitem}
  - {name: xero, path: xero/invoices.csv, preset: xero.invoices}
  - {name: harvest, path: harvest/time.csv, preset: harvest.time}
"""
FILLER = [
    "Acorn",
    "Alder",
    "Amber",
    "Anvil",
    "Apex",
    "Arden",
    "Ash",
    "Aspen",
    "Atlas",
    "Aurora",
    "Beacon",
    "Birch",
    "Bramble",
    "Bridge",
    "Briar",
    "Brook",
    "Cedar",
    "Chalk",
    "Cliff",
    "Clover",
    "Copper",
    "Coral",
    "Crest",
    "Crown",
    "Dale",
    "Delta",
    "Ember",
    "Fern",
    "Flint",
    "Forge",
    "Garnet",
    "Glen",
    "Granite",
    "Harbour",
    "Hazel",
    "Heath",
    "Holly",
    "Iris",
    "Ivy",
    "Juniper",
    "Kestrel",
    "Lark",
    "Laurel",
    "Linden",
    "Maple",
    "Marsh",
    "Meadow",
    "Merlin",
    "Moss",
    "Oak",
    "Onyx",
    "Orchard",
    "Osprey",
    "Pebble",
    "Pine",
    "Quarry",
    "Raven",
    "Ridge",
    "Rowan",
    "Sable",
]
SECTORS = ("Logistics Ltd", "Facilities Limited", "Foods Ltd", "Engineering Ltd")
NAMED = {
    "001Dn00000AAAAAIAO": "Northgate Engineering Ltd.",
    "001Dn00000AAAABIAO": "Northgate Estates Limited",
    "001Dn00000AAAACIAO": "Blackwood Healthcare Limited",
    "001Dn00000AAAADIAO": "Müller Haustechnik GmbH",
    "001Dn00000AAAAEIAO": "Saxon Facilities Limited",
    "001Dn00000AAAAFIAO": "Pennant Facilities Limited",
}
SAXON = "001Dn00000AAAAEIAO"
PENNANT = "001Dn00000AAAAFIAO"
WEBSITES = {  # account: (website, postcode)
    "001Dn00000AAAAGIAO": ("Kelda Packaging Ltd.", "www.keldapackaging.co.uk", "CF1 2WS"),
    "001Dn00000AAAAHIAO": ("Halden Group plc", "www.haldengroup.co.uk", "LS1 4AP"),
    "001Dn00000AAAAIIAO": ("Halden Facilities Limited", "www.haldengroup.co.uk", "LS1 4AP"),
    "001Dn00000AAAAJIAO": ("Tern Logistics Ltd", "https://ternlogistics.co.uk/", "HU1 1AA"),
}
ACCOUNTS = {
    **NAMED,
    **{k: name for k, (name, _, _) in WEBSITES.items()},
    **{f"001Dn00000F{i:05d}AO": f"{w} {SECTORS[i % 4]}" for i, w in enumerate(FILLER)},
}
PPM = "01tDn000000PPPbIAO"


def _files() -> dict[str, str]:
    accounts = "Id,Name,Website,BillingPostalCode\n" + "".join(
        f"{k},{v},{','.join(WEBSITES[k][1:]) if k in WEBSITES else ','}\n"
        for k, v in ACCOUNTS.items()
    )
    # two Saxon jobs, and a filler customer's job of another size at the same time
    work_orders = (
        "Id,WorkOrderNumber,AccountId,Status,Subject,StartDate,CurrencyIsoCode\n"
        f"0WODn000001WWWaOAO,00018001,{SAXON},Completed,PPM visits,2026-03-02,GBP\n"
        f"0WODn000001WWWbOAO,00018002,{SAXON},Completed,Boiler service,2026-04-06,GBP\n"
        "0WODn000001WWWcOAO,00018003,001Dn00000F00003AO,Completed,PPM visits,2026-03-03,GBP\n"
        # two Pennant jobs: one billed as a deposit and a balance, one billed whole
        f"0WODn000001WWWdOAO,00018004,{PENNANT},Completed,Heat pump,2026-05-04,GBP\n"
        f"0WODn000001WWWeOAO,00018005,{PENNANT},Completed,Survey,2026-06-01,GBP\n"
    )
    lines = (
        "Id,WorkOrderId,Product2Id,Quantity,UnitPrice,CurrencyIsoCode\n"
        f"1WLDn000001IIIaOAO,0WODn000001WWWaOAO,{PPM},4,311.50,GBP\n"
        f"1WLDn000001IIIbOAO,0WODn000001WWWaOAO,{PPM},1,95.25,GBP\n"
        f"1WLDn000001IIIcOAO,0WODn000001WWWbOAO,{PPM},2,640.00,GBP\n"
        f"1WLDn000001IIIdOAO,0WODn000001WWWbOAO,{PPM},3,41.10,GBP\n"
        f"1WLDn000001IIIeOAO,0WODn000001WWWcOAO,{PPM},4,300.00,GBP\n"
        f"1WLDn000001IIIfOAO,0WODn000001WWWdOAO,{PPM},2,612.40,GBP\n"
        f"1WLDn000001IIIgOAO,0WODn000001WWWdOAO,{PPM},1,318.15,GBP\n"
        f"1WLDn000001IIIhOAO,0WODn000001WWWeOAO,{PPM},3,205.35,GBP\n"
        f"1WLDn000001IIIiOAO,0WODn000001WWWeOAO,{PPM},1,88.80,GBP\n"
    )
    invoices = (
        "ContactName,InvoiceNumber,Reference,InvoiceDate,DueDate,Description,Quantity,"
        "UnitAmount,LineAmount,Currency,Type,Status,EmailAddress,POPostalCode\n"
        # 1246.00 + 95.25 = 1341.25, the first Saxon work order's total
        "Saxon Services Ltd,INV-1,,20/03/2026,19/04/2026,Maintenance visits,4,311.50,1246.00,"
        "GBP,Sales invoice,Paid,,\n"
        "Saxon Services Ltd,INV-1,,20/03/2026,19/04/2026,Call-out,1,95.25,95.25,"
        "GBP,Sales invoice,Paid,,\n"
        # 1280.00 + 123.30 = 1403.30, the second
        "Saxon Services Ltd,INV-2,,30/04/2026,30/05/2026,Boiler service,2,640.00,1280.00,"
        "GBP,Sales invoice,Paid,,\n"
        "Saxon Services Ltd,INV-2,,30/04/2026,30/05/2026,Parts,3,41.10,123.30,"
        "GBP,Sales invoice,Paid,,\n"
        # Pennant bills as "Solway Renewables": a deposit of 612.40 and the balance of
        # 612.40 + 318.15 = 930.55; together 1542.95, the first Pennant work order's total
        "Solway Renewables,INV-3,,06/05/2026,05/06/2026,Heat pump deposit,1,612.40,612.40,"
        "GBP,Sales invoice,Paid,,\n"
        "Solway Renewables,INV-4,,29/05/2026,28/06/2026,Heat pump balance,1,612.40,612.40,"
        "GBP,Sales invoice,Paid,,\n"
        "Solway Renewables,INV-4,,29/05/2026,28/06/2026,Commissioning,1,318.15,318.15,"
        "GBP,Sales invoice,Paid,,\n"
        # 616.05 + 88.80 = 704.85, the second, billed whole
        "Solway Renewables,INV-5,,12/06/2026,12/07/2026,Survey,3,205.35,616.05,"
        "GBP,Sales invoice,Paid,,\n"
        "Solway Renewables,INV-5,,12/06/2026,12/07/2026,Report,1,88.80,88.80,"
        "GBP,Sales invoice,Paid,,\n"
        # trading names with no job in their bills: the domain and postcode of one account; a
        # domain two accounts share; a domain with another postcode
        "Kelda Cartons Ltd,INV-6,,15/04/2026,15/05/2026,Site visit,1,777.00,777.00,"
        "GBP,Sales invoice,Paid,accounts@keldapackaging.co.uk,CF1 2WS\n"
        "Haldex Services,INV-7,,16/04/2026,16/05/2026,Site visit,1,666.00,666.00,"
        "GBP,Sales invoice,Paid,ap@haldengroup.co.uk,LS1 4AP\n"
        "Wherry Freight,INV-8,,17/04/2026,17/05/2026,Site visit,1,555.00,555.00,"
        "GBP,Sales invoice,Paid,ap@ternlogistics.co.uk,NR1 1AA\n"
    )
    time = "Date,Client,Project,Hours,First Name,Last Name\n" + "".join(
        f"2026-03-{d:02d},{client},General,2.0,Ann,Lee\n"
        for d, client in enumerate(("Northgate Eng", "Blackwood", "Mueller"), start=10)
    )
    return {
        "sf/Account.csv": accounts,
        "sf/WorkOrder.csv": work_orders,
        "sf/WorkOrderLineItem.csv": lines,
        "xero/invoices.csv": invoices,
        "harvest/time.csv": time,
    }


# stated by hand from the habits above
EXPECTED = {
    ("harvest", "Northgate Eng"): "Northgate Engineering Ltd.",
    ("harvest", "Blackwood"): "Blackwood Healthcare Limited",
    ("harvest", "Mueller"): "Müller Haustechnik GmbH",
    ("xero", "Saxon Services Ltd"): "Saxon Facilities Limited",
    ("xero", "Solway Renewables"): "Pennant Facilities Limited",
    ("xero", "Kelda Cartons Ltd"): "Kelda Packaging Ltd.",
    ("xero", "Haldex Services"): None,
    ("xero", "Wherry Freight"): None,
}


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_project(tmp_path_factory.mktemp("customers"), YML, _files())
    code, out = invoke(CliRunner(), "run", "-p", str(root))
    assert code == 0, out
    return root


def test_records_join_the_crm_account_they_are(company: Path) -> None:
    with pipeline.snapshots(load_project(company)).open_current() as wh:
        rows = wh.query(
            "SELECT x.source_system, x.native_id, a.name FROM xref x "
            "LEFT JOIN xref m ON m.entity_type = 'customer' AND m.golden_key = x.golden_key "
            "AND m.source_system = 'salesforce' "
            "LEFT JOIN account a ON a.source_system = 'salesforce' AND a.native_id = m.native_id "
            "WHERE x.entity_type = 'customer' AND x.source_system IN ('harvest', 'xero')"
        )
    assert {(s, n): name for s, n, name in rows} == EXPECTED


def test_a_model_saved_by_an_older_version_is_retrained(company: Path) -> None:
    """A model file names the columns its comparisons and blocking rules read; one saved by
    an older tieout (here, blocking on a column this version no longer builds) is trained
    again rather than failing the run."""
    path = company / "models" / "customer.splink.json"
    saved = json.loads(path.read_text(encoding="utf-8"))
    saved["blocking_rules_to_generate_predictions"][0]["blocking_rule"] = (
        'l."name_first_next" = r."name_first_next"'
    )
    path.write_text(json.dumps(saved), encoding="utf-8")
    code, out = invoke(CliRunner(), "run", "-p", str(company))
    assert code == 0, out
    rules = json.loads(path.read_text(encoding="utf-8"))["blocking_rules_to_generate_predictions"]
    assert "name_first_next" not in json.dumps(rules)
