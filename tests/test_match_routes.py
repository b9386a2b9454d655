"""Deterministic customer routes on a hand-made project: tax numbers, converted leads,
and two strong routes that disagree, which go to review instead of being guessed."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from support import invoke, write_project
from tieout import pipeline
from tieout.config import load_project

ACCOUNTS = (
    "Id,Name,Website,VAT_Number__c\n"
    "001Dn000004AAAaIAO,Acme Holdings Ltd,www.acmeholdings.co.uk,GB 123 4567 89\n"
    "001Dn000004AAAbIAO,Acme Facilities Ltd,www.acmefacilities.co.uk,GB 987 6543 21\n"
    "001Dn000004AAAcIAO,Borealis Consulting GmbH,borealis.de,DE811111111\n"
)
ERP = (
    "native_id,name,tax_number\n"
    "E1,ACME HQ,GB123456789\n"  # no name in common: the VAT number decides
    "E2,Acme Holdings Limited,GB987654321\n"  # name says Holdings, VAT says Facilities
    "E3,Borealis Consulting,\n"  # exact normalised name
    "E4,Zenith Widgets Ltd,\n"  # nobody
)
LEADS = (
    "Id,FirstName,LastName,Company,Email,Status,IsConverted,ConvertedAccountId,CreatedDate\n"
    "00QDn000001LLLaMAO,Ann,Lee,Borealis Beratung,ann@borealis.de,Converted,true,"
    "001Dn000004AAAcIAO,2026-03-02T09:00:00.000Z\n"
    "00QDn000001LLLbMAO,Bo,Kim,Quux Prospects Ltd,bo@quux.example,Open,false,,"
    "2026-04-07T10:30:00.000Z\n"
)
YML = """
name: routes
as_of: 2026-10-31
sources:
  - {name: crm, path: Account.csv, preset: salesforce.account,
     fields: {tax_number: VAT_Number__c}}
  - {name: leads, path: Lead.csv, preset: salesforce.lead}
  - {name: erp, path: erp.csv, system: erp, object: customer, table: account,
     fields: {native_id: native_id, name: name, tax_number: tax_number}}
"""


def test_routes_and_conflicts(tmp_path: Path, cli: CliRunner) -> None:
    root = write_project(
        tmp_path, YML, {"Account.csv": ACCOUNTS, "erp.csv": ERP, "Lead.csv": LEADS}
    )
    code, out = invoke(cli, "run", "-p", str(root))
    assert code == 0, out
    with pipeline.snapshots(load_project(root)).open_current() as wh:
        rows = wh.query(
            "SELECT source_system || '|' || native_id, golden_key, method FROM xref "
            "WHERE entity_type = 'customer'"
        )
    key = {r[0]: r[1] for r in rows}
    method = {r[0]: r[2] for r in rows}
    holdings, facilities, borealis = (
        key["salesforce|001Dn000004AAAaIAO"],
        key["salesforce|001Dn000004AAAbIAO"],
        key["salesforce|001Dn000004AAAcIAO"],
    )
    assert len({holdings, facilities, borealis}) == 3
    assert (key["erp|E1"], method["erp|E1"]) == (holdings, "tax_number")
    assert key["erp|E3"] == borealis
    assert (key["salesforce|00QDn000001LLLaMAO"], method["salesforce|00QDn000001LLLaMAO"]) == (
        borealis,
        "converted_lead",
    )
    assert key["salesforce|00QDn000001LLLbMAO"] not in {holdings, facilities, borealis}
    assert key["erp|E4"] not in {holdings, facilities, borealis}
    # E2: exact name says Holdings, the VAT number says Facilities -> neither, review
    assert key["erp|E2"] not in {holdings, facilities}
    code, out = invoke(cli, "match", "review", "-p", str(root), "-f", "json")
    review = {r["record"]: r for r in json.loads(out)}
    assert review["erp|customer|E2"]["reason"] == "strong evidence for different accounts"
