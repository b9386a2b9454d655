"""The governed definitions the pages and the API list: every metric and every rule, with
where each is defined."""

from __future__ import annotations

from typing import Any

from tieout.config.rules import ResolvedRule
from tieout.metrics import Catalogue


def definitions(rules: list[ResolvedRule], catalogue: Catalogue) -> dict[str, Any]:
    """Every governed metric (version, owner, unit, splits, where it is defined) and every
    exception rule (owner, severity, parameters, where it is defined)."""
    metrics = [
        {
            "name": m.name,
            "title": m.title,
            "version": m.version,
            "owner": m.owner,
            "unit": m.unit,
            "kind": m.kind,
            "dimensions": m.dimensions,
            "description": m.description,
            "defined_in": catalogue.sources[m.name],
            "formula": m.formula,
            "fact": m.fact,
        }
        for m in sorted(catalogue.metrics.values(), key=lambda m: m.name)
    ]
    checks = [
        {
            "id": r.rule.id,
            "title": r.rule.title,
            "owner": r.rule.owner,
            "severity": r.rule.severity,
            "params": r.params,
            "description": r.rule.description,
            "defined_in": r.source,
            "sql": r.rule.query,
        }
        for r in sorted(rules, key=lambda r: r.rule.id)
    ]
    return {"metrics": metrics, "rules": checks}
