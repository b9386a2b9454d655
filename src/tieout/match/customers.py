"""Customer golden records: one key per real customer across every system that names one.

Deterministic routes first (job references, exact normalised name, shared domain), Splink
for the rest, people's decisions over everything; weak or conflicting evidence goes to the
review queue instead of being guessed. Keys live in the state store, so a customer keeps
its key across runs and rebuilds, and a new record joins an existing key when it matches.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from tieout.engine import Warehouse
from tieout.match.probabilistic import CUSTOMER, score_pairs
from tieout.match.sqlfiles import run_sql
from tieout.state import StateStore
from tieout.state.matching import (
    Membership,
    ReviewItem,
    decisions,
    golden_members,
    save_members,
    sync_reviews,
)

ENTITY = "customer"


@dataclass(frozen=True)
class Thresholds:
    upper: float = 0.7  # link on Splink alone at or above
    lower: float = 0.3  # review between lower and upper


@dataclass(frozen=True)
class CustomerResult:
    records: int
    golden_records: int
    linked_by: dict[str, int]
    in_review: int
    moved: int
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
    wh.create_temp_table("_match_other", "SELECT * FROM _match_customer WHERE NOT is_anchor")
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
    in_review = sync_reviews(store, ENTITY, _review_items(wh))
    members = _assign_keys(wh, golden_members(store, ENTITY))
    moved = save_members(store, ENTITY, members)
    _write_xref(wh, members)
    linked_by: dict[str, int] = {}
    for m in members:
        linked_by[m.method] = linked_by.get(m.method, 0) + 1
    return CustomerResult(
        records=len(members),
        golden_records=len({m.golden_key for m in members}),
        linked_by=linked_by,
        in_review=in_review,
        moved=moved,
        retrained=retrained,
    )


def _load_decisions(wh: Warehouse, store: StateStore) -> None:
    rows = decisions(store, ENTITY)
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


def _assign_keys(wh: Warehouse, known: dict[str, str]) -> list[Membership]:
    """Group records into golden records and give each group its stable key.

    A group is an anchor with the records linked to it, or records no anchor claimed that
    share a normalised name. A group takes the key its anchor (else most of its members)
    already had; a group none of whose members was seen before gets a new key.
    """
    rows = wh.query(
        "SELECT c.unique_id, c.is_anchor, c.name_norm, l.anchor_id, l.method "
        "FROM _match_customer c LEFT JOIN _match_customer_links l USING (unique_id) "
        "ORDER BY c.unique_id"
    )
    groups: dict[str, list[tuple[str, str]]] = {}
    for unique_id, is_anchor, name_norm, anchor_id, method in rows:
        if is_anchor:
            groups.setdefault(unique_id, []).insert(0, (unique_id, "master"))
        elif anchor_id:
            groups.setdefault(anchor_id, []).append((unique_id, method))
        else:
            groups.setdefault(f"name|{name_norm or unique_id}", []).append((unique_id, "unmatched"))
    members: list[Membership] = []
    taken: set[str] = set()
    anchors_first = sorted(groups.items(), key=lambda g: (g[0].startswith("name|"), g[0]))
    for group, records in anchors_first:
        key = _group_key(group, [r[0] for r in records], known, taken)
        taken.add(key)
        members += [Membership(member, key, method) for member, method in records]
    return members


def _group_key(group: str, member_ids: list[str], known: dict[str, str], taken: set[str]) -> str:
    """The key the group already holds (its anchor's first), else a new one.

    A key another group took this run is not reused: a record split off its old customer
    (by a rejection, say) must not drag that customer's key along.
    """
    held = [known[m] for m in member_ids if m in known and known[m] not in taken]
    if group in known and known[group] not in taken:
        return known[group]
    if held:
        return max(sorted(set(held)), key=held.count)
    digest = hashlib.md5(f"{ENTITY}|{member_ids[0]}".encode(), usedforsecurity=False)
    return "CUS-" + digest.hexdigest()[:10].upper()


def _write_xref(wh: Warehouse, members: list[Membership]) -> None:
    table = pa.table(
        {
            "member_id": pa.array([m.member_id for m in members], pa.string()),
            "golden_key": pa.array([m.golden_key for m in members], pa.string()),
            "method": pa.array([m.method for m in members], pa.string()),
        }
    )
    wh.register_arrow("_match_members_in", table)
    run_sql(wh, "customer_xref.sql")
    wh.unregister("_match_members_in")
