"""Golden records for any entity: group source records, give each group a stable key,
remember it in the state store and write the crosswalk (xref)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pyarrow as pa

from tieout.engine import Warehouse
from tieout.state import StateStore
from tieout.state.matching import Membership, golden_members, save_members


@dataclass(frozen=True)
class Entity:
    """An entity type's working tables.

    `records`: unique_id, source_system, source_object, native_id, name_norm, is_anchor.
    `links`: unique_id, anchor_id (NULL when unlinked), method, confidence (0..1).
    """

    name: str
    prefix: str
    records: str
    links: str


@dataclass(frozen=True)
class EntityResult:
    records: int
    golden_records: int
    linked_by: dict[str, int]
    moved: int


def build_golden(wh: Warehouse, store: StateStore, entity: Entity) -> EntityResult:
    members = assign_keys(wh, entity, golden_members(store, entity.name))
    moved = save_members(store, entity.name, members)
    write_xref(wh, entity, members)
    linked_by: dict[str, int] = {}
    for m in members:
        linked_by[m.method] = linked_by.get(m.method, 0) + 1
    return EntityResult(len(members), len({m.golden_key for m in members}), linked_by, moved)


def assign_keys(wh: Warehouse, entity: Entity, known: dict[str, str]) -> list[Membership]:
    """Group records into golden records and give each group its stable key.

    A group is an anchor with the records linked to it, or records no anchor claimed that
    share a normalised name. A group takes the key its anchor (else most of its members)
    already had; a group none of whose members was seen before gets a new key.
    """
    rows = wh.query(
        f"SELECT c.unique_id, c.is_anchor, c.name_norm, l.anchor_id, l.method "
        f"FROM {entity.records} c LEFT JOIN {entity.links} l USING (unique_id) "
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
        key = _group_key(entity, group, [r[0] for r in records], known, taken)
        taken.add(key)
        members += [Membership(member, key, method) for member, method in records]
    return members


def _group_key(
    entity: Entity, group: str, member_ids: list[str], known: dict[str, str], taken: set[str]
) -> str:
    """The key the group already holds (its anchor's first), else a new one.

    A key another group took this run is not reused: a record split off its old golden
    record (by a rejection, say) must not drag that record's key along.
    """
    held = [known[m] for m in member_ids if m in known and known[m] not in taken]
    if group in known and known[group] not in taken:
        return known[group]
    if held:
        return max(sorted(set(held)), key=held.count)
    digest = hashlib.md5(f"{entity.name}|{member_ids[0]}".encode(), usedforsecurity=False)
    return f"{entity.prefix}-{digest.hexdigest()[:10].upper()}"


def write_xref(wh: Warehouse, entity: Entity, members: list[Membership]) -> None:
    table = pa.table(
        {
            "member_id": pa.array([m.member_id for m in members], pa.string()),
            "golden_key": pa.array([m.golden_key for m in members], pa.string()),
            "method": pa.array([m.method for m in members], pa.string()),
        }
    )
    wh.register_arrow("_match_members_in", table)
    wh.execute("DELETE FROM xref WHERE entity_type = :entity", {"entity": entity.name})
    wh.execute(
        "INSERT INTO xref (entity_type, golden_key, source_system, source_object, native_id, "
        "confidence, method) "
        "SELECT :entity, m.golden_key, c.source_system, c.source_object, c.native_id, "
        "CAST(round(100 * CASE WHEN m.method IN ('master', 'decision', 'unmatched') THEN 1.0 "
        "ELSE l.confidence END, 4) AS DECIMAL(9, 4)), m.method "
        f"FROM _match_members_in m JOIN {entity.records} c ON c.unique_id = m.member_id "
        f"LEFT JOIN {entity.links} l ON l.unique_id = m.member_id "
        "ORDER BY m.golden_key, c.source_system, c.source_object, c.native_id",
        {"entity": entity.name},
    )
    wh.unregister("_match_members_in")
