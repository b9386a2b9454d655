"""Match: build the shared keys the source systems never had.

Entry point `run(wh, project, store) -> MatchSummary`: golden records for customers,
people and products (xref) and job links (job). Reads the canonical tables ingest wrote;
decisions and golden keys live in the state store, so they survive every rebuild.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tieout.config import LoadedProject
from tieout.engine import Warehouse
from tieout.match.customers import CustomerResult, Thresholds, link_customers
from tieout.match.golden import Entity, EntityResult, build_golden
from tieout.match.job_scores import Scoring
from tieout.match.jobs import JobResult, link_jobs
from tieout.match.sqlfiles import load_macros, run_sql
from tieout.state import StateStore

__all__ = ["MODELS_DIR", "MatchSummary", "run"]

MODELS_DIR = "models"
PEOPLE = Entity("person", "PER", "_match_person", "_match_person_links")
PRODUCTS = Entity("product", "PRD", "_match_product", "_match_product_links")


@dataclass(frozen=True)
class MatchSummary:
    customers: CustomerResult
    people: EntityResult
    products: EntityResult
    jobs: JobResult


def run(
    wh: Warehouse,
    project: LoadedProject,
    store: StateStore,
    *,
    retrain: bool = False,
    previous: Path | None = None,
) -> MatchSummary:
    """`previous`: the last run's snapshot, whose job scores serve customers whose
    documents have not changed since (match/job_scores.py)."""
    cfg = project.config.matching
    load_macros(wh)
    customers = link_customers(
        wh,
        store,
        project.root / MODELS_DIR,
        master=(cfg.customer_master.system, cfg.customer_master.object),
        thresholds=Thresholds(upper=cfg.upper, lower=cfg.lower),
        retrain=retrain,
    )
    master = cfg.customer_master.system
    run_sql(wh, "people.sql", match_master=master)
    people = build_golden(wh, store, PEOPLE)
    run_sql(wh, "products.sql", match_master=master)
    products = build_golden(wh, store, PRODUCTS)
    scoring = Scoring(models=project.root / MODELS_DIR, previous=previous, retrain=retrain)
    return MatchSummary(customers, people, products, link_jobs(wh, store, scoring))
