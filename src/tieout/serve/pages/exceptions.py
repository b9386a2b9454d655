"""The exception queue and one exception: filter, act alone or in bulk, comment and attach,
approve waivers; each exception shows its rule, its source records and its history."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from tieout import pipeline
from tieout.serve import reads
from tieout.serve.actions import act_on_case, in_scope
from tieout.serve.bulk import BulkRefusedError, act_on_all
from tieout.serve.paging import MAX_LIMIT, PAGE_SIZE, Page
from tieout.serve.permits import Viewer, permits_chosen
from tieout.serve.reads import ExceptionFilters
from tieout.serve.render import render
from tieout.serve.security import Caller, check_csrf
from tieout.serve.uploads import read_limited
from tieout.state.exceptions import notes
from tieout.state.models import ExceptionCase

router = APIRouter()


@router.get("/exceptions", response_class=HTMLResponse)
def exceptions_page(
    request: Request,
    who: Viewer,
    chosen: Annotated[ExceptionFilters, Depends()],
    page: Page = 1,
    done: str | None = None,
    problem: str | None = None,
) -> HTMLResponse:
    filters = chosen.as_dict()
    page = max(page, 1)
    items, total = reads.exceptions_for(request, who, chosen, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    query = urlencode({k: v for k, v in filters.items() if v})
    return render(
        request,
        "exceptions.html",
        items=items,
        total=total,
        page=page,
        size=PAGE_SIZE,
        filters=filters,
        query=query,
        done=done,
        problem=problem,
    )


@router.post("/exceptions/bulk")
def bulk_form(
    request: Request,
    who: Annotated[Caller, Depends(permits_chosen("action"))],
    action: Annotated[str, Form()],
    ids: Annotated[list[str], Form(max_length=MAX_LIMIT)],
    reason: Annotated[str | None, Form()] = None,
    to: Annotated[str | None, Form()] = None,
    csrf: Annotated[str | None, Form()] = None,
    back: Annotated[str, Form()] = "",
) -> Response:
    """One action on every ticked exception, all or none: if any is refused, none changes
    and the page says which and why."""
    check_csrf(request, csrf)
    try:
        act_on_all(request, who, action, ids, reason=reason or None, to=to)
        message = {"done": f"{action}: {len(ids)} exception(s)"}
    except BulkRefusedError as exc:
        why = "; ".join(f"{r['id']}: {r['why']}" for r in exc.refused)
        message = {"problem": f"{action} on none of the {len(ids)}: refused for {why}"}
    query = urlencode(message)
    return RedirectResponse(f"/exceptions?{back}&{query}" if back else f"/exceptions?{query}", 303)


@router.get("/exceptions/{case_id}", response_class=HTMLResponse)
def exception_page(request: Request, who: Viewer, case_id: str) -> HTMLResponse:
    return render(request, "exception.html", e=reads.exception_for(request, who, case_id))


@router.post("/exceptions/{case_id}")
async def exception_form(
    request: Request,
    who: Annotated[Caller, Depends(permits_chosen("action"))],
    case_id: str,
    action: Annotated[str, Form()],
    reason: Annotated[str | None, Form()] = None,
    to: Annotated[str | None, Form()] = None,
    file: Annotated[UploadFile | None, File()] = None,
    csrf: Annotated[str | None, Form()] = None,
) -> Response:
    """One action on the exception; a comment may attach a document, read in chunks up to
    the limit (serve/uploads.py) and kept only once the case is known to be there."""
    check_csrf(request, csrf)
    await run_in_threadpool(in_scope, request, who, case_id)
    if not await run_in_threadpool(_exists, request, case_id):
        raise HTTPException(404, f"no exception {case_id}")
    attachment = None
    if file is not None and file.filename:
        attachment = (file.filename, await read_limited(file))
    await run_in_threadpool(
        act_on_case,
        request,
        case_id,
        action,
        page=True,
        reason=reason or None,
        to=to,
        attachment=attachment,
    )
    return RedirectResponse(f"/exceptions/{case_id}", status_code=303)


def _exists(request: Request, case_id: str) -> bool:
    with request.app.state.store.session() as s:
        return s.get(ExceptionCase, case_id) is not None


@router.get("/exceptions/{case_id}/files/{sha256}")
def attachment(request: Request, who: Viewer, case_id: str, sha256: str) -> Response:
    """A document attached to the exception, by the hash its note recorded."""
    in_scope(request, who, case_id)
    state = request.app.state
    note = next((n for n in notes(state.store, case_id) if n.file_sha256 == sha256), None)
    path = pipeline.attachments(state.project) / sha256
    if note is None or not path.is_file():
        raise HTTPException(404, "no such attachment")
    return FileResponse(path, filename=note.file_name or sha256)
