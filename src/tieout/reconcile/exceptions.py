"""Run the rules: one exception row per finding, with a stable id and money at risk."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from tieout.config.rules import ResolvedRule
from tieout.engine import Warehouse

FOUND = "_reconcile_found"


def find_exceptions(
    wh: Warehouse,
    rules: Sequence[ResolvedRule],
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
            f"INSERT INTO {FOUND} SELECT :rule, :severity, :owner, account_key, amount, "
            f"currency, refs, detail FROM ({r.render(as_of)})",
            {"rule": r.rule.id, "severity": r.rule.severity, "owner": r.rule.owner},
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
        rates AS (  -- money at risk in today's money: the rate of the as-of date
            SELECT from_currency AS currency, rate
            FROM currency_rate
            WHERE to_currency = :reconcile_currency
              AND :reconcile_as_of BETWEEN valid_from AND valid_until
        )
        SELECT 'EX-' || upper(substr(md5(k.rule || '#' || k.ref_key), 1, 12)), k.rule, k.severity,
               CASE WHEN o.owner = 'account_owner' THEN coalesce(m.owner, k.owner)
                    ELSE coalesce(o.owner, k.owner) END,
               k.account_key, k.amount, k.currency,
               CAST(round(k.amount * r.rate, 2) AS DECIMAL(18, 2)),
               k.detail, CAST(to_json(k.refs) AS VARCHAR), :reconcile_as_of, m.tier
        FROM keyed k
        LEFT JOIN rates r ON r.currency = k.currency
        LEFT JOIN customer_master m ON m.golden_key = k.account_key
        LEFT JOIN _reconcile_owner o ON o.function = k.owner
        QUALIFY row_number() OVER (PARTITION BY k.rule, k.ref_key ORDER BY k.amount DESC) = 1
        ORDER BY k.rule, k.ref_key
        """,
        {"reconcile_currency": reporting_currency, "reconcile_as_of": as_of},
    )
    wh.drop_table(FOUND)
    return counts


def current(wh: Warehouse) -> list[dict[str, Any]]:
    return wh.query_dicts("SELECT * FROM exception ORDER BY amount_at_risk DESC NULLS LAST, id")
