"""`tieout serve`: the web app and API over the current snapshot and the state store."""

from __future__ import annotations

from typing import Annotated

import typer

from tieout.cli.common import ProjectOption, find_project, reported_errors


def serve(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    https_only: Annotated[
        bool, typer.Option(help="mark the session cookie Secure (behind HTTPS)")
    ] = False,
    project: ProjectOption = None,
) -> None:
    """Serve the web app; a new snapshot shows on the next page load, no restart needed."""
    import uvicorn  # loaded only to serve

    from tieout.serve import create_app

    with reported_errors():
        app = create_app(find_project(project), https_only=https_only)
    uvicorn.run(app, host=host, port=port, log_level="info")
