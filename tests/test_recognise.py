"""Recognising exports by their identifying columns: headers written from the vendors'
documentation (Salesforce object reference field lists, ServiceNow list-export defaults,
Zendesk/Xero/Harvest export docs), never from the demo generator or the preset files."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from support import invoke
from tieout.config import FieldSpec, load_project
from tieout.config.presets import Preset, builtin_presets, resolve_sources
from tieout.ingest import _files
from tieout.ingest.detect import Recognition, decide, recognise_file, weigh

# Salesforce Data Export headers: every field of the object, API names.
SF_ACCOUNT = (
    "Id,IsDeleted,MasterRecordId,Name,Type,ParentId,BillingStreet,BillingCity,BillingState,"
    "BillingPostalCode,BillingCountry,BillingLatitude,BillingLongitude,ShippingStreet,ShippingCity,"
    "ShippingState,ShippingPostalCode,ShippingCountry,Phone,Fax,AccountNumber,Website,Sic,Industry,"
    "AnnualRevenue,NumberOfEmployees,Ownership,TickerSymbol,Description,Rating,Site,OwnerId,CreatedDate,"
    "CreatedById,LastModifiedDate,LastModifiedById,SystemModstamp,LastActivityDate,AccountSource"
)
SF_CONTACT = (
    "Id,IsDeleted,MasterRecordId,AccountId,LastName,FirstName,Salutation,Name,OtherStreet,"
    "OtherCity,OtherState,OtherPostalCode,OtherCountry,MailingStreet,MailingCity,MailingState,"
    "MailingPostalCode,MailingCountry,Phone,Fax,MobilePhone,ReportsToId,Email,Title,Department,"
    "LeadSource,Birthdate,Description,OwnerId,CreatedDate,CreatedById,LastModifiedDate,"
    "LastModifiedById,SystemModstamp,LastActivityDate,EmailBouncedReason,EmailBouncedDate,IndividualId"
)
SF_USER = (
    "Id,Username,LastName,FirstName,Name,CompanyName,Division,Department,Title,Street,City,State,"
    "PostalCode,Country,Email,Phone,MobilePhone,Alias,CommunityNickname,IsActive,TimeZoneSidKey,"
    "UserRoleId,LocaleSidKey,EmailEncodingKey,ProfileId,UserType,LanguageLocaleKey,EmployeeNumber,"
    "ManagerId,LastLoginDate,CreatedDate,CreatedById,LastModifiedDate,LastModifiedById,SystemModstamp,"
    "ContactId,AccountId"
)
SF_CONTRACT = (
    "Id,AccountId,Pricebook2Id,OwnerExpirationNotice,StartDate,EndDate,BillingStreet,"
    "BillingCity,BillingState,BillingPostalCode,BillingCountry,ShippingStreet,ShippingCity,ContractTerm,"
    "OwnerId,Status,CompanySignedId,CompanySignedDate,CustomerSignedId,CustomerSignedTitle,"
    "CustomerSignedDate,SpecialTerms,ActivatedById,ActivatedDate,StatusCode,Description,Name,IsDeleted,"
    "ContractNumber,LastApprovedDate,CreatedDate,CreatedById,LastModifiedDate,LastModifiedById,"
    "SystemModstamp,LastActivityDate"
)
SF_QUOTE = (
    "Id,OwnerId,IsDeleted,Name,CreatedDate,CreatedById,LastModifiedDate,LastModifiedById,"
    "SystemModstamp,OpportunityId,Pricebook2Id,ContactId,QuoteNumber,IsSyncing,ShippingHandling,Tax,"
    "Status,ExpirationDate,Description,LineItemCount,BillingStreet,BillingCity,BillingState,"
    "BillingPostalCode,BillingCountry,ShippingStreet,ShippingCity,ShippingState,ShippingPostalCode,"
    "ShippingCountry,QuoteToStreet,QuoteToCity,BillingName,ShippingName,QuoteToName,Email,Phone,Fax,"
    "ContractId,AccountId,CanCreateQuoteLineItems"
)
SF_OPPORTUNITY = (
    "Id,IsDeleted,AccountId,IsPrivate,Name,Description,StageName,Amount,Probability,"
    "ExpectedRevenue,TotalOpportunityQuantity,CloseDate,Type,NextStep,LeadSource,IsClosed,IsWon,"
    "ForecastCategory,ForecastCategoryName,CampaignId,HasOpportunityLineItem,Pricebook2Id,OwnerId,"
    "CreatedDate,CreatedById,LastModifiedDate,LastModifiedById,SystemModstamp,LastActivityDate,"
    "FiscalQuarter,FiscalYear,Fiscal,ContactId"
)
SF_LEAD = (
    "Id,IsDeleted,MasterRecordId,LastName,FirstName,Salutation,Name,Title,Company,Street,City,"
    "State,PostalCode,Country,Phone,MobilePhone,Fax,Email,Website,Description,LeadSource,Status,"
    "Industry,Rating,AnnualRevenue,NumberOfEmployees,OwnerId,IsConverted,ConvertedDate,"
    "ConvertedAccountId,ConvertedContactId,ConvertedOpportunityId,IsUnreadByOwner,CreatedDate,"
    "CreatedById,LastModifiedDate,LastModifiedById,SystemModstamp,LastActivityDate"
)
SF_CASE = (
    "Id,IsDeleted,MasterRecordId,CaseNumber,ContactId,AccountId,AssetId,ParentId,SuppliedName,"
    "SuppliedEmail,SuppliedPhone,SuppliedCompany,Type,Status,Reason,Origin,Subject,Priority,"
    "Description,IsClosed,ClosedDate,IsEscalated,OwnerId,CreatedDate,CreatedById,LastModifiedDate,"
    "LastModifiedById,SystemModstamp,ContactPhone,ContactMobile,ContactEmail,ContactFax,Comments"
)
SF_CAMPAIGN = (
    "Id,IsDeleted,Name,ParentId,Type,Status,StartDate,EndDate,ExpectedRevenue,BudgetedCost,"
    "ActualCost,ExpectedResponse,NumberSent,IsActive,Description,NumberOfLeads,NumberOfConvertedLeads,"
    "NumberOfContacts,NumberOfResponses,NumberOfOpportunities,NumberOfWonOpportunities,"
    "AmountAllOpportunities,AmountWonOpportunities,OwnerId,CreatedDate,CreatedById,LastModifiedDate,"
    "LastModifiedById,SystemModstamp,LastActivityDate,CampaignMemberRecordTypeId"
)
SF_CAMPAIGNMEMBER = (
    "Id,IsDeleted,CampaignId,LeadId,ContactId,Status,HasResponded,CreatedDate,"
    "CreatedById,LastModifiedDate,LastModifiedById,SystemModstamp,FirstRespondedDate,Salutation,Name,"
    "FirstName,LastName,Title,Street,City,State,PostalCode,Country,Email,Phone,Fax,MobilePhone,"
    "Description,DoNotCall,HasOptedOutOfEmail,HasOptedOutOfFax,LeadSource,CompanyOrAccount,Type,"
    "LeadOrContactId,LeadOrContactOwnerId"
)
SF_PRODUCT2 = (
    "Id,Name,ProductCode,Description,IsActive,CreatedDate,CreatedById,LastModifiedDate,"
    "LastModifiedById,SystemModstamp,Family,ExternalDataSourceId,ExternalId,DisplayUrl,"
    "QuantityUnitOfMeasure,IsDeleted,IsArchived,StockKeepingUnit"
)
SF_OLI = (
    "Id,OpportunityId,SortOrder,PricebookEntryId,Product2Id,ProductCode,Name,Quantity,TotalPrice,"
    "UnitPrice,ListPrice,ServiceDate,Description,CreatedDate,CreatedById,LastModifiedDate,"
    "LastModifiedById,SystemModstamp,IsDeleted"
)
SF_QLI = (
    "Id,IsDeleted,LineNumber,CreatedDate,CreatedById,LastModifiedDate,LastModifiedById,"
    "SystemModstamp,QuoteId,PricebookEntryId,OpportunityLineItemId,Quantity,UnitPrice,Discount,"
    "Description,ServiceDate,Product2Id,SortOrder,ListPrice,Subtotal,TotalPrice"
)
SF_WORKORDER = (
    "Id,OwnerId,IsDeleted,WorkOrderNumber,CreatedDate,CreatedById,LastModifiedDate,"
    "LastModifiedById,SystemModstamp,AccountId,ContactId,CaseId,AssetId,Description,StartDate,EndDate,"
    "Subject,RootWorkOrderId,Status,Priority,Street,City,State,PostalCode,Country,Pricebook2Id,"
    "ParentWorkOrderId,Duration,DurationType,LineItemCount,Tax,StatusCategory"
)
SF_WOLI = (
    "Id,IsDeleted,LineItemNumber,CreatedDate,CreatedById,LastModifiedDate,LastModifiedById,"
    "SystemModstamp,WorkOrderId,ParentWorkOrderLineItemId,Product2Id,AssetId,OrderId,"
    "RootWorkOrderLineItemId,Description,StartDate,EndDate,Status,PricebookEntryId,Quantity,UnitPrice,"
    "Discount,ListPrice,Subject,Duration,DurationType,StatusCategory"
)
SN_INCIDENT = (
    "number,opened_at,short_description,caller_id,priority,state,category,assignment_group,"
    "assigned_to,sys_updated_on,sys_updated_by"
)
SN_INCIDENT_LABELS = (
    "Number,Opened,Short description,Caller,Priority,State,Category,Assignment group,"
    "Assigned to,Updated,Updated by"
)
SN_METRIC = "sys_id,id,definition,field,value,start,end,duration,calculation_complete,table"
XERO = (
    "*ContactName,EmailAddress,POAddressLine1,POAddressLine2,POAddressLine3,POAddressLine4,POCity,"
    "PORegion,POPostalCode,POCountry,*InvoiceNumber,Reference,*InvoiceDate,*DueDate,InventoryItemCode,"
    "*Description,*Quantity,*UnitAmount,Discount,*AccountCode,*TaxType,TrackingName1,TrackingOption1,"
    "TrackingName2,TrackingOption2,Currency,BrandingTheme"
)
HARVEST = (
    "Date,Client,Project,Project Code,Task,Notes,Hours,Hours Rounded,Billable?,Invoiced?,"
    "Approved?,First Name,Last Name,Employee Id,Roles,Employee?,Billable Rate,Billable Amount,"
    "Cost Rate,Cost Amount,Currency,External Reference URL"
)
ZD_TICKETS = ",".join(
    [
        "Summation column", "Id", "Requester", "Requester id", "Requester external id",
        "Requester email", "Requester domain", "Submitter", "Assignee", "Group", "Subject",
        "Tags", "Status", "Priority", "Via", "Ticket type", "Created at", "Updated at",
        "Assigned at", "Organization", "Due date", "Initially assigned at", "Solved at",
        "Resolution time", "Satisfaction Score", "Group stations", "Assignee stations",
        "Reopens", "Replies", "First reply time in minutes",
        "First reply time in minutes within business hours", "First resolution time in minutes",
        "Full resolution time in minutes",
        "Full resolution time in minutes within business hours",
        "Requester wait time in minutes", "On hold time in minutes",
    ]
)  # fmt: skip
ZD_METRIC_EVENTS = "id,ticket_id,metric,instance_id,type,time"

DOCUMENTED = {
    "salesforce.account": SF_ACCOUNT,
    "salesforce.contact": SF_CONTACT,
    "salesforce.user": SF_USER,
    "salesforce.contract": SF_CONTRACT,
    "salesforce.quote": SF_QUOTE,
    "salesforce.opportunity": SF_OPPORTUNITY,
    "salesforce.lead": SF_LEAD,
    "salesforce.case": SF_CASE,
    "salesforce.campaign": SF_CAMPAIGN,
    "salesforce.campaignmember": SF_CAMPAIGNMEMBER,
    "salesforce.product2": SF_PRODUCT2,
    "salesforce.opportunitylineitem": SF_OLI,
    "salesforce.quotelineitem": SF_QLI,
    "salesforce.workorder": SF_WORKORDER,
    "salesforce.workorderlineitem": SF_WOLI,
    "servicenow.incident": SN_INCIDENT,
    "servicenow.metric_instance": SN_METRIC,
    "xero.invoices": XERO,
    "harvest.time": HARVEST,
    "zendesk.tickets": ZD_TICKETS,
    "zendesk.ticket_metric_events": ZD_METRIC_EVENTS,
}
# Exports no preset reads: they must be listed, never placed.
UNRELATED = {
    "ledger.csv": "Customer No,Customer Name,Balance",
    "bank.csv": "Date,Description,Amount,Balance",
    "OpportunityHistory.csv": "Id,OpportunityId,CreatedById,CreatedDate,StageName,Amount,"
    "ExpectedRevenue,CloseDate,Probability,ForecastCategory,SystemModstamp,IsDeleted",
    "Task.csv": "Id,WhoId,WhatId,Subject,ActivityDate,Status,Priority,OwnerId,Description,"
    "IsDeleted,AccountId,IsClosed,CreatedDate,Type,TaskSubtype",
}


def _decide(header: str, presets: list[Preset] | None = None) -> Recognition:
    chosen = list(builtin_presets().values()) if presets is None else presets
    return decide(Path("export.csv"), header.split(","), chosen)


@pytest.mark.parametrize("preset", sorted(DOCUMENTED))
def test_documented_header_is_recognised(preset: str) -> None:
    r = _decide(DOCUMENTED[preset])
    assert r.preset == preset, r.reason
    assert r.reason.startswith("identified by ")


def test_contact_and_user_are_told_apart_by_identifying_columns() -> None:
    contact, user = _decide(SF_CONTACT), _decide(SF_USER)
    assert (contact.preset, user.preset) == ("salesforce.contact", "salesforce.user")
    presets = builtin_presets()
    # both share names, e-mail, title, department; a contact has no Username, ProfileId, ...
    assert weigh(presets["salesforce.user"], SF_CONTACT.split(",")).lacking == (
        "Username",
        "ProfileId|UserRoleId|UserType",
        "TimeZoneSidKey|LocaleSidKey|LanguageLocaleKey|IsActive",
    )
    assert contact.evidence is not None and user.evidence is not None
    assert "AccountId" in contact.evidence.identified_by
    assert "Username" in user.evidence.identified_by


@pytest.mark.parametrize("header", [SF_CONTRACT, SF_QUOTE], ids=["contract", "quote"])
def test_contract_and_quote_are_not_accounts(header: str) -> None:
    r = _decide(header)
    assert r.preset in {"salesforce.contract", "salesforce.quote"}
    # they carry Name and a billing address, but an account export also has Type
    assert weigh(builtin_presets()["salesforce.account"], header.split(",")).lacking == ("Type",)


@pytest.mark.parametrize("name", sorted(UNRELATED))
def test_unrelated_exports_are_not_placed(name: str) -> None:
    r = _decide(UNRELATED[name])
    assert r.preset is None, r.reason


def test_unplaced_file_names_its_nearest_preset_and_what_it_lacks() -> None:
    r = _decide(UNRELATED["OpportunityHistory.csv"])
    assert (r.nearest, r.missing) == ("salesforce.opportunity", ("Name|Opportunity Name",))
    assert "has no Name" in r.reason
    nothing = _decide(UNRELATED["ledger.csv"])
    assert (nothing.nearest, nothing.missing) == (None, ())
    assert nothing.extra == ("Customer No", "Customer Name", "Balance")


def test_servicenow_label_headers_point_at_the_incident_preset() -> None:
    """`Number, Opened, Caller` (the XLSX default) identify an incident list as well."""
    assert _decide(SN_INCIDENT_LABELS).nearest == "servicenow.incident"


def test_headers_are_normalised_for_case_spacing_and_xero_star() -> None:
    header = " *contactname ,*InvoiceNumber,invoicedate,*DUEDATE, *unitamount,Currency  "
    assert _decide(header).preset == "xero.invoices"


def _preset(pid: str, identify: list[str], fields: dict[str, bool]) -> Preset:
    return Preset(
        id=pid,
        title=pid,
        system="test",
        object=pid,
        identify=identify,
        fields={c: FieldSpec(column=c, required=req) for c, req in fields.items()},
        tables={},
    )


def test_close_contest_is_listed_not_guessed() -> None:
    # Both presets are identified by A and read one other column: a tie within the margin.
    one = _preset("t.one", ["A"], {"A": True, "B": False})
    two = _preset("t.two", ["A"], {"A": True, "C": False})
    r = _decide("A,B,C", [one, two])
    assert r.preset is None
    assert r.reason.startswith("ambiguous: t.one (score 4.75) and t.two (score 4.75)")
    # A third preset identified by A and B wins: 4+4-0.25 against 4+1-0.25, a lead of 3.
    three = _preset("t.three", ["A", "B"], {"A": True, "B": True})
    r = _decide("A,B,C", [one, two, three])
    assert r.runner_up is not None
    assert (r.preset, r.runner_up.preset) == ("t.three", "t.one")


def test_score_depends_only_on_the_preset_and_the_header() -> None:
    account = builtin_presets()["salesforce.account"]
    alone = _decide(SF_ACCOUNT, [account])
    assert alone.preset == "salesforce.account"
    assert alone.evidence == _decide(SF_ACCOUNT).evidence


def test_identified_file_lacking_a_required_column_is_not_placed() -> None:
    p = _preset("t.p", ["A", "B|Bee"], {"A": True, "Bee": False, "C": True})
    r = _decide("a,BEE", [p])
    assert (r.preset, r.nearest, r.missing) == (None, "t.p", ("C",))
    assert "lacks required column(s) C" in r.reason


def test_preset_without_identify_falls_back_to_required_columns() -> None:
    p = _preset("t.p", [], {"Key": True, "Other": False})
    assert _decide("Key,Other", [p]).preset == "t.p"
    assert _decide("Other", [p]).preset is None


def _zip(path: Path, members: dict[str, str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in members.items():
            zf.writestr(name, text)
    return path


def test_zipped_delivery_is_recognised_by_its_content(tmp_path: Path) -> None:
    zipped = _zip(tmp_path / "export-2025-03-01-1234.csv.zip", {"tickets.csv": ZD_TICKETS + "\n"})
    (r,) = recognise_file(zipped)
    assert (r.preset, r.member) == ("zendesk.tickets", "tickets.csv")
    assert r.display == f"{zipped}!tickets.csv"


def _write(path: Path, header: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + "\n", encoding="utf-8")


def test_init_from_a_mixed_folder(tmp_path: Path, cli: CliRunner) -> None:
    ex = tmp_path / "exports"
    for name, header in [
        ("sf/Account.csv", SF_ACCOUNT),
        ("sf/Contact.csv", SF_CONTACT),
        ("sf/Contract.csv", SF_CONTRACT),
        ("sf/Quote.csv", SF_QUOTE),
        ("sf/OpportunityHistory.csv", UNRELATED["OpportunityHistory.csv"]),
        ("sn/incidents-2025-01.csv", SN_INCIDENT),
        ("sn/incidents-2025-02.csv", SN_INCIDENT),
        ("sn/notes.csv", "Note,Author"),
        ("harvest/time-jan.csv", HARVEST),
        ("harvest/time-feb.csv", HARVEST.replace(",Employee Id", "")),
    ]:
        _write(ex / name, header)
    _zip(ex / "zendesk/export-2025-03-01-1234.csv.zip", {"export.csv": ZD_TICKETS + "\n"})
    _zip(
        ex / "weekly/WE_00D_1.zip",
        {
            "Account.csv": SF_ACCOUNT + "\n",
            "User.csv": SF_USER + "\n",
            "Task.csv": UNRELATED["Task.csv"],
        },
    )
    _zip(ex / "photos.zip", {"logo.png": "not an export"})

    code, out = invoke(cli, "init", str(tmp_path), "--from", str(ex))
    assert code == 0, out
    cfg = yaml.safe_load((tmp_path / "tieout.yml").read_text(encoding="utf-8"))
    placed = {s["path"]: s["preset"] for s in cfg["sources"]}
    assert placed == {
        "exports/sf/Account.csv": "salesforce.account",
        "exports/sf/Contact.csv": "salesforce.contact",
        "exports/sf/Contract.csv": "salesforce.contract",
        "exports/sf/Quote.csv": "salesforce.quote",
        "exports/sn/incidents-2025-*.csv": "servicenow.incident",
        "exports/harvest/time-jan.csv": "harvest.time",
        "exports/harvest/time-feb.csv": "harvest.time",
        "exports/zendesk/export-2025-03-01-1234.csv.zip": "zendesk.tickets",
        "exports/weekly/WE_00D_1.zip!Account.csv": "salesforce.account",
        "exports/weekly/WE_00D_1.zip!User.csv": "salesforce.user",
    }
    flat = "".join(out.split())  # the console folds long paths at its width
    for unplaced in ("sf/OpportunityHistory.csv", "sn/notes.csv", "weekly/WE_00D_1.zip!Task.csv"):
        assert unplaced in flat
    assert flat.count("notplaced:") == 3
    assert "nearestpresetsalesforce.opportunity;missingcolumns:Name" in flat
    assert "skipped:" in flat and "photos.zip:thezipholdsnoCSV" in flat
    # each source reads exactly the files it was written for: no glob sweeps another
    project = load_project(tmp_path)
    read = {s.path: [p.name for p in _files(project.root, s)] for s in resolve_sources(project)}
    assert read["exports/sn/incidents-2025-*.csv"] == [
        "incidents-2025-01.csv",
        "incidents-2025-02.csv",
    ]
    assert read["exports/weekly/WE_00D_1.zip!User.csv"] == ["WE_00D_1.zip!User.csv"]
    assert read["exports/zendesk/export-2025-03-01-1234.csv.zip"] == [
        "export-2025-03-01-1234.csv.zip!export.csv"
    ]


def test_report_title_rows_before_the_header_are_skipped(tmp_path: Path) -> None:
    """A QuickBooks-style report: title, company and period rows, a blank row, then the header."""
    report = tmp_path / "Report.csv"
    report.write_text(
        'Quote list\nAcme Ltd\n"January - March, 2025"\n\n' + SF_QUOTE + "\n", encoding="utf-8"
    )
    (r,) = recognise_file(report)
    assert (r.preset, r.headers[:2]) == ("salesforce.quote", ["Id", "OwnerId"])
