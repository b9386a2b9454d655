"""Columns the read side looks single records up by (a job page, an exception's records):
each gets an ART index at the end of a run, so an equality or IN filter on it reads a few
rows instead of scanning millions. Kept to what the pages need: each index costs run time."""

from __future__ import annotations

from typing import Final

LOOKUPS: Final = (
    ("job", "job_key"),
    ("job_time", "work_order_id"),
    ("work_order", "id"),
    ("quote", "id"),
    ("invoice_line", "id"),
    ("invoice", "native_id"),
    ("invoice_quote_line", "invoice_line_id"),
    ("customer_key", "native_id"),
)
