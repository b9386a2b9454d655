"""One job, quote to invoice, side by side; and any source record with the export file and
row it came from."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from tieout.serve import drill
from tieout.serve.render import own_accounts, reading, render
from tieout.serve.security import require

router = APIRouter()


@router.get("/jobs/{job_key}", response_class=HTMLResponse)
def job_page(request: Request, job_key: str) -> HTMLResponse:
    who = require(request, "view", page=True)
    with reading(request) as wh:
        found = drill.job_detail(wh, request.app.state.store, job_key)
    own = own_accounts(request, who)
    customer = (found or {}).get("customer") or {}
    if found is None or (own is not None and customer.get("account_key") not in own):
        raise HTTPException(404, f"no job {job_key}")
    return render(request, "job.html", j=found)


@router.get("/records/{record_id}", response_class=HTMLResponse)
def record_page(request: Request, record_id: str) -> HTMLResponse:
    require(request, "view", page=True)
    with reading(request) as wh:
        found = drill.source_record(wh, record_id)
    if found is None:
        raise HTTPException(404, f"no record {record_id}")
    return render(request, "record.html", r=found)
