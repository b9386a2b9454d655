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
    where = "WHERE x.entity_type = ?" if entity else ""
    return wh.query_dicts(
        "SELECT x.entity_type, x.golden_key, x.source_system, x.source_object, x.native_id, "
        "a.name, x.method, x.confidence FROM xref x "
        "LEFT JOIN account a ON x.entity_type = 'customer' AND a.source_system = x.source_system "
        "AND a.source_object = x.source_object AND a.native_id = x.native_id "
        f"{where} ORDER BY x.entity_type, x.golden_key, x.source_system, x.native_id",
        [entity] if entity else [],
    )


def record_names(wh: Warehouse, member_ids: list[str]) -> dict[str, str]:
    """Display names for `system|object|native_id` customer ids."""
    if not member_ids:
        return {}
    rows = wh.query(
        "SELECT source_system || '|' || source_object || '|' || native_id, name FROM account "
        "WHERE source_system || '|' || source_object || '|' || native_id IN "
        "(SELECT unnest(?::VARCHAR[]))",
        [member_ids],
    )
    return {k: v for k, v in rows}
