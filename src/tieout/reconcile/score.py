"""Rule accuracy against a ground-truth file: an exception is right when it names exactly
the records of a planted anomaly of the same rule."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from tieout.config.rules import builtin_rules
from tieout.engine import Warehouse
from tieout.match.score import Accuracy

Refs = frozenset[tuple[str, str, str]]


def score_rules(wh: Warehouse, truth: dict[str, Any]) -> list[Accuracy]:
    expected: dict[str, set[Refs]] = defaultdict(set)
    for anomaly in truth["anomalies"]:
        expected[anomaly["rule"]].add(_refs(anomaly["refs"]))
    found: dict[str, set[Refs]] = defaultdict(set)
    for rule, refs in wh.query("SELECT rule, source_refs FROM exception"):
        found[rule].add(_refs(json.loads(refs)))
    rules = sorted(set(found) | (set(expected) & set(builtin_rules())))
    return [
        Accuracy(rule, len(expected[rule]), len(found[rule]), len(expected[rule] & found[rule]))
        for rule in rules
    ]


def _refs(refs: list[dict[str, str]]) -> Refs:
    return frozenset((r["system"], r["object"], r["native_id"]) for r in refs)
