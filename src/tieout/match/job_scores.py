"""Training, keeping and applying the job model (job_model.py's evidence) with Splink.

A model is trained on the company's own data and saved in the project's models folder
(`job_quote.splink.json`: work order -> quote; `job_bill.splink.json`: invoice line ->
work order). Later runs reuse it until `tieout match train`, until the evidence in the code
is no longer what it was trained for, or until either side's documents have grown or
shrunk by more than RETRAIN_CHANGE since it was trained.

Scores are kept in each snapshot (tables job_score_*), with a fingerprint of every document
and of the model that scored them. The next run with the same model scores again only the
customers one of whose documents changed, came or went, and takes every other customer's
pairs as they were: a pair's score depends on its two documents and the model alone, so
this changes no result, and a daily run over mostly unchanged exports scores a few
customers instead of every pair.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import splink
from splink import Linker, SettingsCreator
from splink.internals.exceptions import EMTrainingException

from tieout.engine import Warehouse
from tieout.match.job_model import (
    EVIDENCE,
    FEATURES,
    MIN_DOCUMENTS,
    Pair,
    _allow_disagreement,
    _comparison,
    _level_weights,
)
from tieout.match.probabilistic import model_file

THRESHOLD = 0.05  # a pair below this probability is not kept at all
RETRAIN_CHANGE = 0.1  # a saved model serves while each side's documents are within this
U_PAIRS = 5e4  # random pairs u is estimated from
MAX_ITERATIONS = 10  # expectation maximisation passes; the weights settle in a few
KEPT = "_kept_job_scores"  # the previous snapshot, attached read-only under this name
TABLES = {  # what a snapshot keeps of each model's scores
    "job_score_model": "model VARCHAR, fingerprint VARCHAR, scored_customers INTEGER",
    "job_score_doc": "model VARCHAR, side VARCHAR, unique_id VARCHAR, golden_key VARCHAR, "
    "fingerprint UHUGEINT",
    "job_score_pattern": "model VARCHAR, pattern INTEGER, probability DOUBLE, weight DOUBLE, "
    "weights DOUBLE[]",
    "job_score_pair": "model VARCHAR, left_id VARCHAR, right_id VARCHAR, golden_key VARCHAR, "
    "pattern INTEGER",
}


@dataclass(frozen=True)
class Scoring:
    """Where a run's job models and earlier scores are."""

    models: Path | None = None  # the project's models folder; None: train, save nothing
    previous: Path | None = None  # the last run's snapshot, whose kept scores may serve
    retrain: bool = False  # train again though a saved model fits


def score(
    wh: Warehouse,
    left: str,
    right: str,
    *,
    name: str,
    window_days: int,
    scoring: Scoring | None = None,
) -> list[Pair]:
    """Every same-customer pair of `left` x `right` documents within `window_days` whose
    probability is THRESHOLD or more, scored by the model called `name`."""
    logging.getLogger("splink").setLevel(logging.ERROR)
    scoring = scoring or Scoring()
    for table, columns in TABLES.items():
        wh.execute(f"CREATE TABLE IF NOT EXISTS {table} ({columns})")
        wh.execute(f"DELETE FROM {table} WHERE model = :model", {"model": name})
    if not wh.count(left) or not wh.count(right):
        return []
    features = ", ".join(f"{sql} AS {column}" for column, sql in FEATURES.items())
    for table in (left, right):
        wh.create_temp_table(f"{table}_f", f"SELECT *, {features} FROM {table}")
    api = wh.splink_api()
    frames = [
        api.register(f"{left}_f", dataset_display_name="left", table_name=f"{left}_s"),
        api.register(f"{right}_f", dataset_display_name="right", table_name=f"{right}_s"),
    ]
    blocking = (
        "l.golden_key = r.golden_key AND "
        f"abs(date_diff('day', l.doc_date, r.doc_date)) <= {int(window_days)}"
    )
    counts = [wh.count(left), wh.count(right)]
    path = model_file(scoring.models, name, wh.engine_name) if scoring.models else None
    model = _allow_disagreement(
        _model(wh, frames, (blocking, f"{left}_f"), counts, path, scoring.retrain)
    )
    fingerprint = _fingerprint(model)
    fingerprints = "unique_id, golden_key, md5_number(to_json(d)::VARCHAR)"
    wh.execute(
        f"INSERT INTO job_score_doc SELECT :model, 'left', {fingerprints} FROM {left}_f d "
        f"UNION ALL SELECT :model, 'right', {fingerprints} FROM {right}_f d",
        {"model": name},
    )
    kept = _kept(wh, name, fingerprint, scoring.previous)
    try:
        _rescore(wh, api, model, fingerprint, (name, left, right), kept)
    finally:
        if kept:
            wh.detach(KEPT)
    api.delete_tables_created_by_splink_from_db()
    return _pairs(wh, name, model)


def _model(
    wh: Warehouse,
    frames: list[Any],
    blocking_on: tuple[str, str],
    counts: list[int],
    path: Path | None,
    retrain: bool,
) -> dict[str, Any]:
    """The saved model where it fits the evidence and the data, else one trained now (and
    saved): u from random pairs, m by expectation maximisation within each customer.
    `blocking_on` is the blocking rule (DuckDB's SQL) and a table the model reads."""
    blocking, table = blocking_on
    settings = SettingsCreator(
        link_type="link_only",
        comparisons=[_comparison(e) for e in EVIDENCE],
        blocking_rules_to_generate_predictions=[{"blocking_rule": blocking}],
        probability_two_random_records_match=min(0.5, 1.0 / max(counts[1], 1)),
        retain_intermediate_calculation_columns=True,
        retain_matching_columns=False,
        additional_columns_to_retain=[],
        max_iterations=MAX_ITERATIONS,
        em_convergence=0.001,
    )
    linker = Linker(frames, wh.splink_settings(settings, table), log_level=logging.ERROR)
    model: dict[str, Any] = linker.misc.save_model_to_json()
    shape = _shape(model)
    if path is not None and not retrain and (saved := _saved(path, shape, counts)) is not None:
        return saved
    if min(counts) < MIN_DOCUMENTS:
        return model  # the starting values stand, and nothing is saved
    linker.training.estimate_u_using_random_sampling(max_pairs=U_PAIRS, seed=1, num_chunks=1)
    model = linker.misc.save_model_to_json()
    try:
        linker.training.estimate_parameters_using_expectation_maximisation(
            wh.splink_condition(blocking, table),
            fix_u_probabilities=True,
            # no term frequencies in this model: each pass then reads the count of each
            # pattern of levels (a few hundred), not every pair
            estimate_without_term_frequencies=True,
        )
        model = linker.misc.save_model_to_json()
    except (EMTrainingException, ValueError):
        pass  # too few pairs to learn m from: the starting values stand
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        saved_as = {**model, "tieout": {"shape": shape, "documents": counts}}
        path.write_text(json.dumps(saved_as, indent=1), encoding="utf-8")
    return model


def _shape(untrained: dict[str, Any]) -> str:
    """What a saved model must have been trained for: the comparisons (conditions, labels,
    starting values), the blocking and how it was trained."""
    what = {
        "comparisons": untrained["comparisons"],
        "blocking": untrained["blocking_rules_to_generate_predictions"],
        "link_type": untrained["link_type"],
        "training": [U_PAIRS, MAX_ITERATIONS, MIN_DOCUMENTS, "em without tf"],
    }
    return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()


def _saved(path: Path, shape: str, counts: list[int]) -> dict[str, Any] | None:
    """The model saved at `path`, if trained for this shape on about as many documents."""
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
        meta = saved.pop("tieout")
        then = [int(n) for n in meta["documents"]]
        fits = meta["shape"] == shape and len(then) == len(counts)
        if fits and all(
            abs(n - t) <= RETRAIN_CHANGE * t for n, t in zip(counts, then, strict=True)
        ):
            return dict(saved)
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


def _fingerprint(model: dict[str, Any]) -> str:
    """What the scores depend on besides the documents: the model as applied, the Splink
    that applies it and the threshold."""
    what = {
        key: model[key]
        for key in (
            "link_type",
            "probability_two_random_records_match",
            "blocking_rules_to_generate_predictions",
            "comparisons",
        )
    }
    what["splink"] = splink.__version__
    what["threshold"] = THRESHOLD
    return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()


def _kept(wh: Warehouse, name: str, fingerprint: str, previous: Path | None) -> bool:
    """Attach the previous snapshot if it kept scores of this very model, in the tables
    this code writes; True if so. An engine that cannot read an earlier snapshot scores
    every customer again (the same scores, in more time)."""
    if previous is None or not previous.exists() or not wh.reads_snapshots:
        return False
    wh.attach(previous, KEPT)
    found = {
        (str(table), str(column))
        for table, column in wh.query(
            "SELECT table_name, column_name FROM duckdb_columns() WHERE database_name = :kept",
            {"kept": KEPT},
        )
    }
    wanted = {
        (table, column.split()[0])
        for table, columns in TABLES.items()
        for column in columns.split(", ")
    }
    same = wanted <= found and wh.scalar(
        f"SELECT count(*) FROM {KEPT}.job_score_model WHERE model = :model "
        "AND fingerprint = :fingerprint",
        {"model": name, "fingerprint": fingerprint},
    )
    if not same:
        wh.detach(KEPT)
    return bool(same)


def _rescore(
    wh: Warehouse,
    api: Any,
    model: dict[str, Any],
    fingerprint: str,
    model_sides: tuple[str, str, str],
    kept: bool,
) -> None:
    """This run's scores as job_score_pattern and job_score_pair rows: those of customers
    whose documents are all as they were, as kept; the other customers' scored now."""
    name, left, right = model_sides
    if kept:  # customers with a document new, gone or changed, on either side
        wh.execute(
            "CREATE OR REPLACE TEMP TABLE _job_changed AS "
            f"WITH was AS (SELECT * FROM {KEPT}.job_score_doc WHERE model = :model), "
            "now AS (SELECT * FROM job_score_doc WHERE model = :model) "
            "SELECT DISTINCT golden_key FROM (SELECT unnest([n.golden_key, w.golden_key]) "
            "AS golden_key FROM now n FULL JOIN was w "
            "ON w.side = n.side AND w.unique_id = n.unique_id "
            "WHERE n.fingerprint IS DISTINCT FROM w.fingerprint) WHERE golden_key IS NOT NULL",
            {"model": name},
        )
        changed = "golden_key IN (SELECT golden_key FROM _job_changed)"
    else:
        changed = "true"
    for table in (left, right):
        wh.create_temp_table(f"{table}_c", f"SELECT * FROM {table}_f WHERE {changed}")
    wh.execute(
        "INSERT INTO job_score_model SELECT :model, :fingerprint, "
        "count(DISTINCT golden_key)::INTEGER FROM "
        f"(SELECT golden_key FROM {left}_c UNION ALL SELECT golden_key FROM {right}_c)",
        {"model": name, "fingerprint": fingerprint},
    )
    columns = ", ".join(f"mw_{e.name}" for e in EVIDENCE)
    wh.create_temp_table(
        "_job_scored",
        "SELECT '' AS left_id, '' AS right_id, '' AS golden_key, 0.0::DOUBLE AS probability, "
        "0.0::DOUBLE AS weight, []::DOUBLE[] AS weights WHERE false",
    )
    if wh.count(f"{left}_c") and wh.count(f"{right}_c"):
        frames = [
            api.register(f"{left}_c", dataset_display_name="left", table_name=f"{left}_sc"),
            api.register(f"{right}_c", dataset_display_name="right", table_name=f"{right}_sc"),
        ]
        linker = Linker(frames, copy.deepcopy(model), log_level=logging.ERROR)
        predictions = linker.inference.predict(threshold_match_probability=THRESHOLD)
        left_first = "source_dataset_l = 'left'"
        wh.execute(
            "INSERT INTO _job_scored SELECT p.left_id, p.right_id, d.golden_key, "
            "p.match_probability, p.match_weight, p.weights FROM ("
            f"SELECT CASE WHEN {left_first} THEN unique_id_l ELSE unique_id_r END AS left_id, "
            f"CASE WHEN {left_first} THEN unique_id_r ELSE unique_id_l END AS right_id, "
            f"match_probability, match_weight, [{columns}] AS weights "
            f"FROM {predictions.physical_name}) p JOIN {left}_c d ON d.unique_id = p.left_id"
        )
    if kept:
        wh.execute(
            "INSERT INTO _job_scored "
            "SELECT p.left_id, p.right_id, p.golden_key, s.probability, s.weight, s.weights "
            f"FROM {KEPT}.job_score_pair p JOIN {KEPT}.job_score_pattern s "
            "ON s.model = p.model AND s.pattern = p.pattern "
            "WHERE p.model = :model AND p.golden_key NOT IN (SELECT golden_key FROM _job_changed)",
            {"model": name},
        )
    wh.create_temp_table(  # pairs share a few hundred patterns of weights
        "_job_scored_p",
        "SELECT *, (dense_rank() OVER (ORDER BY weights, probability, weight) - 1)::INTEGER "
        "AS pattern FROM _job_scored",
    )
    wh.execute(
        "INSERT INTO job_score_pattern SELECT DISTINCT :model, pattern, probability, weight, "
        "weights FROM _job_scored_p ORDER BY pattern",
        {"model": name},
    )
    wh.execute(
        "INSERT INTO job_score_pair SELECT :model, left_id, right_id, golden_key, pattern "
        "FROM _job_scored_p ORDER BY left_id, right_id",
        {"model": name},
    )


def _pairs(wh: Warehouse, name: str, model: dict[str, Any]) -> list[Pair]:
    """The kept scores as Pairs: each pattern's evidence worked out once, and one
    (read-only) dict of it shared by every pair with that pattern."""
    weights = _level_weights(model)
    patterns = {
        int(pattern): (float(probability), float(weight), _evidence(values, weights))
        for pattern, probability, weight, values in wh.query(
            "SELECT pattern, probability, weight, weights FROM job_score_pattern "
            "WHERE model = :model",
            {"model": name},
        )
    }
    pairs = []
    for left_id, right_id, pattern in wh.query(
        "SELECT left_id, right_id, pattern FROM job_score_pair WHERE model = :model "
        "ORDER BY left_id, right_id",
        {"model": name},
    ):
        probability, weight, evidence = patterns[pattern]
        pairs.append(Pair(str(left_id), str(right_id), probability, weight, evidence))
    return pairs


def _evidence(
    values: list[float], weights: dict[str, list[tuple[str, float]]]
) -> dict[str, tuple[str, float]]:
    """Each comparison's level (the one whose trained weight is nearest the pair's) and
    weight, from a pair's weights per comparison in EVIDENCE order."""
    return {
        e.name: (min(weights[e.name], key=lambda lw: abs(lw[1] - mw))[0], float(mw))
        for e, mw in zip(EVIDENCE, values, strict=True)
    }
