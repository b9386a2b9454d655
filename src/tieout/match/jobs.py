"""Job links: which quote, work order and invoice lines are one piece of work.

A work order's quote is the CRM lookup when one is filled; otherwise, and for every
invoice line, the job model (job_model.py) scores each same-customer candidate on all the
evidence the documents carry, and an assignment keeps the links jointly consistent: a line
bills one work order, and of near-equal candidates it goes to one whose bills would not
then exceed it. People's decisions win over both; a document left unlinked whose likeliest
candidate scored between REVIEW and MATCH goes to the review queue (`tieout match review`).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal
from functools import partial

import pyarrow as pa

from tieout.engine import Warehouse
from tieout.match.job_assignment import (
    NEAR,
    OVERBILL,
    invoices_whole,
    only_candidates,
    quotes_jointly,
    timely,
    with_siblings,
)
from tieout.match.job_model import DOC_COLUMNS, STAGES, Pair
from tieout.match.job_reviews import (
    BILL_REVIEW,
    MATCH,
    QUOTE_REVIEW,
    Decided,
    review_items,
)
from tieout.match.job_scores import Scoring, score
from tieout.match.sqlfiles import run_sql
from tieout.state import StateStore
from tieout.state.matching import sync_reviews

WINDOW_DAYS = 730
NAMES_THE_NUMBER = "one names the other's number"  # the reference comparison's top level
MIN_NAMED = 20  # fewer quotes named outright say too little about how many jobs a deal has
PHASED = 0.1  # the share of deals done as more than one job, until the data says
PHASE = r"\b(?:phase|stage) ?(\d+) ?(?:of|/) ?(\d+)\b"  # "phase 2 of 2" in a lower-cased subject


@dataclass(frozen=True)
class JobResult:
    work_orders: int
    work_orders_with_quote: int
    invoice_lines: int
    invoice_lines_linked: int
    linked_by: dict[str, int]
    in_review: int


def link_jobs(wh: Warehouse, store: StateStore, scoring: Scoring | None = None) -> JobResult:
    scored = partial(score, window_days=WINDOW_DAYS, scoring=scoring or Scoring())
    run_sql(wh, "job_docs.sql")
    _documents(wh)
    quotes = Decided.load(store, QUOTE_REVIEW)
    wo_pairs = scored(wh, "_job_s_wo", "_job_s_quote", name="job_quote")
    _link_quotes(wh, [p for p in wo_pairs if quotes.allows(p.left, p.right)], quotes)
    _billed_documents(wh)
    _explicit_lines(wh)
    bills = Decided.load(store, BILL_REVIEW)
    line_pairs = scored(wh, "_job_s_line", "_job_s_billed", name="job_bill")
    _link_lines(wh, [p for p in line_pairs if bills.allows(p.left, p.right)], bills)
    in_review = sync_reviews(
        store, QUOTE_REVIEW, review_items(wh, wo_pairs, quotes, "_match_wo_quote", "wo_id")
    ) + sync_reviews(
        store, BILL_REVIEW, review_items(wh, line_pairs, bills, "_match_line_wo", "line_id")
    )
    run_sql(wh, "jobs.sql")
    by_method = dict(
        wh.query("SELECT method, count(*) FROM _match_line_wo GROUP BY method ORDER BY method")
    )
    return JobResult(
        work_orders=wh.count("_match_job_wo"),
        work_orders_with_quote=wh.count("_match_wo_quote"),
        invoice_lines=wh.count("_match_job_line"),
        invoice_lines_linked=wh.count("_match_line_wo"),
        linked_by={str(k): int(v) for k, v in by_method.items()},
        in_review=in_review,
    )


def _documents(wh: Warehouse) -> None:
    """Work orders and quotes as the model's documents (unique_id, stage, DOC_COLUMNS)."""
    wh.create_temp_table(
        "_job_s_wo",
        f"SELECT wo_id AS unique_id, {STAGES['work_order']} AS stage, "
        + DOC_COLUMNS.replace("doc_date, until", "started_on AS doc_date, finished_on AS until")
        + " FROM _match_job_wo WHERE golden_key IS NOT NULL",
    )
    wh.create_temp_table(
        "_job_s_quote",
        f"SELECT quote_id AS unique_id, {STAGES['quote']} AS stage, {DOC_COLUMNS} "
        "FROM _match_job_quote WHERE golden_key IS NOT NULL",
    )
    _mark_unique_words(wh, "_job_s_wo")
    _mark_unique_words(wh, "_job_s_quote")


RARE = 0.02  # a word in at most this share of a stage's documents is rare in the company


def _mark_unique_words(wh: Warehouse, table: str, *, items: bool = False) -> None:
    """Each document's words no other document of its customer has (a site, "Norwich
    plant"; a system, "AHU"), and with `items` likewise its lines' product and quantity:
    what tells one customer's concurrent jobs apart, where what every job of theirs shares
    ("retrofit", their own name, one commissioning visit) tells nothing. Without `items`
    every line is its own (a work order and its quote share them all). Of the words, those
    rare in the whole company too (`rare_words`: "Nantes", not "site" or "gate", which
    a bill says of any job) are scored apart, as Splink adjusts for term frequency."""
    unique = (
        "SELECT unique_id, list(value ORDER BY value) AS found, "
        "list(value ORDER BY value) FILTER (WHERE docs <= {rare}) AS rare FROM ("
        "  SELECT *, count(*) OVER (PARTITION BY golden_key, value) AS n, "
        "         count(*) OVER (PARTITION BY value) AS docs FROM ("
        "    SELECT DISTINCT unique_id, golden_key, unnest({values}) AS value FROM {table}))"
        " WHERE n = 1 GROUP BY unique_id"
    )
    words = unique.format(
        values="list_filter(string_split(words, ' '), "
        "lambda x: length(x) >= 2 AND NOT _job_small_word(x))",
        table=table,
        rare=f"greatest(1, {RARE} * (SELECT count(*) FROM {table}))",
    )
    unique_items, join_items = "t.items", ""
    if items:
        unique_items = "coalesce(ui.found, [])"
        join_items = (
            f" LEFT JOIN ({unique.format(values='items', table=table, rare=0)}) ui "
            "USING (unique_id)"
        )
    wh.create_temp_table(
        table,
        "SELECT t.*, coalesce(uw.found, []) AS unique_words, "
        f"coalesce(uw.rare, []) AS rare_words, {unique_items} AS unique_items "
        f"FROM {table} t LEFT JOIN ({words}) uw USING (unique_id){join_items}",
    )


def _link_quotes(wh: Warehouse, pairs: list[Pair], decided: Decided) -> None:
    """Each work order's quote: a person's decision, else the CRM lookup, else its most
    likely quote, chosen with the others' (job_assignment.quotes_jointly)."""
    wh.create_temp_table(
        "_match_wo_quote",
        "SELECT w.wo_id, q.quote_id, 'crm_lookup' AS method, 1.0 AS confidence, "
        '\'{"crm lookup": {"level": "the work order names the quote", "weight": null}}\' '
        "AS evidence FROM _match_job_wo w JOIN _match_job_quote q "
        "ON q.source_system = w.source_system AND q.native_id = w.quote_native_id",
    )
    wh.execute(
        "DELETE FROM _match_wo_quote "
        "WHERE list_contains(:rejected::VARCHAR[], wo_id || '|' || quote_id)",
        {"rejected": sorted(f"{m}|{a}" for m, a in decided.rejected)},
    )
    decided.insert(wh, "_match_wo_quote")
    looked_up = {str(r[0]) for r in wh.query("SELECT wo_id FROM _match_wo_quote")}
    rank = dict(wh.query("SELECT quote_id, status_rank FROM _match_job_quote"))
    options = [p for p in pairs if p.left not in looked_up and p.names_the_job]
    taken: dict[str, list[str]] = defaultdict(list)
    for wo, quote in wh.query("SELECT wo_id, quote_id FROM _match_wo_quote ORDER BY wo_id"):
        taken[str(quote)].append(str(wo))
    phases = {
        str(wo): (int(k), int(m))
        for wo, k, m in wh.query(
            f"SELECT wo_id, regexp_extract(subject, '{PHASE}', 1), "
            f"regexp_extract(subject, '{PHASE}', 2) FROM _match_job_wo "
            f"WHERE regexp_matches(subject, '{PHASE}')"
        )
    }
    best = quotes_jointly(options, rank, taken, _another_work_order_bits(wh, pairs), phases)
    _insert(wh, "_match_wo_quote", best)


def _another_work_order_bits(wh: Warehouse, pairs: list[Pair]) -> float:
    """How much less likely a quote is to be one more work order's than its first's, in
    bits, learned from the work orders that name their quote outright (the CRM lookup, or
    the quote's number in their text): most deals are one job, a phased one is two."""
    named = dict(wh.query("SELECT wo_id, quote_id FROM _match_wo_quote"))
    for p in pairs:
        if p.probability >= MATCH and p.evidence["reference"][0] == NAMES_THE_NUMBER:
            named.setdefault(p.left, p.right)
    per_quote = Counter(named.values())
    share = PHASED
    if len(per_quote) >= MIN_NAMED:
        share = sum(1 for n in per_quote.values() if n > 1) / len(per_quote)
        share = min(max(share, 1 / len(per_quote)), 0.5)
    return math.log2((1 - share) / share)


def _billed_documents(wh: Warehouse) -> None:
    """What a bill can be for: a work order with its quote's numbers and words, and its
    quote's products and prices too where the work order is the quote's only one (a
    phased job's quote covers every phase, so a phase is told by its own lines); and the
    invoice lines as documents."""
    lines = {
        column: f"CASE WHEN phases = 1 OR len(w.{column}) = 0 "
        f"THEN list_distinct(list_concat(w.{column}, coalesce(q.{column}, []))) "
        f"ELSE w.{column} END AS {column}"
        for column in ("products", "prices", "net_prices", "items")
    }
    wh.create_temp_table(
        "_job_s_billed",
        f"SELECT w.wo_id AS unique_id, {STAGES['work_order']} AS stage, w.golden_key, "
        "w.started_on AS doc_date, w.finished_on AS until, "
        "list_distinct(list_concat(w.own, coalesce(q.own, []))) AS own, "
        "list_distinct(list_concat(w.mentions, coalesce(q.mentions, []))) AS mentions, "
        f"{lines['products']}, {lines['prices']}, {lines['net_prices']}, {lines['items']}, "
        "coalesce(w.amount, q.amount) AS amount, "
        "trim(concat_ws(' ', w.words, q.words)) AS words, w.title, FALSE AS interim "
        "FROM _match_job_wo w "
        "LEFT JOIN (SELECT *, count(*) OVER (PARTITION BY quote_id) AS phases "
        "           FROM _match_wo_quote) wq ON wq.wo_id = w.wo_id "
        "LEFT JOIN _match_job_quote q ON q.quote_id = wq.quote_id "
        "WHERE w.golden_key IS NOT NULL",
    )
    wh.create_temp_table(
        "_job_s_line",
        f"SELECT line_id AS unique_id, {STAGES['line']} AS stage, "
        + DOC_COLUMNS.replace("doc_date, until", "invoice_date AS doc_date, invoice_date AS until")
        + " FROM _match_job_line WHERE golden_key IS NOT NULL",
    )
    _mark_unique_words(wh, "_job_s_billed", items=True)
    wh.execute("ALTER TABLE _job_s_line ADD COLUMN unique_words VARCHAR[] DEFAULT []")
    wh.execute("ALTER TABLE _job_s_line ADD COLUMN rare_words VARCHAR[] DEFAULT []")
    wh.execute("ALTER TABLE _job_s_line ADD COLUMN unique_items VARCHAR[] DEFAULT []")


def _explicit_lines(wh: Warehouse) -> None:
    """Lines that name their work order ("WO-00123", "work order 123"): proven links, which
    no disagreement elsewhere (a price, a date) overrules, since those are what the
    billing rules look for. Of several work orders with that number, the customer's."""
    wh.create_temp_table(
        "_job_explicit",
        "WITH named AS ("
        "  SELECT l.line_id, w.wo_id, w.golden_key IS NOT DISTINCT FROM l.golden_key AS own,"
        "         count(*) OVER (PARTITION BY l.line_id) AS n"
        "  FROM (SELECT line_id, golden_key, unnest(wo_refs) AS number FROM _match_job_line) l"
        "  JOIN _match_job_wo w ON w.number = l.number) "
        "SELECT line_id, min(wo_id) AS wo_id FROM named WHERE own OR n = 1 "
        "GROUP BY line_id HAVING count(DISTINCT wo_id) = 1",
    )


def _link_lines(wh: Warehouse, pairs: list[Pair], decided: Decided) -> None:
    """Each line to at most one work order: a person's decision, else the work order it
    names, else by the model, strongest links first. Of candidates within
    NEAR bits of a line's best, the first whose bills would stay within OVERBILL of it
    wins (one customer's concurrent jobs for the same product); with none, the best."""
    amounts = {
        str(k): (Decimal(str(a)) if a is not None else None)
        for k, a in wh.query("SELECT unique_id, amount FROM _job_s_billed")
    }
    line_amount = {
        str(k): (Decimal(str(a)) if a is not None else Decimal(0))
        for k, a in wh.query("SELECT unique_id, amount FROM _job_s_line")
    }
    explicit = {
        line: wo
        for line, wo in wh.query("SELECT line_id, wo_id FROM _job_explicit")
        if decided.allows(line, wo)
    }
    explicit.update(decided.accepted)
    billed: dict[str, Decimal] = defaultdict(Decimal)
    for line, wo in explicit.items():
        billed[str(wo)] += line_amount.get(str(line), Decimal(0))
    by_line: dict[str, list[Pair]] = defaultdict(list)
    for p in pairs:
        if p.probability >= MATCH and p.names_the_job and p.left not in explicit:
            by_line[p.left].append(p)
    for options in by_line.values():
        options.sort(key=lambda p: (-p.weight, p.right))
    chosen: list[Pair] = []
    for line in sorted(by_line, key=lambda k: (-by_line[k][0].weight, k)):
        options = by_line[line]
        amount = line_amount.get(line, Decimal(0))
        pick = options[0]
        for p in options:
            if p.weight < options[0].weight - NEAR:
                break
            cap = amounts.get(p.right)
            if amount <= 0 or cap is None or billed[p.right] + amount <= cap * OVERBILL:
                pick = p
                break
        billed[pick.right] += amount
        chosen.append(pick)
    invoice_of = dict(
        wh.query("SELECT line_id, source_system || '|' || invoice_number FROM _match_job_line")
    )
    chosen = invoices_whole(chosen, by_line, explicit, invoice_of, line_amount, amounts)
    linked = {**explicit, **{p.left: p.right for p in chosen}}
    siblings = with_siblings(pairs, linked, invoice_of)
    linked.update((p.left, p.right) for p in siblings)
    so_far: dict[str, Decimal] = defaultdict(Decimal)
    for line, wo in linked.items():
        so_far[wo] += line_amount.get(line, Decimal(0))
    product_of = {
        str(line): str(product)
        for line, product in wh.query(
            "SELECT line_id, products[1] FROM _match_job_line WHERE len(products) = 1"
        )
    }
    only = only_candidates(
        timely(wh, pairs), linked, so_far, amounts, line_amount, product_of, _product_amounts(wh)
    )
    wh.create_temp_table(
        "_match_line_wo",
        "SELECT CAST(NULL AS VARCHAR) AS line_id, CAST(NULL AS VARCHAR) AS wo_id, "
        "CAST(NULL AS VARCHAR) AS method, CAST(NULL AS DOUBLE) AS confidence, "
        "CAST(NULL AS VARCHAR) AS evidence WHERE false",
    )
    wh.execute(
        "INSERT INTO _match_line_wo SELECT line_id, wo_id, 'wo_reference', 1.0, "
        '\'{"reference": {"level": "the line names the work order", "weight": null}}\' '
        "FROM _job_explicit WHERE list_contains(:lines::VARCHAR[], line_id)",
        {"lines": sorted(k for k in explicit if k not in decided.accepted)},
    )
    decided.insert(wh, "_match_line_wo")
    _insert(wh, "_match_line_wo", sorted(chosen, key=lambda p: p.left))
    _insert(wh, "_match_line_wo", siblings, method="invoice")
    _insert(wh, "_match_line_wo", only, method="only_candidate")


def _product_amounts(wh: Warehouse) -> dict[tuple[str, str], Decimal]:
    """What each work order's lines come to per product (work order, product -> amount)."""
    line_total = "coalesce(wl.total_price, wl.quantity * wl.unit_price)"
    return {
        (str(wo), str(product)): Decimal(str(amount))
        for wo, product, amount in wh.query(
            f"SELECT w.wo_id, p.golden_key, sum({line_total}) FROM work_order_line wl "
            "JOIN _match_job_wo w ON w.source_system = wl.source_system "
            "     AND w.native_id = wl.work_order_native_id "
            "JOIN _job_product p ON p.source_system = wl.source_system "
            "     AND p.native_id = upper(wl.product_native_id) "
            f"GROUP BY ALL HAVING sum({line_total}) > 0"
        )
    }


def _insert(wh: Warehouse, table: str, pairs: list[Pair], method: str = "model") -> None:
    rows = pa.table(
        {
            "left": [p.left for p in pairs],
            "right": [p.right for p in pairs],
            "method": [method] * len(pairs),
            "confidence": [round(p.probability, 4) for p in pairs],
            "evidence": [p.evidence_json() for p in pairs],
        },
        schema=pa.schema(
            [
                ("left", pa.string()),
                ("right", pa.string()),
                ("method", pa.string()),
                ("confidence", pa.float64()),
                ("evidence", pa.string()),
            ]
        ),
    )
    wh.register_arrow("_job_pairs", rows)
    wh.execute(f"INSERT INTO {table} SELECT * FROM _job_pairs")
    wh.unregister("_job_pairs")
