"""One job, quote to invoice, side by side; and any source record with the export file and
row it came from."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from tieout.serve import reads
from tieout.serve.permits import Viewer
from tieout.serve.render import render

router = APIRouter()


@router.get("/jobs/{job_key}", response_class=HTMLResponse)
def job_page(request: Request, who: Viewer, job_key: str) -> HTMLResponse:
    return render(request, "job.html", j=reads.job_for(request, who, job_key))


@router.get("/records/{record_id}", response_class=HTMLResponse)
def record_page(request: Request, who: Viewer, record_id: str) -> HTMLResponse:
    return render(request, "record.html", r=reads.record_for(request, who, record_id))
