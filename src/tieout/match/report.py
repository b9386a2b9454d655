"""What the shared keys look like: counts by method and confidence band, the crosswalk."""

from __future__ import annotations

from typing import Any

from tieout.engine import Warehouse

BANDS = (
    "CASE WHEN confidence >= 99 THEN '99-100' WHEN confidence >= 90 THEN '90-99' "
    "WHEN confidence >= 70 THEN '70-90' ELSE 'below 70' END"
)


def method_counts(wh: Warehouse) -> list[dict[str, Any]]:
    """Golden-record members and job links by method and confidence band."""
    return wh.query_dicts(
        f"SELECT entity_type AS entity, method, {BANDS} AS confidence_band, count(*) AS records "
        "FROM xref GROUP BY ALL "
        "UNION ALL "
        f"SELECT 'job', method, {BANDS}, count(*) FROM job GROUP BY ALL "
        "ORDER BY entity, records DESC, method"
    )


def crosswalk(wh: Warehouse, entity: str | None = None) -> list[dict[str, Any]]:
    where = "WHERE x.entity_type = :entity" if entity else ""
    return wh.query_dicts(
        "SELECT x.entity_type, x.golden_key, x.source_system, x.source_object, x.native_id, "
        "a.name, x.method, x.confidence FROM xref x "
        "LEFT JOIN account a ON x.entity_type = 'customer' AND a.source_system = x.source_system "
        "AND a.source_object = x.source_object AND a.native_id = x.native_id "
        f"{where} ORDER BY x.entity_type, x.golden_key, x.source_system, x.native_id",
        {"entity": entity},
    )


JOB_COLUMNS = (
    "job_key",
    "quote",
    "work_order",
    "work_order_number",
    "document",
    "invoice_number",
    "line_number",
    "description",
    "amount",
    "currency",
    "hours_booked",
    "method",
    "probability_pct",
    "evidence",
)


def job_links(wh: Warehouse) -> list[dict[str, Any]]:
    """Every job link: the quote, work order and invoice or credit line it ties, how and
    how surely (probability_pct), with each comparison's level and weight (evidence, JSON),
    and the hours booked to the work order. A work order nothing billed has one row."""
    return wh.query_dicts(
        "SELECT j.job_key, q.native_id AS quote, w.native_id AS work_order, "
        "w.work_order_number, CASE WHEN l.id IS NULL THEN NULL "
        "WHEN l.doc_type = 'credit_note' THEN 'credit note' ELSE 'invoice' END AS document, "
        "l.invoice_number, l.line_number, l.description, l.line_amount AS amount, "
        "coalesce(l.currency, w.currency) AS currency, t.hours AS hours_booked, j.method, "
        "j.confidence AS probability_pct, j.evidence "
        "FROM job j LEFT JOIN quote q ON q.id = j.quote_id "
        "LEFT JOIN work_order w ON w.id = j.work_order_id "
        "LEFT JOIN invoice_line l ON l.id = j.invoice_line_id "
        "LEFT JOIN work_order_time t ON t.work_order_id = j.work_order_id "
        "ORDER BY j.job_key, w.work_order_number, l.invoice_number, l.line_number"
    )


REVIEW_KINDS = {  # review entity -> what a person is asked to confirm
    "customer": "same customer",
    "job_quote": "work order's quote",
    "job_bill": "invoice line's work order",
}


def record_names(wh: Warehouse, member_ids: list[str]) -> dict[str, str]:
    """Display names for review items: `system|object|native_id` customer records, and the
    quotes, work orders and invoice lines of job links by their ids."""
    if not member_ids:
        return {}
    rows = wh.query(
        "WITH wanted AS (SELECT unnest(:ids::VARCHAR[]) AS id) "
        "SELECT source_system || '|' || source_object || '|' || native_id, name FROM account "
        "WHERE source_system || '|' || source_object || '|' || native_id IN (FROM wanted) "
        "UNION ALL SELECT id, concat_ws(' ', quote_number, name) FROM quote "
        "WHERE id IN (FROM wanted) "
        "UNION ALL SELECT id, concat_ws(' ', work_order_number, subject) FROM work_order "
        "WHERE id IN (FROM wanted) "
        "UNION ALL SELECT id, concat_ws(' ', invoice_number, description, "
        "'(' || CAST(line_amount AS VARCHAR) || ' ' || currency || ')') FROM invoice_line "
        "WHERE id IN (FROM wanted)",
        {"ids": member_ids},
    )
    return {k: v for k, v in rows}
