"""People's decisions on job links, and the links the model would not make alone.

A person's accept or reject (state store, `tieout match review`) wins over lookups,
references and the model on every later run and rebuild; a document left unlinked whose
likeliest candidate scored between REVIEW and MATCH is put to a person with its evidence.
"""

from __future__ import annotations

from dataclasses import dataclass

from tieout.engine import Warehouse
from tieout.match.job_model import Pair
from tieout.state import StateStore
from tieout.state.matching import ReviewItem, decisions

MATCH = 0.8  # a link at or above this probability is kept
REVIEW = 0.3  # an unlinked document's likeliest candidate at or above this is reviewed
QUOTE_REVIEW = "job_quote"  # review entities: work order -> quote, invoice line -> work order
BILL_REVIEW = "job_bill"
# the weights column of a link a person accepted (what Splink's would be, for the drill-down)
ACCEPTED_WEIGHTS = '{"decision": {"level": "accepted by a person", "weight": null}}'


@dataclass(frozen=True)
class Decided:
    """People's decisions on one kind of link: accepted (document -> its link) and
    rejected pairs, which no later run makes."""

    accepted: dict[str, str]
    rejected: frozenset[tuple[str, str]]

    @classmethod
    def load(cls, store: StateStore, entity: str) -> Decided:
        found = sorted(decisions(store, entity))
        return cls(
            accepted={m: a for m, a, d in found if d == "accept"},
            rejected=frozenset((m, a) for m, a, d in found if d == "reject"),
        )

    def allows(self, left: str, right: str) -> bool:
        return left not in self.accepted and (left, right) not in self.rejected

    def insert(self, wh: Warehouse, table: str) -> None:
        """Accepted links into `table`, replacing whatever else linked those documents."""
        table_key = {"_match_wo_quote": "wo_id", "_match_line_wo": "line_id"}[table]
        wh.execute(
            f"DELETE FROM {table} WHERE list_contains(:keys::VARCHAR[], {table_key})",
            {"keys": sorted(self.accepted)},
        )
        for left, right in sorted(self.accepted.items()):
            wh.execute(
                f"INSERT INTO {table} VALUES (:left, :right, 'decision', 1.0, :weights)",
                {"left": left, "right": right, "weights": ACCEPTED_WEIGHTS},
            )


def review_items(
    wh: Warehouse, pairs: list[Pair], decided: Decided, table: str, key: str
) -> list[ReviewItem]:
    """Each unlinked document's likeliest candidate from REVIEW up, not rejected, with the
    evidence that weighed most: the links the model would not make alone."""
    linked = {str(r[0]) for r in wh.query(f"SELECT {key} FROM {table}")}
    best: dict[str, Pair] = {}
    for p in pairs:
        if p.left in linked or p.probability < REVIEW or not decided.allows(p.left, p.right):
            continue
        held = best.get(p.left)
        if held is None or (-p.weight, p.right) < (-held.weight, held.right):
            best[p.left] = p
    return [
        ReviewItem(p.left, p.right, round(p.probability, 4), p.summary())
        for p in (best[k] for k in sorted(best))
    ]
