"""Paging parameters every listing shares, bounded: a huge `offset`, `page` or `limit` is
a 422 naming the parameter and its limit, not an overflow deep in SQLite or DuckDB."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

MAX_LIMIT = 1000
MAX_OFFSET = 10_000_000  # ten million rows in: further than any listing here goes
PAGE_SIZE = 50  # the exceptions page

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"rows, 1 to {MAX_LIMIT}")]
Offset = Annotated[
    int, Query(ge=0, le=MAX_OFFSET, description=f"rows to skip, 0 to {MAX_OFFSET:,}")
]
Page = Annotated[
    int,
    Query(ge=1, le=MAX_OFFSET // PAGE_SIZE, description="page number, from 1"),
]
