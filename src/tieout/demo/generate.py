"""Generate the demo company: source-system exports plus the ground truth they hide.

`generate(out_dir)` writes what a mid-size UK services firm would export from Salesforce,
Xero, Harvest, ServiceNow and Zendesk over the two years to AS_OF, with the mess real
exports have, its joint sales and marketing plan (plans/joint-plan.yml), and `truth.json`:
which records are the same customer, which quote, work orders and invoice lines form each
job, every anomaly planted (recorded where it was planted, never by evaluating a rule; the
rest of the books are clean by construction, so these are exactly the exceptions a correct
reconciliation raises), every malformed row, and the part-timers the project file lists.
Same (scale, seed) gives byte-identical files.
"""

from __future__ import annotations

import itertools
import json
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tieout.demo import invoice_docs as idoc
from tieout.demo.billing import Billing, build_billing
from tieout.demo.capacity import plan_capacity
from tieout.demo.company import AS_OF, Company, build_company
from tieout.demo.definitions import DEFINITIONS
from tieout.demo.delivery import Delivery, build_delivery
from tieout.demo.exports import CP1252_YEAR, Export, Guard
from tieout.demo.exports_ops import metric_instance, onboarding_milestones, time_off
from tieout.demo.exports_salesforce import salesforce
from tieout.demo.exports_systems import canonical, harvest, servicenow, xero, xero_header, zendesk
from tieout.demo.fmt import BoolArray, id_list
from tieout.demo.keys import Keys, build_keys
from tieout.demo.marketing import Leads, build_campaigns, build_leads
from tieout.demo.mess import plant
from tieout.demo.onboarding import build_onboarding
from tieout.demo.plan import YEAR, build_plan, month_of, write_plan
from tieout.demo.sales import Sales, build_sales
from tieout.demo.service import Service, build_service
from tieout.demo.service_time import plan_service
from tieout.demo.truth import Finding, billing_truth
from tieout.demo.truth_ops import ops_truth
from tieout.demo.truth_service import service_truth
from tieout.demo.writer import write_csv

__all__ = ["AS_OF", "generate"]

# (system, object, file prefix, column) where each system names its customers
_MEMBER_SOURCES = (
    ("xero", "contact", "exports/xero/", "ContactName"),
    ("harvest", "client", "exports/harvest/", "Client"),
    ("servicenow", "company", "exports/servicenow/incident.csv", "company"),
    ("zendesk", "organization", "exports/zendesk/", "Organization"),
)


def _rng(seed: int, part: str) -> np.random.Generator:
    """An independent stream per part, so changing one part never reshuffles another."""
    return np.random.default_rng([seed, zlib.crc32(part.encode())])


def generate(out_dir: Path, *, scale: float = 1.0, seed: int = 7) -> dict[str, int]:
    """Write exports under out_dir/exports and out_dir/truth.json; return {file: data rows}."""
    out_dir = Path(out_dir)
    company = build_company(_rng(seed, "company"), scale)
    campaigns = build_campaigns(_rng(seed, "campaigns"), company, scale)
    sales = build_sales(_rng(seed, "sales"), company, scale, campaigns.start)
    dl = build_delivery(_rng(seed, "delivery"), company, sales)
    books = build_billing(_rng(seed, "billing"), company, sales, dl)
    service = build_service(_rng(seed, "service"), company, dl, scale)
    leads = build_leads(_rng(seed, "leads"), company, sales, campaigns, scale)
    times = plan_service(_rng(seed, "timeline"), company, sales, service, scale)
    keys = build_keys(_rng(seed, "keys"), company, sales, dl, books, service, campaigns, leads)
    cap = plan_capacity(_rng(seed, "capacity"), company, dl)
    onboarding = build_onboarding(_rng(seed, "onboarding"), company, sales)
    plan = build_plan(_rng(seed, "plan"), company, campaigns, leads, keys.campaign, scale)
    findings = billing_truth(sales, dl, books, keys)
    protected_doc, protected_wo = _protected(findings, sales, dl, books, keys)
    findings += service_truth(company, sales, service, times, keys)
    findings += ops_truth(dl, cap, onboarding, plan, keys)
    guard = _guard(findings, service, leads, keys)
    write_plan(out_dir, plan, campaigns)

    files: Iterator[Export] = itertools.chain(
        salesforce(company, sales, dl, service, campaigns, leads, keys, guard, cap.department),
        xero(company, books, protected_doc),
        harvest(company, dl, books, protected_wo),
        [
            servicenow(_rng(seed, "sys_id"), company, service.servicenow, guard.incident),
            metric_instance(_rng(seed, "metric_sys_id"), service.servicenow, times.sn),
        ],
        [zendesk(company, service.zendesk, times, guard.ticket)],
        canonical(_rng(seed, "fx"), dl, keys),
        [onboarding_milestones(company, sales, onboarding, keys), time_off(company, cap, keys)],
    )
    counts: dict[str, int] = {}
    malformed: list[dict[str, Any]] = []
    names_seen: dict[str, set[str]] = {system: set() for system, *_ in _MEMBER_SOURCES}
    for export in files:
        planted = plant(export, _rng(seed, "mess:" + export.path))
        table = planted.table
        for system, _, prefix, column in _MEMBER_SOURCES:
            if export.path.startswith(prefix):
                names_seen[system].update(_distinct(table[column]))
        if export.path == f"exports/xero/invoices_{CP1252_YEAR}.csv":
            table = xero_header(table)
        counts[export.path] = write_csv(
            out_dir / export.path,
            table,
            raw=planted.raw,
            encoding=export.encoding,
            bom=export.bom,
            crlf=export.crlf,
        )
        malformed += [{"file": export.path, "row": r + 2, "reason": why} for r, why in planted.rows]
        del export, planted, table  # one export in memory at a time

    truth = {
        "as_of": AS_OF.isoformat(),
        "seed": seed,
        "scale": scale,
        "reporting_currency": "GBP",
        "customers": _customers(company, keys, names_seen),
        "jobs": _jobs(sales, dl, books, keys),
        "anomalies": [_finding(f) for f in findings],
        "malformed": malformed,
        "counts": counts,
        "definitions": DEFINITIONS,
        "capacity_people": cap.part_time,  # tieout.yml capacity.people of this demo
    }
    text = json.dumps(truth, indent=1, ensure_ascii=False)
    (out_dir / "truth.json").write_text(text + "\n", encoding="utf-8")
    return counts


def _distinct(column: pa.ChunkedArray) -> Iterable[str]:
    values: list[str | None] = pc.unique(column).to_pylist()
    return (v for v in values if v)


def _protected(
    findings: list[Finding], sales: Sales, dl: Delivery, books: Billing, keys: Keys
) -> tuple[BoolArray, BoolArray]:
    """Invoices and work orders that malformed rows must not touch: everything behind a
    planted anomaly, and every document that only makes sense whole (credits, copies)."""
    quote = {q: i for i, q in enumerate(id_list(keys.quote)[: sales.n_jobs])}
    wo = {w: i for i, w in enumerate(id_list(keys.work_order))}
    doc = {d: i for i, d in enumerate(books.inv_number.to_pylist())}
    jobs = np.zeros(sales.n_jobs, dtype=np.bool_)
    docs = np.isin(
        books.inv_kind,
        [idoc.VOIDED, idoc.DUPLICATE, idoc.DUPLICATE_CREDITED, idoc.CREDIT, idoc.ADHOC],
    )
    for f in findings:
        for ref in f.refs:
            if ref.object == "Quote":
                jobs[quote[ref.native_id]] = True
            elif ref.object == "WorkOrder":
                jobs[dl.wo_job[wo[ref.native_id]]] = True
            elif ref.system == "xero":
                docs[doc[ref.native_id.split("/")[0]]] = True
    live_wo = books.inv_wo >= 0
    jobs[dl.wo_job[books.inv_wo[docs & live_wo]]] = True
    docs |= live_wo & jobs[dl.wo_job[np.maximum(books.inv_wo, 0)]]
    return docs, jobs[dl.wo_job]


def _guard(findings: list[Finding], service: Service, leads: Leads, keys: Keys) -> Guard:
    """Tickets the truth names, and the leads (with their campaign memberships) whose MQL
    counts towards a plan month: malformed rows must not touch them."""
    incident = {int(n): i for i, n in enumerate(service.servicenow.number.tolist())}
    ticket = {int(n): i for i, n in enumerate(service.zendesk.number.tolist())}
    case = {c: i for i, c in enumerate(id_list(keys.case))}
    g = Guard(
        case=np.zeros(len(case), dtype=np.bool_),
        lead=(leads.mql >= 0) & (month_of(np.maximum(leads.mql, 0)) // 12 == YEAR),
        member=np.zeros(len(leads.m_lead), dtype=np.bool_),
        incident=np.zeros(len(incident), dtype=np.bool_),
        ticket=np.zeros(len(ticket), dtype=np.bool_),
    )
    g.member = (leads.m_lead >= 0) & g.lead[np.maximum(leads.m_lead, 0)]
    for f in findings:
        for ref in f.refs:
            if ref.object == "incident":
                g.incident[incident[int(ref.native_id[3:])]] = True
            elif ref.object == "ticket":
                g.ticket[ticket[int(ref.native_id)]] = True
            elif ref.object == "Case":
                g.case[case[ref.native_id]] = True
    return g


def _customers(company: Company, keys: Keys, seen: dict[str, set[str]]) -> list[dict[str, Any]]:
    account = id_list(keys.account)
    out = []
    for c in company.customers:
        members = [{"system": "salesforce", "object": "Account", "native_id": account[c.index]}]
        for system, obj, _, _ in _MEMBER_SOURCES:
            name = c.spell[system]
            if name in seen[system]:
                members.append({"system": system, "object": obj, "native_id": name})
        out.append({"key": c.key, "name": c.legal, "tier": c.tier.lower(), "members": members})
    return out


def _jobs(sales: Sales, dl: Delivery, books: Billing, keys: Keys) -> list[dict[str, Any]]:
    """Each job: its accepted quote, all its work orders, and every invoice or credit-note
    line raised against them (voided and duplicate documents included), in file order."""
    n = sales.n_jobs
    quote = id_list(keys.quote)
    wo_ids = id_list(keys.work_order)
    line_keys = keys.invoice_line.to_pylist()
    doc_wo = books.inv_wo[books.il_inv]
    lines = np.flatnonzero(doc_wo >= 0)
    job_of_line = dl.wo_job[doc_wo[lines]]
    lines = lines[np.argsort(job_of_line, kind="stable")]
    line_bounds = np.searchsorted(np.sort(job_of_line), np.arange(n + 1))
    wo_order = np.argsort(dl.wo_job, kind="stable")
    wo_bounds = np.searchsorted(dl.wo_job[wo_order], np.arange(n + 1))
    return [
        {
            "quote": quote[j],
            "work_orders": [wo_ids[w] for w in wo_order[wo_bounds[j] : wo_bounds[j + 1]]],
            "invoice_lines": [line_keys[i] for i in lines[line_bounds[j] : line_bounds[j + 1]]],
        }
        for j in range(n)
    ]


def _decimal(minor: int) -> str:
    sign = "-" if minor < 0 else ""
    return f"{sign}{abs(minor) // 100}.{abs(minor) % 100:02d}"


def _finding(f: Finding) -> dict[str, Any]:
    return {
        "rule": f.rule,
        "refs": [
            {"system": r.system, "object": r.object, "native_id": r.native_id} for r in f.refs
        ],
        "amount": _decimal(f.amount),
        "currency": f.currency,
    }
