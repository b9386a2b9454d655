"""Every governed metric and rule, with its version, owner and the file it is defined in."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from tieout.serve import catalogue
from tieout.serve.permits import permits
from tieout.serve.render import render

router = APIRouter()


@router.get("/definitions", response_class=HTMLResponse, dependencies=[Depends(permits("view"))])
def definitions_page(request: Request) -> HTMLResponse:
    state = request.app.state
    return render(
        request, "definitions.html", d=catalogue.definitions(state.rules, state.catalogue)
    )
