"""Job links: which quote, work order and invoice lines are one piece of work.

A work order's quote is the CRM lookup when one is filled; otherwise, and for every
invoice line, the job model (job_model.py) scores each same-customer candidate on all the
evidence the documents carry, and an assignment keeps the links jointly consistent: a line
bills one work order, and of near-equal candidates it goes to one whose bills would not
then exceed it. People's decisions win over both; a document left unlinked whose likeliest
candidate scored between REVIEW and MATCH goes to the review queue (`tieout match review`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pyarrow as pa

from tieout.engine import Warehouse
from tieout.match.job_model import DOC_COLUMNS, STAGES, Pair, score
from tieout.match.job_reviews import (
    BILL_REVIEW,
    MATCH,
    QUOTE_REVIEW,
    REVIEW,
    Decided,
    review_items,
)
from tieout.match.sqlfiles import run_sql
from tieout.state import StateStore
from tieout.state.matching import sync_reviews

NEAR = 2.0  # bits: candidates this close to the best are alternatives for capacity
OVERBILL = Decimal("1.10")  # bills up to 110% of a work order still fit it
CENT = Decimal("0.01")
BALANCE_DUE = timedelta(days=60)  # a job's last bill comes within this of its finish
WINDOW_DAYS = 730
SHARED_PRODUCTS = (  # the products comparison's levels that name a product in common
    "the same products",
    "products of one within the other's",
    "some products shared",
)


@dataclass(frozen=True)
class JobResult:
    work_orders: int
    work_orders_with_quote: int
    invoice_lines: int
    invoice_lines_linked: int
    linked_by: dict[str, int]
    in_review: int


def link_jobs(wh: Warehouse, store: StateStore) -> JobResult:
    run_sql(wh, "job_docs.sql")
    _documents(wh)
    quotes = Decided.load(store, QUOTE_REVIEW)
    wo_pairs = score(wh, "_job_s_wo", "_job_s_quote", window_days=WINDOW_DAYS)
    _link_quotes(wh, [p for p in wo_pairs if quotes.allows(p.left, p.right)], quotes)
    _billed_documents(wh)
    _explicit_lines(wh)
    bills = Decided.load(store, BILL_REVIEW)
    line_pairs = score(wh, "_job_s_line", "_job_s_billed", window_days=WINDOW_DAYS)
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
        f"{DOC_COLUMNS.replace('doc_date', 'started_on AS doc_date')} "
        "FROM _match_job_wo WHERE golden_key IS NOT NULL",
    )
    wh.create_temp_table(
        "_job_s_quote",
        f"SELECT quote_id AS unique_id, {STAGES['quote']} AS stage, {DOC_COLUMNS} "
        "FROM _match_job_quote WHERE golden_key IS NOT NULL",
    )
    _mark_unique_words(wh, "_job_s_wo")
    _mark_unique_words(wh, "_job_s_quote")


def _mark_unique_words(wh: Warehouse, table: str) -> None:
    """Each document's words no other document of its customer has (a site, "Norwich
    plant"; a system, "AHU"): what tells one customer's concurrent jobs apart, where words
    every job of theirs shares ("retrofit", their own name) tell nothing."""
    wh.create_temp_table(
        table,
        "WITH w AS (SELECT DISTINCT unique_id, golden_key, unnest(list_filter("
        "string_split(words, ' '), lambda x: length(x) >= 2)) AS word FROM " + table + "), "
        "counted AS (SELECT *, count(*) OVER (PARTITION BY golden_key, word) AS n FROM w), "
        "u AS (SELECT unique_id, list(word ORDER BY word) AS unique_words FROM counted "
        "WHERE n = 1 GROUP BY unique_id) "
        "SELECT t.*, coalesce(u.unique_words, []) AS unique_words "
        "FROM " + table + " t LEFT JOIN u USING (unique_id)",
    )


def _link_quotes(wh: Warehouse, pairs: list[Pair], decided: Decided) -> None:
    """Each work order's quote: a person's decision, else the CRM lookup, else its most
    likely quote (a quote may have several work orders: phases, re-opened work)."""
    wh.create_temp_table(
        "_match_wo_quote",
        "SELECT w.wo_id, q.quote_id, 'crm_lookup' AS method, 1.0 AS confidence, "
        '\'{"crm lookup": {"level": "the work order names the quote", "weight": null}}\' '
        "AS evidence FROM _match_job_wo w JOIN _match_job_quote q "
        "ON q.source_system = w.source_system AND q.native_id = w.quote_native_id",
    )
    wh.execute(
        "DELETE FROM _match_wo_quote WHERE list_contains(?::VARCHAR[], wo_id || '|' || quote_id)",
        [sorted(f"{m}|{a}" for m, a in decided.rejected)],
    )
    decided.insert(wh, "_match_wo_quote")
    looked_up = {str(r[0]) for r in wh.query("SELECT wo_id FROM _match_wo_quote")}
    rank = dict(wh.query("SELECT quote_id, status_rank FROM _match_job_quote"))
    best: dict[str, Pair] = {}
    for p in pairs:
        if p.left in looked_up or p.probability < MATCH or not p.names_the_job:
            continue
        held = best.get(p.left)
        if held is None or (-p.weight, rank.get(p.right, 1), p.right) < (
            -held.weight,
            rank.get(held.right, 1),
            held.right,
        ):
            best[p.left] = p
    _insert(wh, "_match_wo_quote", [best[k] for k in sorted(best)])


def _billed_documents(wh: Warehouse) -> None:
    """What a bill can be for: a work order with its quote's numbers, products and prices;
    and the invoice lines as documents."""
    wh.create_temp_table(
        "_job_s_billed",
        f"SELECT w.wo_id AS unique_id, {STAGES['work_order']} AS stage, w.golden_key, "
        "w.started_on AS doc_date, "
        "list_distinct(list_concat(w.own, coalesce(q.own, []))) AS own, "
        "list_distinct(list_concat(w.mentions, coalesce(q.mentions, []))) AS mentions, "
        "list_distinct(list_concat(w.products, coalesce(q.products, []))) AS products, "
        "list_distinct(list_concat(w.prices, coalesce(q.prices, []))) AS prices, "
        "coalesce(w.amount, q.amount) AS amount, "
        "trim(concat_ws(' ', w.words, q.words)) AS words, w.title "
        "FROM _match_job_wo w "
        "LEFT JOIN _match_wo_quote wq ON wq.wo_id = w.wo_id "
        "LEFT JOIN _match_job_quote q ON q.quote_id = wq.quote_id "
        "WHERE w.golden_key IS NOT NULL",
    )
    wh.create_temp_table(
        "_job_s_line",
        f"SELECT line_id AS unique_id, {STAGES['line']} AS stage, "
        f"{DOC_COLUMNS.replace('doc_date', 'invoice_date AS doc_date')} "
        "FROM _match_job_line WHERE golden_key IS NOT NULL",
    )
    _mark_unique_words(wh, "_job_s_billed")
    wh.execute("ALTER TABLE _job_s_line ADD COLUMN unique_words VARCHAR[] DEFAULT []")


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
    chosen = _invoices_whole(chosen, by_line, explicit, invoice_of, line_amount, amounts)
    linked = {**explicit, **{p.left: p.right for p in chosen}}
    siblings = _with_siblings(pairs, linked, invoice_of)
    linked.update((p.left, p.right) for p in siblings)
    billed = defaultdict(Decimal)
    for line, wo in linked.items():
        billed[wo] += line_amount.get(line, Decimal(0))
    finished = dict(wh.query("SELECT wo_id, finished_on FROM _match_job_wo"))
    billed_on = dict(wh.query("SELECT line_id, invoice_date FROM _match_job_line"))
    timely = [  # a bill long after a job closed is not its balance (a monthly fee)
        p
        for p in pairs
        if billed_on.get(p.left) is None
        or finished.get(p.right) is None
        or billed_on[p.left] <= finished[p.right] + BALANCE_DUE
    ]
    only = _only_candidates(timely, linked, billed, amounts, line_amount)
    wh.create_temp_table(
        "_match_line_wo",
        "SELECT CAST(NULL AS VARCHAR) AS line_id, CAST(NULL AS VARCHAR) AS wo_id, "
        "CAST(NULL AS VARCHAR) AS method, CAST(NULL AS DOUBLE) AS confidence, "
        "CAST(NULL AS VARCHAR) AS evidence WHERE false",
    )
    wh.execute(
        "INSERT INTO _match_line_wo SELECT line_id, wo_id, 'wo_reference', 1.0, "
        '\'{"reference": {"level": "the line names the work order", "weight": null}}\' '
        "FROM _job_explicit WHERE list_contains(?::VARCHAR[], line_id)",
        [sorted(k for k in explicit if k not in decided.accepted)],
    )
    decided.insert(wh, "_match_line_wo")
    _insert(wh, "_match_line_wo", sorted(chosen, key=lambda p: p.left))
    _insert(wh, "_match_line_wo", siblings, method="invoice")
    _insert(wh, "_match_line_wo", only, method="only_candidate")


def _invoices_whole(
    chosen: list[Pair],
    by_line: dict[str, list[Pair]],
    explicit: dict[str, str],
    invoice_of: dict[str, str],
    line_amount: dict[str, Decimal],
    wo_amount: dict[str, Decimal | None],
) -> list[Pair]:
    """One invoice is one job's bill far more often than not: a line whose own evidence
    hardly tells its customer's jobs apart ("Commissioning", "Project management" on two
    concurrent installs) bills the invoice's job, when that one is within NEAR bits of its
    own best. The invoice's job is the one candidate of all its lines whose amount its
    lines total to the cent (a whole bill), else the work order most of its amount bills."""
    billing: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for line, wo in [*explicit.items(), *((p.left, p.right) for p in chosen)]:
        billing[invoice_of.get(line, "")][wo] += abs(line_amount.get(line, Decimal(0)))
    job_of = {invoice: min(wos, key=lambda wo: (-wos[wo], wo)) for invoice, wos in billing.items()}
    job_of.update(_whole_bills(by_line, invoice_of, line_amount, wo_amount))
    whole = []
    for pick in chosen:
        job = job_of.get(invoice_of.get(pick.left, ""))
        alternative = next((p for p in by_line[pick.left] if p.right == job), None)
        if alternative is not None and alternative.weight >= pick.weight - NEAR:
            pick = alternative
        whole.append(pick)
    return whole


def _whole_bills(
    by_line: dict[str, list[Pair]],
    invoice_of: dict[str, str],
    line_amount: dict[str, Decimal],
    wo_amount: dict[str, Decimal | None],
) -> dict[str, str]:
    """Invoices whose lines total, to the cent, the amount of exactly one work order that
    is a near-best candidate of every one of their lines: that work order, billed whole."""
    lines_of: dict[str, list[str]] = defaultdict(list)
    for line, invoice in invoice_of.items():
        lines_of[invoice].append(line)
    found = {}
    for invoice, lines in lines_of.items():
        if not all(line in by_line for line in lines):
            continue
        near = [
            {p.right for p in by_line[line] if p.weight >= by_line[line][0].weight - NEAR}
            for line in lines
        ]
        total = sum((line_amount.get(line, Decimal(0)) for line in lines), Decimal(0))
        whole = [
            wo for wo in set.intersection(*near) if abs((wo_amount.get(wo) or 0) - total) <= CENT
        ]
        if len(whole) == 1:
            found[invoice] = whole[0]
    return found


def _with_siblings(
    pairs: list[Pair], linked: dict[str, str], invoice_of: dict[str, str]
) -> list[Pair]:
    """A line left over whose invoice's other lines all bill one work order, and which
    that work order's own evidence does not rule out (it is a scored candidate), bills it
    too: one invoice is one job's bill far more often than not, and the line that stands
    out from its siblings (a price raised, an extra item) is what the rules look for."""
    jobs_of: dict[str, set[str]] = defaultdict(set)
    for line, wo in linked.items():
        jobs_of[invoice_of.get(line, "")].add(wo)
    found = []
    for p in pairs:
        if p.left in linked or not p.names_the_job:
            continue
        wos = jobs_of.get(invoice_of.get(p.left, ""), set())
        if wos == {p.right}:
            found.append(p)
    return sorted(found, key=lambda p: p.left)


def _only_candidates(
    pairs: list[Pair],
    linked: dict[str, str],
    billed: dict[str, Decimal],
    wo_amount: dict[str, Decimal | None],
    line_amount: dict[str, Decimal],
) -> list[Pair]:
    """A line left over whose one plausible job shares its product, and which that job
    still has room for (none of it billed yet, or this line keeps its bills within
    OVERBILL): a bill is for some job of its customer far more often than not, so given
    that, the one candidate at or above REVIEW with every other below it is the job,
    though a price or amount that disagrees (what price_variance looks for) or a balance
    billed months later kept its own probability under MATCH. A job already billed in
    full is not given more (a support contract's extra hours, a fee)."""
    by_line: dict[str, list[Pair]] = defaultdict(list)
    for p in pairs:
        if p.left not in linked and p.probability >= REVIEW:
            by_line[p.left].append(p)
    found = []
    for line, options in sorted(by_line.items()):
        if len(options) != 1 or options[0].evidence["products"][0] not in SHARED_PRODUCTS:
            continue
        wo, amount = options[0].right, line_amount.get(line, Decimal(0))
        cap = wo_amount.get(wo)
        if not billed[wo] or cap is None or billed[wo] + amount <= cap * OVERBILL:
            billed[wo] += amount
            found.append(options[0])
    return found


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
