"""How scored job links become one consistent assignment: a line bills one work order, an
invoice is one job's bill where its lines say so, and a line left over goes to the one job
that can be its (jobs.py decides the order; these are the rules)."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import timedelta
from decimal import Decimal

from tieout.engine import Warehouse
from tieout.match.job_model import Pair
from tieout.match.job_reviews import MATCH, REVIEW

NEAR = 2.0  # bits: candidates this close to the best are alternatives for capacity
OVERBILL = Decimal("1.10")  # bills up to 110% of a work order still fit it
CENT = Decimal("0.01")
BALANCE_DUE = timedelta(days=60)  # a job's last bill comes within this of its finish
SHARED_PRODUCTS = (  # the products comparison's levels that name a product in common
    "the same products",
    "products of one within the other's",
    "some products shared",
)


MIN_INVOICES = 20  # fewer invoices with two sure lines say too little about the habit
MIXED = 0.2  # the share of invoices billing more than one job, until the data says


def one_job_bits(
    by_line: dict[str, list[Pair]], explicit: dict[str, str], invoice_of: dict[str, str]
) -> float:
    """How much likelier a line is to bill its invoice's job than another, in bits (at
    least NEAR), learned from the company's own invoices: of those with two or more lines
    whose job is sure (named outright, or a candidate NEAR bits ahead of any other), the
    share that bill more than one job. A company that bills each job on its own invoice
    gives a line's invoice much weight; one that bills several jobs per invoice, little."""
    sure = dict(explicit)
    for line, options in by_line.items():
        ranked = sorted((p.weight for p in options), reverse=True)
        if line not in sure and (len(ranked) == 1 or ranked[0] - ranked[1] >= NEAR):
            sure[line] = max(options, key=lambda p: (p.weight, p.right)).right
    jobs: dict[str, set[str]] = defaultdict(set)
    lines: Counter[str] = Counter()
    for line, wo in sure.items():
        jobs[invoice_of.get(line, "")].add(wo)
        lines[invoice_of.get(line, "")] += 1
    known = [invoice for invoice, n in lines.items() if n >= 2 and invoice]
    mixed = MIXED
    if len(known) >= MIN_INVOICES:
        mixed = sum(1 for invoice in known if len(jobs[invoice]) > 1) / len(known)
        mixed = min(max(mixed, 1 / len(known)), 0.5)
    return max(NEAR, math.log2((1 - mixed) / mixed))


def invoices_whole(
    chosen: list[Pair],
    by_line: dict[str, list[Pair]],
    explicit: dict[str, str],
    invoice_of: dict[str, str],
    line_amount: dict[str, Decimal],
    wo_amount: dict[str, Decimal | None],
) -> list[Pair]:
    """One invoice is one job's bill far more often than not: a line whose own evidence
    hardly tells its customer's jobs apart ("Commissioning", "Project management" on two
    concurrent installs; a site survey both jobs had) bills the invoice's job, when that
    one is within `one_job_bits` of its own best. The invoice's job is the one candidate
    of all its lines whose amount its lines total to the cent (a whole bill), else the
    work order most of the amount its lines name bills, else the candidate its lines'
    evidence favours together (the sum of their weights: every line of a bill says
    something about its job). A one-line invoice has no other lines to follow: only a
    whole bill moves it, within NEAR bits; else it stays where its own evidence and its
    jobs' room put it (a job billed in full already is not its job)."""
    named: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for line, wo in explicit.items():
        named[invoice_of.get(line, "")][wo] += abs(line_amount.get(line, Decimal(0)))
    together: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for line, options in by_line.items():
        for p in options:
            together[invoice_of.get(line, "")][p.right] += p.weight
    job_of = {invoice: min(wos, key=lambda wo: (-wos[wo], wo)) for invoice, wos in together.items()}
    job_of.update(
        {invoice: min(wos, key=lambda wo: (-wos[wo], wo)) for invoice, wos in named.items()}
    )
    billed_whole = _whole_bills(by_line, invoice_of, line_amount, wo_amount)
    job_of.update(billed_whole)
    bond = one_job_bits(by_line, explicit, invoice_of)
    lines = Counter(invoice_of.values())
    whole = []
    for pick in chosen:
        invoice = invoice_of.get(pick.left, "")
        job, within = job_of.get(invoice), bond
        if lines[invoice] == 1:
            job, within = billed_whole.get(invoice), NEAR
        alternative = next((p for p in by_line[pick.left] if p.right == job), None)
        if alternative is not None and alternative.weight >= pick.weight - within:
            pick = alternative
        whole.append(pick)
    return whole


def quotes_jointly(
    options: list[Pair],
    rank: dict[str, int],
    taken: dict[str, list[str]],
    again: float,
    phases: dict[str, tuple[int, int]],
) -> list[Pair]:
    """Each work order's quote among its `options`, the surest work orders first. Where an
    accepted quote (status `rank` 0) is within NEAR bits of the likeliest, only accepted
    ones are the deal the work was done for: a superseded or rejected version of it only
    looks like it. Among those, a quote another work order already has (`taken`: quote ->
    its work orders) is `again` bits less likely, and within NEAR bits of the likeliest
    then, one nobody has is preferred: two alike jobs of one customer are two deals, a
    phased one is the rarer case. A work order that says which phase it is ("phase 2 of
    2", `phases`) is one of a deal's m phases: a quote that has that phase already is not
    its deal, and one that has only other phases of m is `again` bits likelier (the deal
    was done in phases, and this is one), enough to take a candidate under MATCH on its
    own. A candidate is kept at MATCH on its own evidence, or on both together, or as the
    work order's one plausible quote (`_one_plausible`) that no other work order has; the
    chosen link's weight, probability and evidence include what the others said."""
    by_wo: dict[str, list[Pair]] = defaultdict(list)
    for p in options:
        by_wo[p.left].append(p)
    plausible = {wo: _one_plausible(pairs) for wo, pairs in by_wo.items()}
    held = {quote: list(wos) for quote, wos in taken.items()}
    at_match = math.log2(MATCH / (1 - MATCH))

    def cost(wo: str, quote: str) -> tuple[str, float] | None:
        others = held.get(quote, [])
        mine = phases.get(wo)
        if not others:
            return "", 0.0
        if mine is None:
            return "another work order has the quote", again
        theirs = [phases.get(other) for other in others]
        if mine in theirs:
            return None  # a deal has one "phase 2 of 2"
        if all(t is not None and t[1] == mine[1] for t in theirs):
            return "the quote has the deal's other phases", -again
        return "another work order has the quote", again

    chosen = []
    for wo in sorted(by_wo, key=lambda w: (-max(p.weight for p in by_wo[w]), w)):
        weighed = [
            (p.weight - c[1], c, p)
            for p in by_wo[wo]
            if (c := cost(wo, p.right)) is not None
            and (
                p.probability >= MATCH
                or p.weight - c[1] >= at_match
                or (p is plausible[wo] and not c[1])
            )
        ]
        if not weighed:
            continue
        top = max(w for w, _, _ in weighed)
        status = min(rank.get(p.right, 1) for w, _, p in weighed if w >= top - NEAR)
        weighed = [x for x in weighed if rank.get(x[2].right, 1) == status]
        best = max(w for w, _, _ in weighed)
        _, (level, bits), pick = min(
            ((c[1] > 0, -p.weight, p.right), c, p) for w, c, p in weighed if w >= best - NEAR
        )
        held.setdefault(pick.right, []).append(wo)
        chosen.append(_with_others(pick, level, -bits))
    return sorted(chosen, key=lambda p: p.left)


def _one_plausible(options: list[Pair]) -> Pair | None:
    """The one candidate at or above REVIEW that leads every other by NEAR bits and shares
    the products: a document is one of its customer's jobs far more often than not, so
    given that, this is it, though a quantity or amount that disagrees (what scope_drift
    and price_variance look for) kept its own probability under MATCH."""
    ranked = sorted(
        (p for p in options if p.probability >= REVIEW), key=lambda p: (-p.weight, p.right)
    )
    if not ranked or any(ranked[0].weight - p.weight < NEAR for p in ranked[1:]):
        return None
    best = ranked[0]
    return best if best.evidence.get("products", ("",))[0] in SHARED_PRODUCTS else None


def _with_others(pick: Pair, level: str, bits: float) -> Pair:
    """The link with what the other work orders' quotes said about it, in bits."""
    if not bits:
        return pick
    weight = pick.weight + bits
    return Pair(
        pick.left,
        pick.right,
        1 / (1 + 2**-weight),
        weight,
        {**pick.evidence, "other work orders": (level, bits)},
    )


def _whole_bills(
    by_line: dict[str, list[Pair]],
    invoice_of: dict[str, str],
    line_amount: dict[str, Decimal],
    wo_amount: dict[str, Decimal | None],
) -> dict[str, str]:
    """Invoices whose lines total, to the cent, the amount of exactly one work order that
    is a candidate of every one of their lines: that work order, billed whole. A total
    that agrees to the cent across several lines outweighs any one line's look-alike."""
    lines_of: dict[str, list[str]] = defaultdict(list)
    for line, invoice in invoice_of.items():
        lines_of[invoice].append(line)
    found = {}
    for invoice, lines in lines_of.items():
        if not all(line in by_line for line in lines):
            continue
        near = [{p.right for p in by_line[line]} for line in lines]
        total = sum((line_amount.get(line, Decimal(0)) for line in lines), Decimal(0))
        whole = [
            wo for wo in set.intersection(*near) if abs((wo_amount.get(wo) or 0) - total) <= CENT
        ]
        if len(whole) == 1:
            found[invoice] = whole[0]
    return found


def with_siblings(
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


def timely(wh: Warehouse, pairs: list[Pair]) -> list[Pair]:
    """Pairs whose bill came no later than BALANCE_DUE after the job finished: a bill long
    after a job closed is not its balance (a monthly fee)."""
    finished = dict(wh.query("SELECT wo_id, finished_on FROM _match_job_wo"))
    billed_on = dict(wh.query("SELECT line_id, invoice_date FROM _match_job_line"))
    return [
        p
        for p in pairs
        if billed_on.get(p.left) is None
        or finished.get(p.right) is None
        or billed_on[p.left] <= finished[p.right] + BALANCE_DUE
    ]


def only_candidates(
    pairs: list[Pair],
    linked: dict[str, str],
    billed: dict[str, Decimal],
    wo_amount: dict[str, Decimal | None],
    line_amount: dict[str, Decimal],
    product_of: dict[str, str],
    product_amount: dict[tuple[str, str], Decimal],
) -> list[Pair]:
    """A line left over whose one plausible job shares its product, and which that job
    still has room for (none of it billed yet, or this line keeps its bills within
    OVERBILL): a bill is for some job of its customer far more often than not, so given
    that, the one candidate at or above REVIEW that leads every other by NEAR bits is the job,
    though a price or amount that disagrees (what price_variance looks for) or a balance
    billed months later kept its own probability under MATCH. A job already billed in
    full is not given more (a support contract's extra hours, a fee). Where the job has a
    line for the line's product (`product_amount`: work order and product -> amount), that
    line's room decides instead: a second "equipment on order" bill for a job whose
    equipment was billed is the next job's, and equipment not billed yet fits a job that
    other lines billed twice over (a duplicate invoice)."""
    product_billed: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for line, wo in linked.items():
        if line in product_of:
            product_billed[wo, product_of[line]] += line_amount.get(line, Decimal(0))

    def has_room(p: Pair) -> bool:
        amount = line_amount.get(p.left, Decimal(0))
        key = (p.right, product_of.get(p.left, ""))
        if key in product_amount:
            return product_billed[key] + amount <= product_amount[key] * OVERBILL
        cap = wo_amount.get(p.right)
        return not billed[p.right] or cap is None or billed[p.right] + amount <= cap * OVERBILL

    by_line: dict[str, list[Pair]] = defaultdict(list)
    for p in pairs:
        if p.left not in linked and p.probability >= REVIEW:
            by_line[p.left].append(p)
    found = []
    for line, options in sorted(by_line.items()):
        best = _one_plausible([p for p in options if has_room(p)])
        if best is None:
            continue
        amount = line_amount.get(line, Decimal(0))
        billed[best.right] += amount
        if line in product_of:
            product_billed[best.right, product_of[line]] += amount
        found.append(best)
    return found
