"""The job models are saved and reused, and scores kept between runs (match/job_scores.py):

- a run trains each job model and saves it in models/; the next run over the same data
  trains nothing and scores nothing again, and links every document as before;
- a few new documents (under a tenth more) keep the saved model, and only their customer is
  scored again: the links are those of scoring every pair with that model;
- a model trained for other evidence, many more documents, or `tieout match train` retrain.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from splink.internals.linker_components.inference import LinkerInference
from splink.internals.linker_components.training import LinkerTraining
from typer.testing import CliRunner

from support import copy_project, invoke, write_project
from tieout import pipeline
from tieout.config import load_project
from tieout.match import job_scores
from tieout.match.job_model import EVIDENCE, Evidence, Level

YML = """
name: many jobs
as_of: 2026-06-30
reporting_currency: GBP
sources:
  - {name: crm, path: sf/Account.csv, preset: salesforce.account}
  - {name: products, path: sf/Product2.csv, preset: salesforce.product2}
  - {name: quotes, path: sf/Quote.csv, preset: salesforce.quote}
  - {name: quote_lines, path: sf/QuoteLineItem.csv, preset: salesforce.quotelineitem}
  - {name: wo, path: sf/WorkOrder.csv, preset: salesforce.workorder}
  - {name: wo_lines, path: sf/WorkOrderLineItem.csv, preset: salesforce.workorderlineitem}
  - {name: xero, path: xero/invoices.csv, preset: xero.invoices}
"""
CUSTOMERS = (
    "Ashby Foods",
    "Brunel Metals",
    "Carrow Dairies",
    "Dunmore Mills",
    "Elland Print",
)
SITES = (
    "Leeds",
    "Hull",
    "York",
    "Derby",
    "Bath",
    "Ely",
    "Wells",
    "Ripon",
    "Truro",
    "Selby",
)
PRODUCTS = (
    ("MNT-PPM", "Planned maintenance visit", 300),
    ("INST-BLR", "Boiler fit", 4000),
)
INVOICE_HEADER = (
    "ContactName,InvoiceNumber,Reference,InvoiceDate,DueDate,Description,Quantity,"
    "UnitAmount,LineAmount,Currency,Type,Status\n"
)


def _company(jobs_each: int = 10) -> dict[str, str]:
    """Five customers with `jobs_each` jobs each (a quote, a work order naming it, a bill
    naming the site): 50 of each kind of document, enough to train on."""
    account = "Id,Name,BillingCity\n"
    product = "Id,Name,ProductCode,IsActive\n"
    quote = "Id,QuoteNumber,Name,AccountId,Status,CreatedDate,CurrencyIsoCode\n"
    quote_line = "Id,QuoteId,Product2Id,Quantity,UnitPrice,CurrencyIsoCode\n"
    wo = "Id,WorkOrderNumber,AccountId,Status,Subject,Description,StartDate,CurrencyIsoCode\n"
    wo_line = "Id,WorkOrderId,Product2Id,Quantity,UnitPrice,CurrencyIsoCode\n"
    invoices = INVOICE_HEADER
    for p, (code, name, _) in enumerate(PRODUCTS):
        product += f"01t{p:012d}IAO,{name},{code},true\n"
    for c, customer in enumerate(CUSTOMERS):
        account += f"001{c:012d}IAO,{customer} Ltd,Leeds\n"
        for j in range(jobs_each):
            n = c * 100 + j
            site = SITES[j % len(SITES)]
            code, name, price = PRODUCTS[j % 2]
            qty = 2 + j
            month, day = 1 + j % 5, 1 + (3 * j) % 25
            quote += (
                f"0Q0{n:012d}KAO,{700000 + n:08d},Quote {customer} - {name} {site},"
                f"001{c:012d}IAO,Accepted,2026-{month:02d}-{day:02d}T09:00:00.000Z,GBP\n"
            )
            quote_line += f"0QL{n:012d}KAO,0Q0{n:012d}KAO,01t{j % 2:012d}IAO,{qty},{price},GBP\n"
            wo += (
                f"0WO{n:012d}OAO,{18000 + n:08d},001{c:012d}IAO,Completed,{name} at {site},"
                f"per quote {700000 + n},2026-{month:02d}-{day + 2:02d}T08:00:00.000Z,GBP\n"
            )
            wo_line += f"1WL{n:012d}OAO,0WO{n:012d}OAO,01t{j % 2:012d}IAO,{qty},{price},GBP\n"
            invoices += _bill(
                customer,
                f"INV-{n}",
                f"{day + 4:02d}/{month + 1:02d}/2026",
                f"{code} {name} - {site}",
                qty,
                price,
            )
    return {
        "sf/Account.csv": account,
        "sf/Product2.csv": product,
        "sf/Quote.csv": quote,
        "sf/QuoteLineItem.csv": quote_line,
        "sf/WorkOrder.csv": wo,
        "sf/WorkOrderLineItem.csv": wo_line,
        "xero/invoices.csv": invoices,
    }


def _bill(customer: str, number: str, day: str, text: str, qty: int, price: int) -> str:
    return (
        f"{customer} Ltd,{number},,{day},{day},{text},{qty},{price}.00,{qty * price}.00,"
        "GBP,Sales invoice,Paid\n"
    )


class Calls:
    """How often the job models were trained (u sampled) and applied in this process; the
    customer model's calls (its own sample size and threshold) are not counted."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.trained = self.predicted = 0
        train = LinkerTraining.estimate_u_using_random_sampling
        predict = LinkerInference.predict

        def counted_train(linker: Any, *a: Any, **k: Any) -> Any:
            self.trained += k.get("max_pairs") == job_scores.U_PAIRS
            return train(linker, *a, **k)

        def counted_predict(linker: Any, *a: Any, **k: Any) -> Any:
            self.predicted += k.get("threshold_match_probability") == job_scores.THRESHOLD
            return predict(linker, *a, **k)

        monkeypatch.setattr(LinkerTraining, "estimate_u_using_random_sampling", counted_train)
        monkeypatch.setattr(LinkerInference, "predict", counted_predict)

    def reset(self) -> None:
        self.trained = self.predicted = 0


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[Calls]:
    yield Calls(monkeypatch)


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, tuple[int, int]]:
    """The company after its first run, with how often that run trained and applied a job
    model; run once for the module, each test changing its own copy (`jobs`)."""
    root = write_project(tmp_path_factory.mktemp("job-scores") / "jobs", YML, _company())
    with pytest.MonkeyPatch.context() as monkeypatch:
        counted = Calls(monkeypatch)
        _run(root)
    return root, (counted.trained, counted.predicted)


@pytest.fixture
def jobs(first_run: tuple[Path, tuple[int, int]], tmp_path: Path) -> Path:
    return copy_project(first_run[0], tmp_path / "jobs")


def _run(root: Path, *args: str) -> None:
    code, out = invoke(CliRunner(), *(args or ("run",)), "-p", str(root))
    assert code == 0, out


def _links(root: Path) -> set[tuple[object, ...]]:
    with pipeline.snapshots(load_project(root)).open_current() as wh:
        return set(
            wh.query(
                "SELECT quote_id, work_order_id, invoice_line_id, method, confidence, evidence "
                "FROM job"
            )
        )


def _scores(root: Path) -> set[tuple[object, ...]]:
    """Every kept pair's score."""
    with pipeline.snapshots(load_project(root)).open_current() as wh:
        return set(
            wh.query(
                "SELECT p.model, p.left_id, p.right_id, s.probability, s.weight, "
                "s.weights::VARCHAR FROM job_score_pair p "
                "JOIN job_score_pattern s USING (model, pattern)"
            )
        )


def _scored(root: Path) -> dict[str, int]:
    """How many customers each job model scored in the last run (the rest were kept)."""
    with pipeline.snapshots(load_project(root)).open_current() as wh:
        rows = wh.query("SELECT model, scored_customers FROM job_score_model")
    return {str(m): int(n) for m, n in rows}


def _models(root: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted((root / "models").glob("job_*"))}


def test_a_saved_job_model_and_kept_scores_serve_the_next_run(
    first_run: tuple[Path, tuple[int, int]], jobs: Path, tmp_path: Path, calls: Calls
) -> None:
    assert first_run[1] == (2, 2)  # the first run trained and applied both job models
    root = jobs
    saved = _models(root)
    assert set(saved) == {"job_bill.splink.json", "job_quote.splink.json"}
    assert json.loads(saved["job_bill.splink.json"])["tieout"]["documents"] == [50, 50]
    first = _links(root)
    assert len(first) == 50  # 50 jobs: a work order, its quote and one bill line each

    calls.reset()
    _run(root)
    assert calls.trained == 0  # the saved models serve
    assert calls.predicted == 0  # every customer's documents as they were: scores kept
    assert _models(root) == saved
    assert _scored(root) == {"job_quote": 0, "job_bill": 0}
    assert _links(root) == first

    # two bills more for one customer (50 -> 52 lines, within a tenth): the saved model
    # serves and only that customer is scored again, giving the links that scoring every
    # pair with that model gives
    files = _company()
    more = files["xero/invoices.csv"] + "".join(
        _bill(
            "Ashby Foods",
            f"INV-9{i}",
            "20/06/2026",
            f"MNT-PPM Planned maintenance visit - {site}",
            1,
            300,
        )
        for i, site in enumerate(("Leeds", "Hull"))
    )
    (root / "xero/invoices.csv").write_text(more, encoding="utf-8")
    calls.reset()
    _run(root)
    assert (calls.trained, calls.predicted) == (0, 1)
    assert _scored(root) == {"job_quote": 0, "job_bill": 1}
    incremental = _links(root), _scores(root)

    fresh = write_project(tmp_path / "fresh", YML, {**files, "xero/invoices.csv": more})
    shutil.copytree(root / "models", fresh / "models")
    _run(fresh)  # the same saved models, no earlier scores: every pair scored
    assert (_links(fresh), _scores(fresh)) == incremental


def test_a_stale_or_changed_job_model_is_retrained(
    first_run: tuple[Path, tuple[int, int]],
    jobs: Path,
    tmp_path: Path,
    calls: Calls,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = jobs  # after its first run
    saved = _models(root)

    # evidence the saved model was not trained for (a starting value changed)
    first = EVIDENCE[0]
    changed = Evidence(
        first.name,
        first.null,
        tuple(Level(lv.label, lv.sql, lv.m * 0.9, lv.u) for lv in first.levels),
    )
    monkeypatch.setattr(job_scores, "EVIDENCE", (changed, *EVIDENCE[1:]))
    calls.reset()
    _run(root)
    assert calls.trained == 2
    assert _models(root) != saved
    monkeypatch.setattr(job_scores, "EVIDENCE", EVIDENCE)

    # a fifth more work orders and quotes: both models retrained (another copy of the first
    # run, whose saved models are those of the code's evidence)
    root = copy_project(first_run[0], tmp_path / "more")
    write_project(root, YML, _company(jobs_each=12))
    calls.reset()
    _run(root)
    assert calls.trained == 2
    assert json.loads(_models(root)["job_quote.splink.json"])["tieout"]["documents"] == [60, 60]

    # asked for: `tieout match train` retrains though nothing changed
    calls.reset()
    _run(root, "match", "train")
    assert calls.trained == 2
