"""Where the numbers come from: runs, every file each load read with its rows conserved
(read = accepted + quarantined), the quarantined rows and why, and the shared-key links
waiting for a person to accept or reject them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from tieout.engine import Warehouse
from tieout.errors import UsageError
from tieout.ingest import quarantine
from tieout.match.report import REVIEW_KINDS, record_names
from tieout.serve.permits import Viewer, limited, permits
from tieout.serve.render import reading, render
from tieout.serve.security import Caller, allowed, check_csrf
from tieout.state.matching import decide, reviews
from tieout.state.store import StateStore

router = APIRouter()
PAGE_ROWS = 200  # the first quarantined rows; the API and downloads have them all
RUN_COLUMNS = (
    "id",
    "as_of",
    "status",
    "started_at",
    "finished_at",
    "seconds",
    "rows_read",
    "rows_accepted",
    "rows_quarantined",
    "error",
    "table_rows",
    "stage_seconds",
)
REVIEW_COLUMNS = ("id", "entity_type", "member_id", "anchor_id", "probability", "reason")


def runs(store: StateStore, current: str | None) -> list[dict[str, Any]]:
    """The latest runs, newest first, marking the one whose snapshot is on show."""
    return [
        {**{c: getattr(r, c) for c in RUN_COLUMNS}, "current": r.id == current}
        for r in store.runs()
    ]


def conservation(files: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Every file's rows accounted for: read = accepted + quarantined, per file and in all;
    a file where that does not hold lost or invented rows and is flagged."""
    rows = [
        {**f, "balanced": f["rows_read"] == f["rows_accepted"] + f["rows_quarantined"]}
        for f in files
    ]
    total = {
        k: sum(int(f[k]) for f in files) for k in ("rows_read", "rows_accepted", "rows_quarantined")
    }
    return {
        "files": rows,
        "total": total,
        "unbalanced": [f["source_file"] for f in rows if not f["balanced"]],
    }


def loads(wh: Warehouse) -> dict[str, Any]:
    """The snapshot's load log with row conservation checked."""
    return conservation(quarantine.load_log(wh))


def quarantined(
    wh: Warehouse,
    files: Sequence[dict[str, Any]],
    *,
    limit: int | None,
    offset: int,
    source: str | None = None,
    file: str | None = None,
) -> dict[str, Any]:
    """A page of quarantined rows (file, row, column, reason, raw text) and how many match
    in all (the load log counts them per file)."""
    total = sum(
        int(f["rows_quarantined"])
        for f in files
        if source in (None, f["source"]) and file in (None, f["source_file"])
    )
    rows = quarantine.list_rows(wh, source=source, file=file, limit=limit, offset=offset)
    return {"items": rows, "total": total, "limit": limit, "offset": offset}


def review_queue(wh: Warehouse, store: StateStore) -> list[dict[str, Any]]:
    """Open review items, likeliest first, with the names of both records."""
    items = reviews(store)
    names = record_names(wh, [i.member_id for i in items] + [i.anchor_id for i in items])
    return [
        {
            **{c: getattr(i, c) for c in REVIEW_COLUMNS},
            "kind": REVIEW_KINDS.get(i.entity_type, i.entity_type),
            "member_name": names.get(i.member_id),
            "anchor_name": names.get(i.anchor_id),
        }
        for i in items
    ]


def decide_review(
    request: Request, who: Caller, review_id: str, decision: str, note: str | None
) -> dict[str, Any]:
    """Accept or reject a proposed link as the caller (audited); the next run applies it."""
    row = decide(request.app.state.store, review_id, decision, note or None, by=who.name)
    return {
        "id": row.id,
        "status": row.status,
        "member_id": row.member_id,
        "anchor_id": row.anchor_id,
        "by": who.name,
    }


@router.get("/data", response_class=HTMLResponse)
def data_page(
    request: Request, who: Viewer, done: str | None = None, problem: str | None = None
) -> HTMLResponse:
    """Runs and files for everyone; the quarantined rows and the match queue name any
    customer, so a role kept to its own accounts sees neither."""
    state = request.app.state
    company = not limited(request, who)
    with reading(request) as wh:
        found = loads(wh)
        held = quarantined(wh, found["files"], limit=PAGE_ROWS, offset=0) if company else None
        queue = review_queue(wh, state.store) if company else None
    return render(
        request,
        "data.html",
        runs=runs(state.store, state.reader.current_id()),
        loads=found,
        held=held,
        queue=queue,
        may_review=allowed(state.project, who, "match.review"),
        done=done,
        problem=problem,
    )


@router.post("/data/reviews/{review_id}")
def review_form(
    request: Request,
    who: Annotated[Caller, Depends(permits("match.review"))],
    review_id: str,
    decision: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
    csrf: Annotated[str | None, Form()] = None,
) -> RedirectResponse:
    check_csrf(request, csrf)
    try:
        row = decide_review(request, who, review_id, decision, note)
        message = {"done": f"{review_id} {row['status']}; the next run applies it"}
    except UsageError as exc:
        message = {"problem": str(exc)}
    return RedirectResponse(f"/data?{urlencode(message)}#reviews", 303)
