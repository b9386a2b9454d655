"""The app as uvicorn's worker processes build it: each worker loads the project named by
$TIEOUT_PROJECT (set by `tieout serve --workers N`) and keeps its own snapshot connection."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI

from tieout.config import load_project
from tieout.serve import create_app


def create() -> FastAPI:
    return create_app(
        load_project(Path(os.environ["TIEOUT_PROJECT"])),
        https_only=os.environ.get("TIEOUT_HTTPS_ONLY") == "1",
    )
