"""Every governed metric and rule, with its version, owner and the file it is defined in."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from tieout.serve import catalogue
from tieout.serve.render import render
from tieout.serve.security import require

router = APIRouter()


@router.get("/definitions", response_class=HTMLResponse)
def definitions_page(request: Request) -> HTMLResponse:
    require(request, "view", page=True)
    state = request.app.state
    return render(
        request, "definitions.html", d=catalogue.definitions(state.rules, state.catalogue)
    )
