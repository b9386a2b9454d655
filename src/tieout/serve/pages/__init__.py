"""Server-rendered pages, one module per area; each figure links to the rows behind it."""

from fastapi import APIRouter

from tieout.serve.pages import (
    accounts,
    auth,
    close,
    data,
    definitions,
    exceptions,
    jobs,
    overview,
    plan,
    scorecards,
)

router = APIRouter()
for module in (
    auth,
    overview,
    exceptions,
    accounts,
    jobs,
    definitions,
    plan,
    scorecards,
    close,
    data,
):
    router.include_router(module.router)

__all__ = ["router"]
