"""Probabilistic linkage with Splink: one model per entity type, trained on the data itself.

m and u are estimated from the records (u by random sampling, m by expectation
maximisation on name- and domain-based blocks); the trained model is saved as Splink's
JSON settings in the project and reused by later runs until `tieout match train`.
"""

from __future__ import annotations

import json
import logging
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import Linker, SettingsCreator, block_on
from splink.internals.exceptions import EMTrainingException

from tieout.engine import Warehouse

SCORES = "_match_scores"
MIN_LABELS = 50  # fewer proven pairs than this say too little about m


@dataclass(frozen=True)
class EntityModel:
    """What Splink compares for one entity type, and how it blocks."""

    entity: str
    comparisons: tuple[Any, ...]
    blocking: tuple[str, ...]  # columns: a candidate pair agrees on at least one
    training_blocks: tuple[str, ...]  # columns EM is run on, one pass each


def _short_form(column: str, a: str, b: str) -> str:
    """SQL: name `a` is a short form of `b` ("Northgate Eng", "Blackwood" for "Northgate
    Engineering", "Blackwood Healthcare"): the same first word, and each later word of `a`
    starts the word of `b` in its place."""
    left, right = f"string_split(\"{column}_{a}\", ' ')", f"string_split(\"{column}_{b}\", ' ')"
    return (
        f"(len({left}) <= len({right}) AND {left}[1] = {right}[1] AND "
        f"list_aggregate(list_transform(range(1, len({left}) + 1), "
        f"lambda i: starts_with({right}[i], {left}[i])), 'bool_and'))"
    )


def _company_name(column: str, folded: str) -> Any:
    """Exact (also with umlauts spelt out or not: "Mueller", "Müller"), then a typo or two,
    then a short form of the name, then Jaro-Winkler bands: one comparison, not several
    correlated ones (which would count the same evidence twice). It reads no blocking
    column, so EM on those blocks can learn its m."""
    short = f"{_short_form(folded, 'l', 'r')} OR {_short_form(folded, 'r', 'l')}"
    # starting m: how true pairs' names differ, before this company's data says; EM
    # replaces each it sees, and one it cannot see (e.g. no typo in a block) keeps it
    levels = [
        (cll.ExactMatchLevel(column), 0.7),
        (
            cll.ExactMatchLevel(folded).configure(
                label_for_charts="the same name, umlauts spelt out or not"
            ),
            0.02,
        ),
        (cll.DamerauLevenshteinLevel(column, 1), 0.06),
        (cll.DamerauLevenshteinLevel(column, 2), 0.03),
        (cll.CustomLevel(short, "one name is a short form of the other"), 0.05),
        (cll.JaroWinklerLevel(column, 0.92), 0.03),
        (cll.JaroWinklerLevel(column, 0.85), 0.03),
        (cll.ElseLevel(), 0.08),
    ]
    configured: list[Any] = [cll.NullLevel(column)]
    configured += [level.configure(m_probability=m) for level, m in levels]
    return cl.CustomComparison(output_column_name=column, comparison_levels=configured)


CUSTOMER = EntityModel(
    entity="customer",
    # No domain comparison: subsidiaries often share their parent's e-mail domain, so a
    # domain is a route checked against the name (customer_links.sql), not a weight.
    comparisons=(
        _company_name("name_norm", "name_fold"),
        cl.ExactMatch("postcode"),
    ),
    blocking=("name_first", "name_first_end", "name_rest_initial", "domain", "postcode"),
    training_blocks=("name_first", "postcode"),
)


def model_file(models_dir: Path, name: str, engine: str = "duckdb") -> Path:
    """Where a trained Splink model is kept: one file per engine, since a model's SQL is
    its engine's (`customer.splink.json` on DuckDB, `customer.spark.splink.json`)."""
    return models_dir / (
        f"{name}.splink.json" if engine == "duckdb" else f"{name}.{engine}.splink.json"
    )


def model_path(models_dir: Path, model: EntityModel, engine: str = "duckdb") -> Path:
    return model_file(models_dir, model.entity, engine)


def score_pairs(
    wh: Warehouse,
    model: EntityModel,
    left: str,
    right: str,
    models_dir: Path,
    *,
    labels: str | None = None,
    retrain: bool = False,
) -> bool:
    """Write `_match_scores(unique_id_l, unique_id_r, match_probability)` for left x right.

    Returns True when the model was (re)trained in this call.
    """
    logging.getLogger("splink").setLevel(logging.ERROR)
    api = wh.splink_api()
    frames = [
        api.register(left, dataset_display_name="left", table_name=left),
        api.register(right, dataset_display_name="right", table_name=right),
    ]
    path = model_path(models_dir, model, wh.engine_name)
    trained = retrain or not _fits(path, model, wh, left)
    if trained:
        models_dir.mkdir(parents=True, exist_ok=True)
        settings = _train(wh, api, model, frames, right, labels)
        path.write_text(json.dumps(settings, indent=1), encoding="utf-8")
    linker = Linker(frames, str(path), log_level=logging.WARNING)
    predictions = linker.inference.predict(threshold_match_probability=0.01)
    left_first = "source_dataset_l = 'left'"
    wh.create_temp_table(
        SCORES,
        f"SELECT CASE WHEN {left_first} THEN unique_id_l ELSE unique_id_r END AS left_id, "
        f"CASE WHEN {left_first} THEN unique_id_r ELSE unique_id_l END AS right_id, "
        f"match_probability FROM {predictions.physical_name}",
    )
    return trained


def _shape(settings: dict[str, Any]) -> tuple[object, ...]:
    """What a trained model must share with the code that reads it: each comparison's
    level conditions and the blocking rules (the columns they name)."""
    return (
        [[lv["sql_condition"] for lv in c["comparison_levels"]] for c in settings["comparisons"]],
        [b["blocking_rule"] for b in settings["blocking_rules_to_generate_predictions"]],
    )


def _fits(path: Path, model: EntityModel, wh: Warehouse, table: str) -> bool:
    """Whether the model saved at `path` was trained for this version's comparisons; one
    saved by an older tieout names columns that no longer exist, so it is retrained."""
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
        wanted = _settings(model, "link_only").create_settings_dict("duckdb")
        return bool(_shape(saved) == _shape(wh.splink_settings(wanted, table)))
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _settings(model: EntityModel, link_type: str) -> SettingsCreator:
    return SettingsCreator(
        link_type=link_type,  # type: ignore[arg-type]
        comparisons=list(model.comparisons),
        blocking_rules_to_generate_predictions=[block_on(c) for c in model.blocking],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )


def _train(
    wh: Warehouse,
    api: Any,
    model: EntityModel,
    frames: list[Any],
    distinct: str,
    labels: str | None,
) -> dict[str, Any]:
    """Estimate u, lambda and m; return Splink's JSON settings.

    u comes from random pairs *within* `distinct` (the master system's records, one per
    real entity), so no true match contaminates it; random pairs across systems would
    include about 1 in N true matches, and with a few hundred customers that is enough to
    make an exact name look weak. A level never seen among distinct entities gets u of
    one in the number of pairs looked at, the most the sample allows.

    Every other record belongs to at most one master record, so the prior that a random
    cross pair matches is about 1 / (master records). m comes from `labels` (pairs other
    evidence already proved, e.g. job references) when there are enough of them, else
    from expectation maximisation on name and postcode blocks.
    """
    u_linker = Linker(
        [api.register(distinct, dataset_display_name="u", table_name=f"{distinct}_u")],
        wh.splink_settings(_settings(model, "dedupe_only"), distinct),
        log_level=logging.WARNING,
    )
    u_linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1, num_chunks=1)
    settings: dict[str, Any] = u_linker.misc.save_model_to_json()
    settings["link_type"] = "link_only"
    records = wh.count(distinct)
    settings["probability_two_random_records_match"] = min(0.5, 1.0 / max(records, 1))
    floor = 1.0 / max(records * (records - 1) / 2, 1.0)
    for comparison in settings["comparisons"]:
        for level in comparison["comparison_levels"]:
            if not level.get("is_null_level") and level.get("u_probability") is None:
                level["u_probability"] = floor  # never seen among distinct entities
    linker = Linker(frames, settings, log_level=logging.WARNING)
    labelled = wh.count(labels) if labels else 0
    if labels and labelled >= MIN_LABELS:
        linker.training.estimate_m_from_pairwise_labels(labels)  # type: ignore[no-untyped-call]
        settings = linker.misc.save_model_to_json()
        for comparison in settings["comparisons"]:
            for level in comparison["comparison_levels"]:
                if not level.get("is_null_level") and not level.get("m_probability"):
                    level["m_probability"] = 1.0 / (labelled + 1)  # unseen is not impossible
        linker = Linker(frames, settings, log_level=logging.WARNING)
    else:
        for column in model.training_blocks:
            with suppress(EMTrainingException):  # too few pairs share this column to learn
                linker.training.estimate_parameters_using_expectation_maximisation(
                    block_on(column), fix_u_probabilities=True
                )
    result: dict[str, Any] = linker.misc.save_model_to_json()
    return result


PERSON = EntityModel(
    entity="person",
    # People as typed into two systems (the FEBRL layout, benchmarks/febrl4.py): names with
    # typos, date of birth and id as digit strings (compared as text, since one typo can make
    # a date invalid and a date comparison would then see nothing), postcode exact, street
    # and suburb by Jaro-Winkler.
    comparisons=(
        cl.NameComparison("given_name"),
        cl.NameComparison("surname"),
        cl.DamerauLevenshteinAtThresholds("date_of_birth", [1, 2]),
        cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
        cl.ExactMatch("postcode"),
        cl.ExactMatch("street_number"),
        cl.JaroWinklerAtThresholds("address_1", [0.9, 0.7]),
        cl.JaroWinklerAtThresholds("suburb", [0.9, 0.7]),
    ),
    blocking=("given_name", "surname", "date_of_birth", "postcode", "soc_sec_id"),
    training_blocks=("date_of_birth", "postcode"),
)
