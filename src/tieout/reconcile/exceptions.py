"""Run the rules: one exception row per finding, with a stable id and money at risk."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa

from tieout.engine import Warehouse, render
from tieout.reconcile.rules import ResolvedRule

FOUND = "_reconcile_found"


def find_exceptions(
    wh: Warehouse,
    rules: list[ResolvedRule],
    as_of: dt.date,
    reporting_currency: str,
    ownership: dict[str, str],
) -> dict[str, int]:
    """Fill the `exception` table; returns findings per rule.

    `ownership` maps a rule's owner function to a person or team; `account_owner` means
    the customer's account owner in the CRM.
    """
    owners = pa.table(
        {"function": list(ownership), "owner": [ownership[f] for f in ownership]},
        schema=pa.schema([("function", pa.string()), ("owner", pa.string())]),
    )
    wh.register_arrow("_reconcile_owner_in", owners)
    wh.create_temp_table("_reconcile_owner", "SELECT * FROM _reconcile_owner_in")
    wh.unregister("_reconcile_owner_in")
    wh.execute(
        f"CREATE OR REPLACE TEMP TABLE {FOUND} (rule VARCHAR, severity VARCHAR, owner VARCHAR, "
        "account_key VARCHAR, amount DECIMAL(18,2), currency VARCHAR, "
        "refs STRUCT(system VARCHAR, object VARCHAR, native_id VARCHAR)[], detail VARCHAR)"
    )
    counts: dict[str, int] = {}
    for r in rules:
        before = wh.count(FOUND)
        wh.execute(
            f"INSERT INTO {FOUND} SELECT ?, ?, ?, account_key, amount, currency, refs, detail "
            f"FROM ({render(r.render(as_of))})",
            [r.rule.id, r.rule.severity, r.rule.owner],
        )
        counts[r.rule.id] = wh.count(FOUND) - before
    wh.execute("DELETE FROM exception")
    wh.run_script(
        f"""
        INSERT INTO exception
        WITH keyed AS (
            SELECT f.*, array_to_string(list_sort(list_transform(
                       refs, lambda r: r.system || '|' || r.object || '|' || r.native_id)),
                       ';') AS ref_key
            FROM {FOUND} f
        ),
        rated AS (
            SELECT k.*, CASE WHEN k.currency = getvariable('reconcile_currency') THEN 1
                             ELSE (SELECT rate FROM fx_rate x
                                   WHERE x.from_currency = k.currency
                                     AND x.to_currency = getvariable('reconcile_currency')
                                     AND x.rate_date <= getvariable('reconcile_as_of')
                                   ORDER BY x.rate_date DESC LIMIT 1) END AS rate
            FROM keyed k
        )
        SELECT 'EX-' || upper(substr(md5(rule || '#' || ref_key), 1, 12)), rule, severity,
               CASE WHEN o.owner = 'account_owner' THEN coalesce(
                   (SELECT p.name FROM xref x
                    JOIN account a ON a.source_system = x.source_system
                         AND a.source_object = x.source_object AND a.native_id = x.native_id
                    JOIN person p ON p.source_system = a.source_system
                         AND p.native_id = a.owner_native_id
                    WHERE x.entity_type = 'customer' AND x.golden_key = rated.account_key
                      AND x.method = 'master' LIMIT 1), rated.owner)
                    ELSE coalesce(o.owner, rated.owner) END,
               account_key, amount, currency, CAST(round(amount * rate, 2) AS DECIMAL(18, 2)),
               detail, CAST(to_json(refs) AS VARCHAR), getvariable('reconcile_as_of'),
               (SELECT lower(a.tier) FROM xref x
                JOIN account a ON a.source_system = x.source_system
                     AND a.source_object = x.source_object AND a.native_id = x.native_id
                WHERE x.entity_type = 'customer' AND x.golden_key = rated.account_key
                  AND x.method = 'master' LIMIT 1)
        FROM rated
        LEFT JOIN _reconcile_owner o ON o.function = rated.owner
        QUALIFY row_number() OVER (PARTITION BY rule, ref_key ORDER BY amount DESC) = 1
        ORDER BY rule, ref_key
        """,
        {"reconcile_currency": reporting_currency, "reconcile_as_of": as_of},
    )
    wh.drop_table(FOUND)
    return counts


def current(wh: Warehouse) -> list[dict[str, Any]]:
    return wh.query_dicts("SELECT * FROM exception ORDER BY amount_at_risk DESC NULLS LAST, id")
