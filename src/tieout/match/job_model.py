"""The job model: Fellegi-Sunter weights for "these two documents are one job", learned
from each company's own data with Splink (u from random pairs, m and the prior by
expectation maximisation within each customer), so no threshold is tuned to one
company's conventions. Documents are built by sql/job_docs.sql; every scored pair keeps
its evidence (each comparison's level and weight) for the job page and `export jobs`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

# fewer documents than this say too little to learn from: the starting values (Level.m, .u)
# stand, as a small company's first runs would otherwise learn noise
MIN_DOCUMENTS = 50
VETO_FREE = ("price", "quantity", "amount")  # comparisons on what the billing rules check
JOB_EVIDENCE = ("reference", "products", "price", "quantity", "words")  # about the work itself
DISAGREEMENT = 0.05  # the least m of their levels short of full agreement
UNSEEN = 1e-4  # the least m or u of any level

# the columns every job document has (job_docs.sql), and its stage in the job's life
DOC_COLUMNS = (
    "golden_key, doc_date, until, own, mentions, products, prices, net_prices, items, amount, "
    "words, title, interim"
)
STAGES = {"quote": 0, "work_order": 1, "line": 2}


@dataclass(frozen=True)
class Level:
    label: str
    sql: str
    m: float  # starting values; EM and random sampling replace them
    u: float


@dataclass(frozen=True)
class Evidence:
    name: str
    null: str  # no information on this pair: weight 0
    levels: tuple[Level, ...]  # strongest first; anything else is the last, "else", level


# days from the start and from the end (`until`: a work order's finish) of the earlier
# document of the job to the later one (quote, work order, bill): a bill comes while the
# work goes on or soon after it ends, however long the job took
_DAYS_FROM_START = (
    'CASE WHEN "stage_l" > "stage_r" THEN date_diff(\'day\', "doc_date_r", "doc_date_l") '
    'ELSE date_diff(\'day\', "doc_date_l", "doc_date_r") END'
)
_DAYS_FROM_END = (
    'CASE WHEN "stage_l" > "stage_r" THEN date_diff(\'day\', "until_r", "doc_date_l") '
    'ELSE date_diff(\'day\', "until_l", "doc_date_r") END'
)
# what the comparisons read of a document's words, worked out once per document (scoring
# adds these columns, job_scores.py) rather than again for each of the many pairs it is in
FEATURES = {
    "word_set": "list_distinct(list_filter(string_split(words, ' '), lambda w: length(w) > 2))",
    "all_words": "string_split(words, ' ')",
}
_WORDS_L, _WORDS_R = '"word_set_l"', '"word_set_r"'
_ALL_WORDS_L, _ALL_WORDS_R = '"all_words_l"', '"all_words_r"'
_SHARED_WORDS = (
    f"len(list_intersect({_WORDS_L}, {_WORDS_R})) / "
    f"greatest(least(len({_WORDS_L}), len({_WORDS_R})), 1)"
)
_NEAR_PRICE = (
    'len(list_filter("prices_l", lambda x: len(list_filter("prices_r", '
    "lambda y: abs(x - y) <= 0.1 * abs(y))) > 0)) > 0"
)

EVIDENCE = (
    # candidates share a customer (the blocking rule); what that is worth against a random
    # pair is learnt like the rest (u from random pairs), so it is not lost to blocking
    Evidence(
        "customer",
        '"golden_key_l" IS NULL OR "golden_key_r" IS NULL',
        (Level("the same customer", '"golden_key_l" = "golden_key_r"', 0.98, 0.02),),
    ),
    Evidence(
        "reference",
        'len("mentions_l") = 0 AND len("mentions_r") = 0',
        (
            Level(
                "one names the other's number",
                'list_has_any("mentions_l", "own_r") OR list_has_any("mentions_r", "own_l")',
                0.6,
                0.002,
            ),
            Level(
                "both name the same number", 'list_has_any("mentions_l", "mentions_r")', 0.1, 0.01
            ),
        ),
    ),
    Evidence(
        "products",
        'len("products_l") = 0 OR len("products_r") = 0',
        (
            Level(
                "the same products",
                'list_has_all("products_r", "products_l") AND '
                'list_has_all("products_l", "products_r")',
                0.5,
                0.05,
            ),
            Level(
                "products of one within the other's",
                'list_has_all("products_r", "products_l") OR '
                'list_has_all("products_l", "products_r")',
                0.3,
                0.1,
            ),
            Level("some products shared", 'list_has_any("products_l", "products_r")', 0.1, 0.1),
        ),
    ),
    Evidence(
        "price",
        'len("prices_l") = 0 OR len("prices_r") = 0',
        (
            Level(
                "the unit price after discount agrees",
                'list_has_any("net_prices_l", "net_prices_r")',
                0.5,
                0.03,
            ),
            Level("a unit price agrees", 'list_has_any("prices_l", "prices_r")', 0.2, 0.05),
            Level("a unit price within 10%", _NEAR_PRICE, 0.2, 0.1),
        ),
    ),
    # one customer's concurrent jobs for the same products and prices differ in how much:
    # 310 m of cable, not 330. A bill is scored on the lines that set a job apart from the
    # customer's others (unique_items, jobs.py): where every job of theirs has one
    # commissioning visit, that one visit says nothing
    Evidence(
        "quantity",
        'len("items_l") = 0 OR len("items_r") = 0',
        (
            Level(
                "a line of the same product and quantity",
                'list_has_any("items_l", "unique_items_r") OR '
                'list_has_any("unique_items_l", "items_r")',
                0.6,
                0.1,
            ),
        ),
    ),
    Evidence(
        "amount",
        '"amount_l" IS NULL OR "amount_r" IS NULL OR "amount_r" = 0 OR "amount_l" = 0',
        (
            Level(
                "the same amount",
                'abs(abs("amount_l") - abs("amount_r")) <= 0.01 + 0.005 * abs("amount_r")',
                0.5,
                0.01,
            ),
            Level(
                "a part of the earlier document's amount",
                'CASE WHEN "stage_l" > "stage_r" THEN abs("amount_l") < abs("amount_r") '
                'ELSE abs("amount_r") < abs("amount_l") END',
                0.3,
                0.4,
            ),
        ),
    ),
    Evidence(
        "dates",
        '"doc_date_l" IS NULL OR "doc_date_r" IS NULL',
        (
            Level(
                "a part of the work billed while it went on",
                f'("interim_l" OR "interim_r") AND {_DAYS_FROM_START} >= 0 '
                f"AND {_DAYS_FROM_END} <= 0",
                0.1,
                0.005,  # about one bill in ten is a part, and a job is under way 1 day in 20
            ),
            Level(
                "in order, within 45 days of the end",
                f"{_DAYS_FROM_START} >= 0 AND {_DAYS_FROM_END} <= 45",
                0.6,
                0.05,
            ),
            Level(
                "in order, within a year",
                f"{_DAYS_FROM_START} >= -30 AND {_DAYS_FROM_END} <= 400",
                0.35,
                0.4,
            ),
        ),
    ),
    Evidence(
        "words",
        'length("words_l") = 0 OR length("words_r") = 0',
        (
            Level(
                "the same title", 'length("title_l") >= 4 AND "title_l" = "title_r"', 0.15, 0.005
            ),
            Level(
                "one's title is in the other",
                'length("title_l") >= 4 AND length("title_r") >= 4 AND '
                '(contains("title_l", "title_r") OR contains("title_r", "title_l"))',
                0.15,
                0.01,
            ),
            Level("most words shared", f"{_SHARED_WORDS} >= 0.6", 0.25, 0.05),
            Level("some words shared", f"{_SHARED_WORDS} >= 0.3", 0.15, 0.2),
        ),
    ),
    # beside the words, not a level of them: of a customer's concurrent jobs with the same
    # products and words, the one whose own word (a site) the bill names
    Evidence(
        "distinct_word",
        'len("unique_words_l") = 0 AND len("unique_words_r") = 0',
        (
            Level(
                "names a word no other document of the customer has, rare in the company",
                f'list_has_any("rare_words_r", {_ALL_WORDS_L}) OR '
                f'list_has_any("rare_words_l", {_ALL_WORDS_R})',
                0.4,
                0.02,
            ),
            Level(
                "names a word no other document of the customer has",
                f'list_has_any("unique_words_r", {_ALL_WORDS_L}) OR '
                f'list_has_any("unique_words_l", {_ALL_WORDS_R})',
                0.2,
                0.1,
            ),
        ),
    ),
)


def _comparison(e: Evidence) -> dict[str, Any]:
    levels: list[dict[str, Any]] = [
        {"sql_condition": e.null, "label_for_charts": "no information", "is_null_level": True}
    ]
    levels += [
        {
            "sql_condition": lv.sql,
            "label_for_charts": lv.label,
            "m_probability": lv.m,
            "u_probability": lv.u,
        }
        for lv in e.levels
    ]
    rest_m = max(1e-3, 1 - sum(lv.m for lv in e.levels))
    rest_u = max(1e-3, 1 - sum(lv.u for lv in e.levels))
    levels.append(
        {
            "sql_condition": "ELSE",
            "label_for_charts": "nothing agrees",
            "m_probability": rest_m,
            "u_probability": rest_u,
        }
    )
    return {"output_column_name": e.name, "comparison_levels": levels}


def _allow_disagreement(model: dict[str, Any]) -> dict[str, Any]:
    """A true link may disagree on price or amount: that is what the billing rules exist
    to find. EM, seeing few such links, would make a disagreement all but veto a link and
    hand the line to a look-alike job; its m is kept at DISAGREEMENT at least."""
    for comparison in model["comparisons"]:
        if comparison["output_column_name"] not in VETO_FREE:
            continue
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        for level in levels[1:]:  # all but full agreement
            level["m_probability"] = max(level.get("m_probability") or 0.0, DISAGREEMENT)
    prior = model.get("probability_two_random_records_match") or 0.5
    model["probability_two_random_records_match"] = min(max(prior, 1e-9), 0.5)
    for comparison in model["comparisons"]:  # a level never seen is rare, not impossible
        for level in comparison["comparison_levels"]:
            if not level.get("is_null_level"):
                level["m_probability"] = max(level.get("m_probability") or 0.0, UNSEEN)
                level["u_probability"] = max(level.get("u_probability") or 0.0, UNSEEN)
    return model


def _level_weights(model: dict[str, Any]) -> dict[str, list[tuple[str, float]]]:
    """Each comparison's levels and their trained weights (bits), to name the level a
    pair's per-comparison weight came from."""
    out: dict[str, list[tuple[str, float]]] = {}
    for comparison in model["comparisons"]:
        levels = []
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                levels.append((level["label_for_charts"], 0.0))
                continue
            m, u = level.get("m_probability"), level.get("u_probability")
            if m and u:
                levels.append((level["label_for_charts"], math.log2(m / u)))
        out[comparison["output_column_name"]] = levels
    return out


@dataclass(frozen=True)
class Pair:
    left: str
    right: str
    probability: float
    weight: float
    evidence: dict[str, tuple[str, float]]  # comparison -> (level, weight in bits)

    @property
    def names_the_job(self) -> bool:
        """Whether something about the work itself agrees (a number, a product, a price,
        the words), not only the customer, the dates and the size: those alone would tie a
        customer's every bill to whichever of its jobs came nearest."""
        return any(
            self.evidence[name][0] not in ("no information", "nothing agrees")
            for name in JOB_EVIDENCE
        )

    def summary(self, top: int = 3) -> str:
        """The strongest few comparisons as one line ("products: the same products +4.2")."""
        found = sorted(
            ((k, lv, w) for k, (lv, w) in self.evidence.items() if w),
            key=lambda e: (-abs(e[2]), e[0]),
        )
        return "; ".join(f"{k}: {lv} {w:+.1f}" for k, lv, w in found[:top])

    def evidence_json(self) -> str:
        return json.dumps(
            {k: {"level": lv, "weight": round(w, 2)} for k, (lv, w) in self.evidence.items()},
            sort_keys=True,
        )
