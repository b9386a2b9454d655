"""Customer golden records: one key per real customer across every system that names one.

Deterministic routes first (job references, exact normalised name, shared domain), Splink
for the rest, people's decisions over everything; weak or conflicting evidence goes to the
review queue instead of being guessed. Keys live in the state store, so a customer keeps
its key across runs and rebuilds, and a new record joins an existing key when it matches.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from tieout.engine import Warehouse
from tieout.match.golden import Entity, EntityResult, build_golden
from tieout.match.probabilistic import CUSTOMER, score_pairs
from tieout.match.sqlfiles import run_sql
from tieout.state import StateStore
from tieout.state.matching import ReviewItem, decisions, sync_reviews

CUSTOMER_ENTITY = Entity("customer", "CUS", "_match_customer", "_match_customer_links")


@dataclass(frozen=True)
class Thresholds:
    upper: float = 0.7  # link on Splink alone at or above
    lower: float = 0.3  # review between lower and upper


@dataclass(frozen=True)
class CustomerResult:
    golden: EntityResult
    in_review: int
    retrained: bool


def link_customers(
    wh: Warehouse,
    store: StateStore,
    models_dir: Path,
    *,
    master: tuple[str, str] = ("salesforce", "Account"),
    thresholds: Thresholds = Thresholds(),
    retrain: bool = False,
) -> CustomerResult:
    run_sql(wh, "customer_records.sql", match_master=master[0], match_master_object=master[1])
    wh.create_temp_table("_match_anchor", "SELECT * FROM _match_customer WHERE is_anchor")
    wh.create_temp_table(  # leads of prospects are not customers: no probabilistic route
        "_match_other",
        "SELECT * FROM _match_customer WHERE NOT is_anchor AND source_object <> 'Lead'",
    )
    retrained = False
    if wh.count("_match_anchor") and wh.count("_match_other"):
        retrained = score_pairs(
            wh,
            CUSTOMER,
            "_match_other",
            "_match_anchor",
            models_dir,
            labels="_match_labels",
            retrain=retrain,
        )
    else:
        wh.create_temp_table(
            "_match_scores",
            "SELECT '' AS left_id, '' AS right_id, 0.0 AS match_probability WHERE false",
        )
    _load_decisions(wh, store)
    run_sql(wh, "customer_links.sql", match_upper=thresholds.upper, match_lower=thresholds.lower)
    in_review = sync_reviews(store, CUSTOMER_ENTITY.name, _review_items(wh))
    golden = build_golden(wh, store, CUSTOMER_ENTITY)
    return CustomerResult(golden, in_review=in_review, retrained=retrained)


def _load_decisions(wh: Warehouse, store: StateStore) -> None:
    rows = decisions(store, CUSTOMER_ENTITY.name)
    table = pa.table(
        {
            "left_id": pa.array([r[0] for r in rows], pa.string()),
            "right_id": pa.array([r[1] for r in rows], pa.string()),
            "decision": pa.array([r[2] for r in rows], pa.string()),
        }
    )
    wh.register_arrow("_match_decisions_in", table)
    wh.create_temp_table("_match_decisions", "SELECT * FROM _match_decisions_in")
    wh.unregister("_match_decisions_in")


def _review_items(wh: Warehouse) -> list[ReviewItem]:
    rows = wh.query(
        "SELECT unique_id, best_anchor, probability, review_reason FROM _match_customer_links "
        "WHERE review_reason IS NOT NULL ORDER BY unique_id"
    )
    return [ReviewItem(u, a, float(p), r) for u, a, p, r in rows]
