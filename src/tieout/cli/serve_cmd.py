"""`tieout serve`: the web app and API over the current snapshot and the state store."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from tieout.cli.common import ProjectOption, find_project, reported_errors


def serve(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, help="worker processes (default: one per CPU core, up to 4)")
    ] = min(os.cpu_count() or 1, 4),
    https_only: Annotated[
        bool, typer.Option(help="mark the session cookie Secure (behind HTTPS)")
    ] = False,
    project: ProjectOption = None,
) -> None:
    """Serve the web app; a new snapshot shows on the next page load, no restart needed."""
    import uvicorn  # loaded only to serve

    from tieout.serve import create_app

    with reported_errors():
        loaded = find_project(project)
        # checks the project, and makes the session key every worker then reads, before forking
        app = create_app(loaded, https_only=https_only)
    # uvicorn would take the client's address from X-Forwarded-For on requests from
    # 127.0.0.1 (its --forwarded-allow-ips default): an SSO proxy on this host would then
    # look like its client and never match access.trusted_proxies. The app decides whose
    # headers count, from access.trusted_proxies alone, against the address it is sent from.
    if workers == 1:
        uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=False)
        return
    os.environ["TIEOUT_PROJECT"] = str(loaded.root)
    os.environ["TIEOUT_HTTPS_ONLY"] = "1" if https_only else "0"
    uvicorn.run(
        "tieout.serve.asgi:create",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        proxy_headers=False,
    )
