"""Presets resolve, read the headers the real systems write, and render for other engines."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from sqlglot import exp
from typer.testing import CliRunner

from support import invoke, write_project
from tieout.config import load_project
from tieout.config.presets import builtin_presets, resolve_sources
from tieout.ingest.fieldsql import Typing, typed_select
from tieout.ingest.formats import Bounds
from tieout.ingest.land import LandedFile

# Headers as each system's export writes them (from the vendors' export documentation),
# written out here independently of the preset files.
REAL_HEADERS = {
    "xero.invoices": "*ContactName,EmailAddress,POAddressLine1,POAddressLine2,POAddressLine3,"
    "POAddressLine4,POCity,PORegion,POPostalCode,POCountry,*InvoiceNumber,Reference,"
    "*InvoiceDate,*DueDate,Total,TaxTotal,InvoiceAmountPaid,InvoiceAmountDue,InventoryItemCode,"
    "*Description,*Quantity,*UnitAmount,Discount,LineAmount,*AccountCode,*TaxType,TaxAmount,"
    "TrackingName1,TrackingOption1,TrackingName2,TrackingOption2,Currency,Type,Sent,Status",
    "harvest.time": "Date,Client,Project,Project Code,Task,Notes,Hours,Hours Rounded,Billable?,"
    "Invoiced?,Approved?,First Name,Last Name,Roles,Employee?,Billable Rate,Billable Amount,"
    "Cost Rate,Cost Amount,Currency,External Reference URL",
    "servicenow.incident": "number,opened_at,short_description,caller_id,priority,state,"
    "category,assignment_group,assigned_to,sys_updated_on,sys_updated_by,company,resolved_at,"
    "closed_at,reopen_count,escalation,contact_type",
    "zendesk.tickets": "Summation column,Id,Requester,Requester id,Requester external id,"
    "Requester email,Requester domain,Submitter,Assignee,Group,Subject,Tags,Status,Priority,"
    "Via,Ticket type,Created at,Updated at,Assigned at,Organization,Due date,"
    "Initially assigned at,Solved at,Resolution time,Satisfaction Score,Reopens,Replies",
    "salesforce.account": "Id,IsDeleted,MasterRecordId,Name,Type,ParentId,BillingStreet,"
    "BillingCity,BillingState,BillingPostalCode,BillingCountry,Phone,Website,Industry,"
    "AnnualRevenue,NumberOfEmployees,OwnerId,CreatedDate,LastModifiedDate,AccountNumber",
    "salesforce.opportunity": "Id,IsDeleted,AccountId,Name,StageName,Amount,Probability,"
    "CloseDate,Type,LeadSource,IsClosed,IsWon,ForecastCategoryName,CampaignId,OwnerId,"
    "CreatedDate",
    "salesforce.quote": "Id,Name,OpportunityId,AccountId,QuoteNumber,Status,ExpirationDate,"
    "Subtotal,Discount,TotalPrice,GrandTotal,Tax,CreatedDate,OwnerId",
    "salesforce.quotelineitem": "Id,QuoteId,PricebookEntryId,Product2Id,LineNumber,Quantity,"
    "UnitPrice,Discount,Description,ServiceDate,ListPrice,Subtotal,TotalPrice",
    "salesforce.lead": "Id,LastName,FirstName,Company,Email,Status,LeadSource,IsConverted,"
    "ConvertedAccountId,ConvertedOpportunityId,ConvertedDate,CreatedDate,OwnerId",
    "salesforce.case": "Id,CaseNumber,AccountId,Subject,Status,Priority,Type,Reason,Origin,"
    "IsClosed,ClosedDate,IsEscalated,CreatedDate,OwnerId",
    "salesforce.workorder": "Id,WorkOrderNumber,AccountId,CaseId,Status,Priority,Subject,"
    "Description,StartDate,EndDate,Duration,DurationType,Subtotal,TotalPrice,CreatedDate,OwnerId",
    "salesforce.user": "Id,Username,LastName,FirstName,Name,Email,Title,Department,Division,"
    "ManagerId,IsActive,UserRoleId,ProfileId",
}


def test_every_preset_resolves(tmp_path: Path) -> None:
    sources = [
        {"name": pid.replace(".", "_"), "path": f"{pid}.csv", "preset": pid}
        for pid in builtin_presets()
    ]
    write_project(tmp_path, yaml.safe_dump({"name": "all", "sources": sources}), {})
    resolved = resolve_sources(load_project(tmp_path))
    assert len(resolved) == len(builtin_presets())
    assert all(r.primary.name for r in resolved)


@pytest.mark.parametrize("dialect", ["spark", "postgres"])
def test_typing_sql_renders_for_other_engines(tmp_path: Path, dialect: str) -> None:
    """Stages build engine-neutral SQL: every preset's typing query transpiles."""
    sources = [
        {"name": pid.replace(".", "_"), "path": f"{pid}.csv", "preset": pid}
        for pid in builtin_presets()
    ]
    write_project(tmp_path, yaml.safe_dump({"name": "all", "sources": sources}), {})
    for src in resolve_sources(load_project(tmp_path)):
        headers = [c for f in src.fields.values() for c in f.columns[:1]]
        landed = LandedFile("f.csv", "0" * 64, headers, ",", "utf-8", 0, 0, "f.parquet", None)
        typing = Typing({}, Bounds(dt.date(1990, 1, 1), dt.date(2046, 12, 31)))
        sql = typed_select(src, landed, exp.to_table("landed"), typing).sql(dialect)
        assert sql.startswith("SELECT")
        assert "TRY_STRPTIME" not in sql.upper()
        assert "REGEXP_MATCHES" not in sql.upper()


def test_init_recognises_real_exports_by_header(tmp_path: Path, cli: CliRunner) -> None:
    exports = tmp_path / "exports"
    exports.mkdir()
    for pid, header in REAL_HEADERS.items():
        (exports / f"{pid.replace('.', '_')}.csv").write_text(header + "\n", encoding="utf-8")
    (exports / "mystery.csv").write_text("Customer No,Customer Name,Balance\n", encoding="utf-8")
    code, out = invoke(cli, "init", str(tmp_path / "proj"), "--from", str(exports))
    assert code == 0, out
    cfg = yaml.safe_load((tmp_path / "proj" / "tieout.yml").read_text(encoding="utf-8"))
    placed = {Path(s["path"]).name: s["preset"] for s in cfg["sources"]}
    for pid in REAL_HEADERS:
        assert placed[f"{pid.replace('.', '_')}.csv"] == pid
    assert "mystery.csv" not in placed
    assert "not placed:" in out
    assert "Customer No" in out
    load_project(tmp_path / "proj")  # the scaffold is valid


def test_init_refuses_to_overwrite(tmp_path: Path, cli: CliRunner) -> None:
    assert invoke(cli, "init", str(tmp_path))[0] == 0
    code, out = invoke(cli, "init", str(tmp_path))
    assert code == 2
    assert "--force" in out
