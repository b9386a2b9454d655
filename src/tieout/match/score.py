"""Accuracy against a ground-truth file: pairwise precision, recall and F1 per entity type.

Customers: every pair of records the truth puts in one customer is a true pair; every pair
tieout puts under one golden key is a predicted pair (records the truth does not list, such
as leads, are left out). Jobs: every (work order, quote) and (invoice line, quote) link.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from tieout.engine import Warehouse


@dataclass(frozen=True)
class Accuracy:
    entity: str
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int

    @property
    def precision(self) -> float:
        return self.correct_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def score(wh: Warehouse, truth: dict[str, Any]) -> list[Accuracy]:
    return [_customers(wh, truth), *_jobs(wh, truth)]


def _pairs(groups: dict[str, list[str]]) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for members in groups.values():
        out.update(itertools.combinations(sorted(set(members)), 2))
    return out


def _customers(wh: Warehouse, truth: dict[str, Any]) -> Accuracy:
    true_groups: dict[str, list[str]] = {}
    listed: set[str] = set()
    for customer in truth["customers"]:
        ids = [f"{m['system']}|{m['object']}|{m['native_id']}" for m in customer["members"]]
        true_groups[customer["key"]] = ids
        listed.update(ids)
    predicted: dict[str, list[str]] = defaultdict(list)
    rows = wh.query(
        "SELECT golden_key, source_system || '|' || source_object || '|' || native_id "
        "FROM xref WHERE entity_type = 'customer'"
    )
    for key, member in rows:
        if member in listed:
            predicted[key].append(member)
    t, p = _pairs(true_groups), _pairs(predicted)
    return Accuracy("customer", len(t), len(p), len(t & p))


def _jobs(wh: Warehouse, truth: dict[str, Any]) -> list[Accuracy]:
    true_wo = {(w, j["quote"]) for j in truth["jobs"] for w in j["work_orders"]}
    true_line = {(line, j["quote"]) for j in truth["jobs"] for line in j["invoice_lines"]}
    rows = wh.query(
        "SELECT w.native_id, q.native_id, l.native_id FROM job j "
        "JOIN quote q ON q.id = j.quote_id "
        "LEFT JOIN work_order w ON w.id = j.work_order_id "
        "LEFT JOIN invoice_line l ON l.id = j.invoice_line_id"
    )
    got_wo = {(w, q) for w, q, _ in rows if w}
    got_line = {(line, q) for _, q, line in rows if line}
    return [
        Accuracy("job: work order -> quote", len(true_wo), len(got_wo), len(true_wo & got_wo)),
        Accuracy(
            "job: invoice line -> quote", len(true_line), len(got_line), len(true_line & got_line)
        ),
    ]
