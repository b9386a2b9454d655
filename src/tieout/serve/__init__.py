"""The web app and API: a thin shell over the stages' tables and the state store.

`create_app(project)` builds the FastAPI application; `tieout serve` runs it with uvicorn.
Every JS and CSS file it needs ships in this package; nothing loads from the internet.
"""

from __future__ import annotations

from decimal import Decimal
from importlib import resources
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.middleware.sessions import SessionMiddleware

from tieout import pipeline
from tieout.config import LoadedProject
from tieout.errors import NoSnapshotError, UsageError
from tieout.serve import api, api_workspace, pages
from tieout.serve.headers import SecurityHeaders
from tieout.serve.security import LoginRequiredError, secret_key
from tieout.serve.snapshot import SnapshotReader
from tieout.serve.uploads import UploadLimit

__all__ = ["create_app"]


def quantity(value: object) -> str:
    """A quantity or hours as people write it: 1.5, not 1.5000."""
    if value is None:
        return ""
    return f"{Decimal(str(value)).normalize():,f}"


def create_app(project: LoadedProject, *, https_only: bool = False) -> FastAPI:
    app = FastAPI(
        title="tieout",
        version="1",
        docs_url="/api/docs",
        openapi_url="/api/v1/openapi.json",
        redoc_url=None,  # public routes are few and listed (tests/test_serve_routes.py)
        swagger_ui_oauth2_redirect_url=None,
    )
    app.state.project = project
    app.state.store = pipeline.state_store(project)
    app.state.catalogue = project.definitions.metrics  # loaded once; restart to change
    app.state.rules = project.definitions.rules
    app.state.reader = SnapshotReader(pipeline.snapshots(project))
    app.state.snapshot_info = {}
    app.state.totals = {}
    folder = Path(str(resources.files("tieout.serve")))
    app.state.templates = Jinja2Templates(directory=folder / "templates")
    app.state.templates.env.filters["qty"] = quantity
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret_key(project.root),
        session_cookie="tieout_session",
        same_site="lax",
        https_only=https_only,
        max_age=12 * 3600,
    )
    app.add_middleware(UploadLimit)  # before anything reads a body
    app.add_middleware(SecurityHeaders)  # outermost: every response, errors included
    app.mount("/static", StaticFiles(directory=folder / "static"), name="static")
    app.include_router(api.router)
    app.include_router(api_workspace.router)
    app.include_router(pages.router)

    @app.exception_handler(LoginRequiredError)
    def _to_login(request: Request, exc: LoginRequiredError) -> Response:
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(NoSnapshotError)
    def _no_run_yet(request: Request, exc: NoSnapshotError) -> Response:
        """Asked for data before the first `tieout run`: say so, not a server error."""
        return JSONResponse({"detail": str(exc)}, status_code=409)

    @app.exception_handler(UsageError)
    def _refused(request: Request, exc: UsageError) -> Response:
        """What the state store refuses (an author approving, a waiver without a reason)."""
        return JSONResponse({"detail": str(exc)}, status_code=400)

    return app
