"""Stable ids: derived from source identity, so a rebuild gives every row the same id."""

from __future__ import annotations

import hashlib


def stable_id(prefix: str, *parts: str) -> str:
    """`prefix_` + 16 hex digits of md5 over the parts joined by '|' (same as the SQL form)."""
    digest = hashlib.md5("|".join(parts).encode("utf-8"), usedforsecurity=False).hexdigest()
    return f"{prefix}_{digest[:16]}"
