#!/usr/bin/env python3
"""Consistency checks of a generated blind company (its files against its truth.json).

    python benchmarks/blind_company/check.py DIR [DIR ...]

Checks that every export parses, ids are unique and references resolve, every truth pair names
records that exist (invoice lines by file, row and position), partial bills add up to the work
order, and that the records not planted for a rule are clean in the generator's own terms
(billed at the quoted price and discount, work order lines as quoted, completed work billed).
Exit 1 on any failure. These are invariants of the generator, not tieout's rules.
"""

from __future__ import annotations

import csv
import glob
import io
import json
import os
import sys
import zipfile
from collections import Counter, defaultdict
from datetime import date, timedelta
from decimal import Decimal as D

EMPTY = "000000000000000AAA"


def read_csv(path):
    if path.endswith(".zip"):
        with zipfile.ZipFile(path) as z:
            name = z.namelist()[0]
            text = z.read(name).decode("utf-8")
    else:
        raw = open(path, "rb").read()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header, body = rows[0], rows[1:]
    widths = {len(r) for r in body}
    assert not widths or widths == {len(header)}, f"{path}: ragged rows {widths} vs {len(header)}"
    return [dict(zip([h.lstrip("*") for h in header], r)) for r in body]


def check(root):
    fails = []

    def fail(msg):
        fails.append(msg)

    t = json.load(open(os.path.join(root, "truth.json"), encoding="utf-8"))
    as_of = date.fromisoformat(t["as_of"])
    sf = {
        n: read_csv(os.path.join(root, "exports", "salesforce", n + ".csv"))
        for n in (
            "User",
            "Account",
            "Contact",
            "Product2",
            "Opportunity",
            "Quote",
            "QuoteLineItem",
            "WorkOrder",
            "WorkOrderLineItem",
        )
    }
    for n, rows in sf.items():
        ids = [r["Id"] for r in rows]
        if len(ids) != len(set(ids)):
            fail(f"{n}: duplicate Id")
        for i in ids:
            if len(i) != 18:
                fail(f"{n}: id {i} is not 18 characters")
    if "Quote" in " ".join(k for k in sf["WorkOrder"][0].keys() if k not in ("Description",)):
        fail("WorkOrder has a quote column")
    idx = {n: {r["Id"]: r for r in rows} for n, rows in sf.items()}
    for n, col, target in [
        ("Contact", "AccountId", "Account"),
        ("Opportunity", "AccountId", "Account"),
        ("Quote", "OpportunityId", "Opportunity"),
        ("Quote", "AccountId", "Account"),
        ("QuoteLineItem", "QuoteId", "Quote"),
        ("QuoteLineItem", "Product2Id", "Product2"),
        ("WorkOrder", "AccountId", "Account"),
        ("WorkOrderLineItem", "WorkOrderId", "WorkOrder"),
        ("WorkOrderLineItem", "Product2Id", "Product2"),
        ("Account", "OwnerId", "User"),
        ("Opportunity", "SyncedQuoteId", "Quote"),
        ("Account", "ParentId", "Account"),
    ]:
        for r in sf[n]:
            v = r[col]
            if v and v != EMPTY and v not in idx[target]:
                fail(f"{n}.{col} {v} not in {target}")
    for n, col in (("Quote", "QuoteNumber"), ("WorkOrder", "WorkOrderNumber")):
        vals = [r[col] for r in sf[n]]
        if len(vals) != len(set(vals)):
            fail(f"{n}.{col} not unique")
    products = {r["Id"]: r for r in sf["Product2"]}
    codes = {r["ProductCode"]: r["Name"] for r in sf["Product2"]}

    def line_code(row):
        if row["InventoryItemCode"]:
            return row["InventoryItemCode"]
        for c in sorted(codes, key=len, reverse=True):
            if c in row["Description"]:
                return c
        for c, name in codes.items():
            if row["Description"].startswith(name):
                return c
        return None

    # ---- Xero
    xfiles = sorted(glob.glob(os.path.join(root, "exports", "xero", "*.csv")))
    xrows = {}  # (file, row) -> row
    inv_lines = defaultdict(list)  # invoice number -> [(file,row)]
    inv_head = {}
    for f in xfiles:
        rel = os.path.relpath(f, root)
        for i, r in enumerate(read_csv(f)):
            key = (rel, i + 2)
            xrows[key] = r
            inv_lines[r["InvoiceNumber"]].append(key)
            head = (
                r["ContactName"],
                r["InvoiceDate"],
                r["Type"],
                r["Total"],
                r["Status"],
                r["Reference"],
            )
            if inv_head.setdefault(r["InvoiceNumber"], head) != head:
                fail(f"invoice {r['InvoiceNumber']} header differs between its rows")
            la = (
                D(r["Quantity"]) * D(r["UnitAmount"]) * (1 - D(r["Discount"] or 0) / 100)
            ).quantize(D("0.01"))
            if la != D(r["LineAmount"]):
                fail(f"{rel}:{i + 2} LineAmount {r['LineAmount']} != {la}")
    for n, keys in inv_lines.items():
        tot = sum(D(xrows[k]["LineAmount"]) + D(xrows[k]["TaxAmount"]) for k in keys)
        if tot != D(xrows[keys[0]]["Total"]):
            fail(f"invoice {n} total {xrows[keys[0]]['Total']} != sum of lines {tot}")
    # ---- truth: work order -> quote
    wo_q = {}
    for w, q in t["work_order_quote"]:
        if w not in idx["WorkOrder"]:
            fail(f"truth work order {w} not in WorkOrder.csv")
        if q not in idx["Quote"]:
            fail(f"truth quote {q} not in Quote.csv")
        if w in wo_q:
            fail(f"work order {w} paired twice")
        wo_q[w] = q
        if (
            w in idx["WorkOrder"]
            and q in idx["Quote"]
            and idx["WorkOrder"][w]["AccountId"] != idx["Quote"][q]["AccountId"]
        ):
            fail(f"work order {w} and its quote {q} belong to different accounts")
    if set(wo_q) != set(idx["WorkOrder"]):
        fail("not every work order has a truth quote")
    # ---- truth: invoice line -> work order
    covered = Counter()
    line_wo = {}
    for ref, w in t["invoice_line_work_order"]:
        key = (ref["file"], ref["row"])
        r = xrows.get(key)
        if r is None:
            fail(f"truth line {ref} not in the files")
            continue
        if r["InvoiceNumber"] != ref["invoice_number"]:
            fail(f"truth line {ref}: row holds {r['InvoiceNumber']}")
        if inv_lines[ref["invoice_number"]].index(key) + 1 != ref["line"]:
            fail(f"truth line {ref}: wrong line number")
        if w not in idx["WorkOrder"]:
            fail(f"truth line {ref}: work order {w} unknown")
        covered[key] += 1
        line_wo[key] = w
    iww = set()
    for e in t["anomalies"]["invoice_without_work"]:
        key = (e["file"], e["row"])
        if key not in xrows or xrows[key]["InvoiceNumber"] + "/" + str(e["line"]) != e["record"]:
            fail(f"invoice_without_work {e['record']} does not point at its row")
        iww.add(key)
        covered[key] += 1
    for key in xrows:
        if covered[key] != 1:
            fail(f"Xero row {key} covered {covered[key]} times by the truth")
    # ---- anomalies refer to records that exist
    for rule, entries in t["anomalies"].items():
        seen = set()
        for e in entries:
            rec = e["record"]
            if rec in seen:
                fail(f"{rule}: {rec} listed twice")
            seen.add(rec)
            if rec.startswith("0WO"):
                if rec not in idx["WorkOrder"]:
                    fail(f"{rule}: {rec} unknown")
            elif "/" in rec:
                n, ln = rec.rsplit("/", 1)
                if n not in inv_lines or int(ln) > len(inv_lines[n]):
                    fail(f"{rule}: {rec} unknown")
            elif rec not in inv_lines:
                fail(f"{rule}: {rec} unknown")
        if not 8 <= len(entries) <= 20:
            fail(f"{rule}: {len(entries)} planted (want 8-20)")
    planted_wo = defaultdict(set)
    planted_line = defaultdict(set)
    for rule, entries in t["anomalies"].items():
        for e in entries:
            if e["record"].startswith("0WO"):
                planted_wo[rule].add(e["record"])
            elif "/" in e["record"]:
                planted_line[rule].add(e["record"])
    dup_invoices = {e["record"] for e in t["anomalies"]["duplicate_invoice"]}
    for e in t["anomalies"]["duplicate_invoice"]:
        a = sorted(
            (xrows[k]["InventoryItemCode"], xrows[k]["Description"], xrows[k]["LineAmount"])
            for k in inv_lines[e["record"]]
        )
        b = sorted(
            (xrows[k]["InventoryItemCode"], xrows[k]["Description"], xrows[k]["LineAmount"])
            for k in inv_lines[e["related"][0]]
        )
        if a != b:
            fail(f"duplicate {e['record']} differs from {e['related'][0]}")
    price_wos = {e["related"][0] for e in t["anomalies"]["price_variance"]}
    disc_wos = {e["related"][0] for e in t["anomalies"]["discount_after_quote"]}
    # ---- clean in the generator's own terms
    woli = defaultdict(list)
    for r in sf["WorkOrderLineItem"]:
        woli[r["WorkOrderId"]].append(r)
    qli = defaultdict(list)
    for r in sf["QuoteLineItem"]:
        qli[r["QuoteId"]].append(r)
    rec_of = {}
    for n, keys in inv_lines.items():
        for i, k in enumerate(keys):
            rec_of[k] = f"{n}/{i + 1}"
    price_bad = disc_bad = 0
    for key, w in line_wo.items():
        r = xrows[key]
        rec = rec_of[key]
        code = line_code(r)
        if rec in planted_line["price_variance"] or rec in planted_line["discount_after_quote"]:
            continue
        if D(r["UnitAmount"]) < 0:
            fail(f"negative line {rec} not planted")
            continue
        match = [x for x in woli[w] if products[x["Product2Id"]]["ProductCode"] == code]
        if not match:
            fail(f"{rec}: product {code} not on work order {w}")
            continue
        x = match[0]
        if x["UnitPrice"] and D(x["UnitPrice"]) != D(r["UnitAmount"]):
            price_bad += 1
            fail(f"{rec}: unit {r['UnitAmount']} != work order {x['UnitPrice']}")
        if not x["UnitPrice"] and w not in planted_wo["unpriced_change"]:
            fail(f"{rec}: unpriced line on a work order not planted")
        if D(r["Discount"] or 0) != D(x["Discount"] or 0):
            disc_bad += 1
            fail(f"{rec}: discount {r['Discount']} != work order {x['Discount']}")
    # work order lines against the quote (phased work orders add up to their quote)
    by_quote = defaultdict(list)
    for w, q in wo_q.items():
        by_quote[q].append(w)
    for q, ws in by_quote.items():
        if any(w in planted_wo["scope_drift"] or w in planted_wo["unpriced_change"] for w in ws):
            continue
        wsum = Counter()
        for w in ws:
            for x in woli[w]:
                wsum[(x["Product2Id"], D(x["UnitPrice"] or -1), D(x["Discount"] or 0))] += D(
                    x["Quantity"]
                )
        qsum = Counter()
        for x in qli[q]:
            qsum[(x["Product2Id"], D(x["UnitPrice"]), D(x["Discount"] or 0))] += D(x["Quantity"])
        if wsum != qsum:
            fail(
                f"quote {q}: work order lines differ from the quote but no scope anomaly was planted"
            )
    # invoices credited in full and raised again (from the truth)
    credited_full = {c["credits"] for c in t["credit_notes"] if c["full"]}
    for c in t["credit_notes"]:
        if c["credits"] not in inv_lines or c["credit_note"] not in inv_lines:
            fail(f"credit note {c} names an unknown document")
    # billed amounts: partial bills add up; old completed work is billed
    billed = defaultdict(lambda: D(0))
    n_inv = defaultdict(set)
    for key, w in line_wo.items():
        r = xrows[key]
        if (
            r["Status"] == "Voided"
            or "credit" in r["Type"].lower()
            or r["InvoiceNumber"] in dup_invoices
            or r["InvoiceNumber"] in credited_full
        ):
            continue
        billed[w] += D(r["LineAmount"])
        n_inv[w].add(r["InvoiceNumber"])
    partial_ok = partial_checked = 0
    skip = set().union(planted_wo["unpriced_change"], price_wos, disc_wos)
    for wid, wr in idx["WorkOrder"].items():
        val = sum(
            (D(x["Quantity"]) * D(x["UnitPrice"]) * (1 - D(x["Discount"] or 0) / 100)).quantize(
                D("0.01")
            )
            for x in woli[wid]
            if x["UnitPrice"]
        )
        end = date.fromisoformat(wr["EndDate"][:10]) if wr["EndDate"] else None
        done = wr["Status"] in ("Completed", "Closed") and end and end <= as_of - timedelta(days=10)
        if wid in planted_wo["unbilled_work"]:
            if billed[wid]:
                fail(f"unbilled {wid} has invoice lines")
            continue
        if wid in skip:
            continue
        if len(n_inv[wid]) >= 2:
            partial_checked += 1
            if done or "Re-opened" in wr["Description"]:
                if billed[wid] != val:
                    fail(f"partial bills of {wid} add to {billed[wid]}, work order is {val}")
                else:
                    partial_ok += 1
        if done and billed[wid] != val:
            fail(f"completed {wid} billed {billed[wid]} of {val}")
        if wr["Status"] == "Canceled" and billed[wid]:
            fail(f"canceled {wid} billed")
    # look-alike invoices that are not planted duplicates (same contact, lines, reference, within 14 days)
    sig = defaultdict(list)
    for n, keys in inv_lines.items():
        r0 = xrows[keys[0]]
        if "credit" in r0["Type"].lower() or r0["Status"] == "Voided":
            continue
        d = date(
            int(r0["InvoiceDate"][6:]), int(r0["InvoiceDate"][3:5]), int(r0["InvoiceDate"][:2])
        )
        s = (
            r0["ContactName"],
            r0["Reference"],
            tuple(
                sorted(
                    (xrows[k]["InventoryItemCode"], xrows[k]["Description"], xrows[k]["LineAmount"])
                    for k in keys
                )
            ),
        )
        sig[s].append((d, n))
    lookalikes = 0
    for s, lst in sig.items():
        lst.sort()
        for (d1, n1), (d2, n2) in zip(lst, lst[1:]):
            if (
                (d2 - d1).days <= 14
                and n2 not in dup_invoices
                and n1 not in dup_invoices
                and n1 not in credited_full
            ):
                lookalikes += 1
                fail(f"{n1} and {n2} look like a duplicate but were not planted")
    # margin: time at cost (truth links) against billed net of credits
    hrows = {}
    for f in glob.glob(os.path.join(root, "exports", "harvest", "*.csv")):
        rel = os.path.relpath(f, root)
        for i, r in enumerate(read_csv(f)):
            hrows[(rel, i + 2)] = r
    cost = defaultdict(lambda: D(0))
    for ref, w in t["time_entry_work_order"]:
        r = hrows.get((ref["file"], ref["row"]))
        if r is None or w not in idx["WorkOrder"]:
            fail(f"time entry {ref} or its work order {w} unknown")
            continue
        cost[w] += D(r["Cost Amount"])
    net = defaultdict(lambda: D(0))
    for key, w in line_wo.items():
        r = xrows[key]
        if r["Status"] == "Voided" or r["InvoiceNumber"] in dup_invoices:
            continue
        net[w] += D(r["LineAmount"]) * (-1 if "credit" in r["Type"].lower() else 1)
    low_in_flight = 0
    for wid, wr in idx["WorkOrder"].items():
        if not net[wid]:
            continue
        m = (net[wid] - cost[wid]) / net[wid]
        end = date.fromisoformat(wr["EndDate"][:10]) if wr["EndDate"] else None
        done = wr["Status"] in ("Completed", "Closed") and end and end <= as_of - timedelta(days=10)
        if wid in planted_wo["margin_below_floor"]:
            if m >= 0:
                fail(f"margin plant {wid} has margin {m:.2f}")
        elif done and m < D("0.4"):
            fail(f"completed {wid} margin {m:.2f} but not planted")
        elif not done and m < D("0.3"):
            low_in_flight += 1
    stats = {
        "salesforce_rows": {n: len(r) for n, r in sf.items()},
        "xero_rows": len(xrows),
        "invoices": len(inv_lines),
        "harvest_rows": sum(
            len(read_csv(f)) for f in glob.glob(os.path.join(root, "exports", "harvest", "*.csv"))
        ),
        "zendesk_rows": sum(
            len(read_csv(f)) for f in glob.glob(os.path.join(root, "exports", "zendesk", "*.zip"))
        ),
        "partial_bills_checked": partial_checked,
        "partial_bills_adding_up": partial_ok,
        "planted": {k: len(v) for k, v in t["anomalies"].items()},
        "in_flight_jobs_billed_with_margin_to_date_below_30pct": low_in_flight,
    }
    return fails, stats


def main():
    bad = 0
    for root in sys.argv[1:]:
        fails, stats = check(root)
        print(f"{root}: {'OK' if not fails else f'{len(fails)} FAILURES'}")
        print("  " + json.dumps(stats))
        for f in fails[:40]:
            print("  FAIL " + f)
        bad += bool(fails)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
