"""Metric versions: a definition that changes without a new version number is refused."""

from __future__ import annotations

from collections.abc import Iterable

from tieout.errors import ConfigError
from tieout.state.models import AuditEvent, MetricVersion
from tieout.state.store import StateStore, actor, now


def register(store: StateStore, definitions: Iterable[tuple[str, int, str, str]]) -> None:
    """(name, version, digest, source file) for each metric: record new versions, refuse a
    changed definition that kept its version."""
    with store.session() as s:
        for name, version, digest, source in definitions:
            known = s.get(MetricVersion, (name, version))
            if known is None:
                s.add(MetricVersion(name=name, version=version, digest=digest, first_used=now()))
                s.add(
                    AuditEvent(
                        at=now(),
                        actor=actor(),
                        action="metric.version",
                        entity="metric",
                        entity_id=name,
                        detail={"version": version, "digest": digest},
                    )
                )
            elif known.digest != digest:
                raise ConfigError(
                    f"metric {name} changed but is still version {version} (first used "
                    f"{known.first_used:%Y-%m-%d}): raise its version",
                    file=source,
                    key="version",
                )
