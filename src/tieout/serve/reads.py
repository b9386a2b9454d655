"""One record or figure as a caller may see it, fetched the same way for a page and its API
twin. The route has checked the permission (serve/permits.py); here a rep kept to their
own accounts sees only those: 404 when a record is not there or not theirs, and only their
own rows of a split."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from fastapi import HTTPException, Request

from tieout.errors import TieoutError
from tieout.metrics import Period
from tieout.serve import data, drill
from tieout.serve.actions import in_scope
from tieout.serve.ownership import record_customer
from tieout.serve.render import own_accounts, reading, snapshot
from tieout.serve.security import Caller

SPLIT_ROWS = 200  # the lowest first; the API pages through the rest


@dataclass(frozen=True)
class ExceptionFilters:
    """The exception queue's filters, as query parameters (a FastAPI dependency)."""

    rule: str | None = None
    status: str | None = None  # or "active": open, acknowledged or waiver requested
    owner: str | None = None
    severity: str | None = None
    account_key: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return asdict(self)


def exceptions_for(
    request: Request, who: Caller, filters: ExceptionFilters, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """A page of the exception queue as the caller may see it, and how many in all."""
    store = request.app.state.store
    return data.exceptions(store, filters.as_dict(), limit, offset, own_accounts(request, who))


def accounts_for(
    request: Request,
    who: Caller,
    band: str | None,
    limit: int | None = None,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Accounts by health, worst first, as the caller may see them."""
    own = own_accounts(request, who)
    with reading(request) as wh:
        return data.accounts(wh, band, own, limit, offset)


def exception_for(request: Request, who: Caller, case_id: str) -> dict[str, Any]:
    in_scope(request, who, case_id)
    state = request.app.state
    with reading(request) as wh:
        objects = state.reader.once("objects", wh, drill.object_tables)
        found = data.exception_detail(wh, objects, state.rules, state.store, case_id)
    if found is None:
        raise HTTPException(404, f"no exception {case_id}")
    return found


def account_for(request: Request, who: Caller, account_key: str) -> dict[str, Any]:
    own = own_accounts(request, who)
    state = request.app.state
    found = None
    if own is None or account_key in own:
        with reading(request) as wh:
            margins = state.reader.once(
                "margin-by-month",
                wh,
                lambda w: data.margin_by_month(w, state.project, state.catalogue),
            )
            found = data.account_detail(wh, state.store, margins, account_key)
    if found is None:
        raise HTTPException(404, f"no account {account_key}")
    return found


def job_for(request: Request, who: Caller, job_key: str) -> dict[str, Any]:
    with reading(request) as wh:
        found = drill.job_detail(wh, request.app.state.store, job_key)
    own = own_accounts(request, who)
    customer = (found or {}).get("customer") or {}
    if found is None or (own is not None and customer.get("account_key") not in own):
        raise HTTPException(404, f"no job {job_key}")
    return found


def record_for(request: Request, who: Caller, record_id: str) -> dict[str, Any]:
    """A source record; a rep kept to their own accounts sees their customers' records only
    (ids are predictable, so a record of anyone else's is as absent as a missing one)."""
    own = own_accounts(request, who)
    with reading(request) as wh:
        found = drill.source_record(wh, record_id)
        if found is not None and not _theirs(
            own, record_customer(wh, found["table"], found["row"])
        ):
            found = None
    if found is None:
        raise HTTPException(404, f"no record {record_id}")
    return found


def _theirs(own: set[str] | None, account_key: str | None) -> bool:
    """Whether a caller kept to `own` accounts (None: not kept) may see this customer's."""
    return own is None or account_key in own


def metric_split(
    request: Request,
    who: Caller,
    name: str,
    by: str,
    period: str | None,
    *,
    limit: int | None = SPLIT_ROWS,
    offset: int = 0,
) -> dict[str, Any]:
    """A governed metric split by job or customer for a month (default: the as-of month),
    computed once per snapshot (and per rep, for a rep kept to their own accounts: their
    rows only, and no company total)."""
    own = own_accounts(request, who)
    mine = "" if own is None else f":own:{who.name}"
    state = request.app.state
    if name not in state.catalogue.metrics:
        raise HTTPException(404, f"no metric {name}")
    if by not in drill.SPLITS:
        raise HTTPException(400, f"by must be one of {', '.join(drill.SPLITS)}")
    if own is not None and "customer" not in state.catalogue.metrics[name].dimensions:
        raise HTTPException(403, f"{name} has no customer split, so no rows are yours alone")
    as_of = snapshot(request)["as_of"]
    if as_of is None:
        raise HTTPException(404, "no snapshot yet: run `tieout run`")
    try:
        chosen = Period.parse(period or f"{as_of:%Y-%m}")
        with reading(request) as wh:
            found: dict[str, Any] = state.reader.once(
                f"split:{name}:{by}:{chosen.label}:{limit}:{offset}{mine}",
                wh,
                lambda w: drill.metric_split(
                    w,
                    state.catalogue,
                    name,
                    by,
                    chosen,
                    state.project.config.reporting_currency,
                    as_of,
                    limit=limit,
                    offset=offset,
                    own=own,
                ),
            )
            return found
    except TieoutError as exc:
        raise HTTPException(400, str(exc)) from None
