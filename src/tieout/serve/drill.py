"""Drill-down from a headline to the source record: a metric split by job or customer, one
job's quote -> work orders and changes -> time -> invoice and credit lines side by side, and
any canonical record with the export file and row it came from."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select

from tieout.engine import Warehouse
from tieout.metrics import Catalogue, Period, compute
from tieout.model import SOURCE_TABLES, TABLE_MAP
from tieout.state.models import ExceptionCase
from tieout.state.store import StateStore

SPLITS = {"job": "/jobs/{}", "customer": "/accounts/{}"}  # the splits a bar can drill into


def metric_split(
    wh: Warehouse,
    catalogue: Catalogue,
    name: str,
    split: str,
    period: Period,
    currency: str,
    as_of: dt.date,
    *,
    limit: int | None = None,
    offset: int = 0,
    own: set[str] | None = None,
) -> dict[str, Any]:
    """A metric for a period split by job or customer, the weakest first (a margin leak
    shows at the top), each row with the page it drills into; `limit` rows from `offset`.
    `own` keeps the rows of those customers only (a job's customer comes from splitting by
    customer as well), and then there is no total: the company's is not theirs."""
    by = [split] if own is None or split == "customer" else [split, "customer"]
    result = compute(
        wh, catalogue, name, by=by, period=period, compare=None, currency=currency, as_of=as_of
    )
    key = "account_key" if split == "customer" else split
    rows = [
        {
            "key": r.get(key),
            "label": r.get("customer") or r.get(key) or "(none)",
            "value": r["value"],
            "href": SPLITS[split].format(r[key]) if r.get(key) else None,
        }
        for r in result.rows
        if r.get("value") is not None and (own is None or r.get("account_key") in own)
    ]
    rows.sort(key=lambda r: (r["value"], str(r["key"])))
    page = rows[offset : None if limit is None else offset + limit]
    if split == "job":
        names = _job_names(wh, [str(r["key"]) for r in page if r["key"]])
        for r in page:
            r["label"] = names.get(r["key"], r["label"])
    return {
        "metric": result.metric.name,
        "title": result.metric.title,
        "unit": result.metric.unit,
        "split": split,
        "period": period.label,
        "total": result.total if own is None else None,
        "limited": own is not None,
        "count": len(rows),
        "offset": offset,
        "rows": page,
    }


def _job_names(wh: Warehouse, keys: list[str]) -> dict[str, str]:
    """A job as people know it: its quote number (else its first work order) and customer."""
    marks, values = _in_list(keys)
    rows = wh.query(
        f"""
        SELECT j.job_key,
               coalesce(any_value(q.quote_number), min(w.work_order_number)) || coalesce(
                   ' · ' || any_value(h.name), '') AS label
        FROM job j
        LEFT JOIN quote q ON q.id = j.quote_id
        LEFT JOIN work_order w ON w.id = j.work_order_id
        LEFT JOIN customer_key k ON k.source_system = w.source_system
             AND k.native_id = coalesce(w.account_native_id, w.customer_name)
        LEFT JOIN account_health h ON h.account_key = k.golden_key
        WHERE j.job_key IN ({marks})
        GROUP BY j.job_key
        """,
        values,
    )
    return {str(k): str(label) for k, label in rows if label}


def link_evidence(evidence: str | None, part: str) -> list[dict[str, Any]]:
    """One link's evidence (job.evidence, `part` "line" or "quote"), strongest first: each
    comparison's level and its weight in bits (None: a proven link, not weighed)."""
    found = json.loads(evidence or "{}").get(part) or {}
    rows = [{"comparison": k, **v} for k, v in found.items()]
    return sorted(rows, key=lambda r: (-abs(r["weight"] or 99), r["comparison"]))


def job_detail(wh: Warehouse, store: StateStore, job_key: str) -> dict[str, Any] | None:
    """One job side by side: what was quoted, ordered and changed, the time booked to it, what
    was billed and credited, each invoice line's link method and confidence, the difference
    at each step, and the exceptions raised on its records.

    Each query filters one table by the ids the one before found (IN lists, no joins of
    whole tables), so a job page stays quick on a warehouse of millions of rows."""
    links = wh.query_dicts(
        "SELECT * FROM job WHERE job_key = :job ORDER BY work_order_id", {"job": job_key}
    )
    if not links:
        return None
    quote_id = links[0]["quote_id"]
    wo_ids = sorted({r["work_order_id"] for r in links if r["work_order_id"]})
    quote = (
        wh.query_dicts("SELECT * FROM quote WHERE id = :id", {"id": quote_id}) if quote_id else []
    )
    quote_lines = (
        wh.query_dicts(
            "SELECT * FROM quote_line WHERE quote_native_id = :native AND source_system = :system "
            "ORDER BY line_number, id",
            {"native": quote[0]["native_id"], "system": quote[0]["source_system"]},
        )
        if quote
        else []
    )
    work_orders = _in(wh, "SELECT * FROM work_order WHERE id IN ({})", wo_ids)
    booked = {
        r["work_order_id"]: r
        for r in _in(wh, "SELECT * FROM work_order_time WHERE work_order_id IN ({})", wo_ids)
    }
    for w in work_orders:
        t = booked.get(w["id"], {})
        w["hours_booked"], w["time_cost"] = t.get("hours", 0), t.get("cost_amount", 0)
    work_orders.sort(key=lambda w: str(w["work_order_number"]))
    number = {(w["source_system"], w["native_id"]): w["work_order_number"] for w in work_orders}
    changes = [
        {**c, "work_order_number": number[c["source_system"], c["work_order_native_id"]]}
        for c in _in(
            wh,
            "SELECT * FROM work_order_change WHERE work_order_native_id IN ({}) "
            "ORDER BY changed_at",
            sorted({native for _, native in number}),
        )
        if (c["source_system"], c["work_order_native_id"]) in number
    ]
    time = _in(
        wh,
        """
        SELECT person_name, min(entry_date) AS first_day, max(entry_date) AS last_day,
               count(*) AS entries, sum(hours) AS hours, sum(cost_amount) AS cost,
               any_value(method) AS linked_by
        FROM job_time WHERE work_order_id IN ({})
        GROUP BY person_name ORDER BY hours DESC, person_name
        """,
        wo_ids,
    )
    return _with_billing(wh, store, job_key, links, quote, quote_lines, work_orders, changes, time)


def _with_billing(
    wh: Warehouse,
    store: StateStore,
    job_key: str,
    links: list[dict[str, Any]],
    quote: list[dict[str, Any]],
    quote_lines: list[dict[str, Any]],
    work_orders: list[dict[str, Any]],
    changes: list[dict[str, Any]],
    time: list[dict[str, Any]],
) -> dict[str, Any]:
    """The invoice and credit lines of the job, each with its invoice's date and status, the
    link that tied it to the job and the quote line it bills; then the page's whole answer."""
    link = {r["invoice_line_id"]: r for r in links if r["invoice_line_id"]}
    lines = _in(wh, "SELECT * FROM invoice_line WHERE id IN ({})", sorted(link))
    invoices = {
        (i["source_system"], i["native_id"]): i
        for i in _in(
            wh,
            "SELECT source_system, native_id, invoice_date, status FROM invoice "
            "WHERE native_id IN ({})",
            sorted({line["invoice_native_id"] for line in lines}),
        )
    }
    billed_quote_line = {
        r["invoice_line_id"]: r["quote_line_id"]
        for r in _in(
            wh, "SELECT * FROM invoice_quote_line WHERE invoice_line_id IN ({})", sorted(link)
        )
    }
    wo_number = {w["id"]: w["work_order_number"] for w in work_orders}
    billing = []
    for line in lines:
        invoice = invoices.get((line["source_system"], line["invoice_native_id"]), {})
        if invoice.get("status") in ("draft", "voided", "deleted"):
            continue
        how = link[line["id"]]
        billing.append(
            {
                **line,
                "invoice_date": invoice.get("invoice_date"),
                "status": invoice.get("status"),
                "method": how["method"],
                "confidence": how["confidence"],
                "evidence": link_evidence(how.get("evidence"), "line"),
                "work_order_number": wo_number.get(how["work_order_id"]),
                "quote_line_id": billed_quote_line.get(line["id"]),
            }
        )
    billing.sort(
        key=lambda b: (str(b["invoice_date"]), str(b["invoice_number"]), b["line_number"] or 0)
    )
    named = [
        *((w["source_system"], w["account_native_id"] or w["customer_name"]) for w in work_orders),
        *((q["source_system"], q["account_native_id"]) for q in quote),
    ]
    customer = _customer(wh, [n for n in named if n[1]])
    return {
        "job_key": job_key,
        "customer": customer,
        "quote": quote[0] if quote else None,
        "quote_lines": quote_lines,
        "work_orders": work_orders,
        "changes": changes,
        "time": time,
        "billing": billing,
        "steps": _steps(quote[0] if quote else None, work_orders, changes, time, billing),
        "exceptions": _exceptions(
            store,
            customer["account_key"] if customer else None,
            [quote[0] if quote else None, *work_orders, *billing],
        ),
    }


def _steps(
    quote: dict[str, Any] | None,
    work_orders: list[dict[str, Any]],
    changes: list[dict[str, Any]],
    time: list[dict[str, Any]],
    billing: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """Quoted -> ordered (plus priced changes) -> billed less credited, and time at cost, in
    the documents' own currency, each with its difference from the step before."""

    def total(values: list[Any]) -> Decimal:
        return sum((Decimal(v) for v in values if v is not None), Decimal(0))

    quoted = quote.get("total_price") or quote.get("subtotal") if quote else None
    live = [w for w in work_orders if w["status"] != "canceled"]
    ordered = total([w["planned_value"] for w in live])
    changed = total([c["value_delta"] for c in changes if c.get("priced")])
    billed = total([b["line_amount"] for b in billing if b["doc_type"] != "credit_note"])
    credited = total([b["line_amount"] for b in billing if b["doc_type"] == "credit_note"])
    net = billed - abs(credited)
    steps = [
        {"step": "Quoted", "amount": quoted, "difference": None},
        {"step": "Ordered (work orders)", "amount": ordered, "difference": _less(ordered, quoted)},
        {"step": "Priced changes", "amount": changed, "difference": None},
        {"step": "Billed", "amount": billed, "difference": _less(billed, ordered + changed)},
        {"step": "Credited", "amount": -abs(credited), "difference": None},
        {
            "step": "Billed less credited",
            "amount": net,
            "difference": _less(net, ordered + changed),
        },
        {"step": "Time at cost", "amount": total([t["cost"] for t in time]), "difference": None},
    ]
    return steps


def _customer(wh: Warehouse, named: list[tuple[str, str]]) -> dict[str, Any] | None:
    """The golden customer of the first (system, native id) that has one, and its name."""
    keys = _in(
        wh,
        "SELECT source_system, native_id, golden_key FROM customer_key WHERE native_id IN ({})",
        sorted({n for _, n in named}),
    )
    golden = {(k["source_system"], k["native_id"]): k["golden_key"] for k in keys}
    found = next((golden[n] for n in named if n in golden), None)
    if found is None:
        return None
    name = wh.query(
        "SELECT name FROM account_health WHERE account_key = :account", {"account": found}
    )
    return {"account_key": found, "name": name[0][0] if name else None}


def _in(wh: Warehouse, sql: str, values: list[Any]) -> list[dict[str, Any]]:
    """`sql` with its one `IN ({})` filled for `values`; no values, no rows (and no query)."""
    if not values:
        return []
    marks, params = _in_list(values)
    return wh.query_dicts(sql.format(marks), params)


def _in_list(values: list[Any]) -> tuple[str, dict[str, Any]]:
    """A placeholder per value for an IN list, and their values: a constant IN list can use
    an index, list_contains not."""
    names = [f"in_{i}" for i in range(len(values))]
    return ", ".join(f":{n}" for n in names) or "NULL", dict(zip(names, values, strict=True))


def _less(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    return None if a is None or b is None else a - b


def _exceptions(
    store: StateStore, account_key: str | None, records: list[dict[str, Any] | None]
) -> list[dict[str, Any]]:
    """The customer's exceptions whose source records include any of these (matched on the
    native id the rule wrote into its source references)."""
    natives = sorted({str(r["native_id"]) for r in records if r and r.get("native_id")})
    if not natives or account_key is None:
        return []
    columns = ("id", "rule", "status", "owner", "assigned_to", "amount_at_risk", "detail")
    with store.session() as s:
        found = s.execute(
            select(*(getattr(ExceptionCase, c) for c in columns)).where(
                ExceptionCase.account_key == account_key,
                or_(*(ExceptionCase.source_refs.contains(f'"{n}"') for n in natives)),
            )
        )
        return [{**row._asdict(), "owner": row.assigned_to or row.owner} for row in found]


def table_of(record_id: str) -> str | None:
    """Canonical ids are `<table>_<hash>`: the longest table name that prefixes the id."""
    names = [t for t in TABLE_MAP if record_id.startswith(f"{t}_")]
    return max(names, key=len) if names else None


def source_record(wh: Warehouse, record_id: str) -> dict[str, Any] | None:
    """A canonical record as it was accepted, with the export file and row it came from and
    the job it belongs to."""
    table = table_of(record_id)
    if table is None:
        return None
    rows = wh.query_dicts(f'SELECT * FROM "{table}" WHERE id = :id', {"id": record_id})
    if not rows:
        return None
    job = wh.query(
        """
        SELECT job_key FROM job WHERE :id IN (quote_id, work_order_id, invoice_line_id)
        UNION SELECT j.job_key FROM job_time t JOIN job j ON j.work_order_id = t.work_order_id
              WHERE t.time_entry_id = :id
        LIMIT 1
        """,
        {"id": record_id},
    )
    return {"table": table, "row": rows[0], "job_key": job[0][0] if job else None}


def records_for_refs(
    wh: Warehouse, objects: dict[tuple[str, str], str], refs: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The canonical records an exception's source references name (system, object, native
    id), each with its id for the record page; a reference no table holds is kept as is."""
    found: list[dict[str, Any]] = []
    for ref in refs:
        table = objects.get((str(ref.get("system")), str(ref.get("object"))))
        ids = (
            wh.query(
                f'SELECT id FROM "{table}" WHERE source_system = :system '
                "AND source_object = :object AND native_id = :native LIMIT 1",
                {
                    "system": ref.get("system"),
                    "object": ref.get("object"),
                    "native": ref.get("native_id"),
                },
            )
            if table
            else []
        )
        found.append({**ref, "record_id": ids[0][0] if ids else None})
    return found


def object_tables(wh: Warehouse) -> dict[tuple[str, str], str]:
    """Which canonical table holds each (source system, source object)."""
    found: dict[tuple[str, str], str] = {}
    for table in SOURCE_TABLES:
        for system, obj in wh.query(
            f'SELECT DISTINCT source_system, source_object FROM "{table.name}"'
        ):
            found.setdefault((system, obj), table.name)
    return found
