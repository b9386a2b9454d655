"""Job links: which quote, work order and invoice lines are one piece of work."""

from __future__ import annotations

from dataclasses import dataclass

from tieout.engine import Warehouse
from tieout.match.sqlfiles import run_sql


@dataclass(frozen=True)
class JobResult:
    work_orders: int
    work_orders_with_quote: int
    invoice_lines: int
    invoice_lines_linked: int
    linked_by: dict[str, int]


def link_jobs(wh: Warehouse) -> JobResult:
    run_sql(wh, "jobs.sql")
    by_method = dict(
        wh.query("SELECT method, count(*) FROM _match_line_wo GROUP BY method ORDER BY method")
    )
    return JobResult(
        work_orders=wh.count("_match_job_wo"),
        work_orders_with_quote=wh.count("_match_wo_quote"),
        invoice_lines=wh.count("_match_job_line"),
        invoice_lines_linked=wh.count("_match_line_wo"),
        linked_by={str(k): int(v) for k, v in by_method.items()},
    )
