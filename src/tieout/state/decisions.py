"""Decision requests: questions about an account for leadership, raised by a person or by a
threshold in tieout.yml, decided with a rationale (by a leader when leaders are named)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from tieout.config.operating import DecisionThreshold
from tieout.errors import UsageError
from tieout.state.models import AuditEvent, DecisionRequest
from tieout.state.store import StateStore, now


@dataclass(frozen=True)
class Crossing:
    """An account over a threshold: the money at stake and the open exceptions behind it."""

    amount: Decimal | None
    exceptions: list[str]


def threshold_id(threshold: str, account_key: str, episode: int = 1) -> str:
    """Stable: the same threshold crossed by the same account keeps its id across runs; a
    later crossing (after the first was decided and the account recovered) gets -2, -3..."""
    digest = hashlib.md5(f"threshold|{threshold}|{account_key}".encode(), usedforsecurity=False)
    return "DR-" + digest.hexdigest()[:10].upper() + (f"-{episode}" if episode > 1 else "")


def raise_request(
    store: StateStore,
    *,
    account_key: str,
    question: str,
    options: Sequence[str],
    owner: str,
    due_date: dt.date,
    amount: Decimal | None,
    by: str,
) -> DecisionRequest:
    """A person asks leadership to decide."""
    if not question.strip():
        raise UsageError("--question must ask something")
    stamp = now()
    digest = hashlib.md5(
        f"user|{account_key}|{question}|{stamp.isoformat()}".encode(), usedforsecurity=False
    )
    with store.session() as s:
        return _add(
            s,
            "DR-" + digest.hexdigest()[:10].upper(),
            account_key=account_key,
            question=question.strip(),
            options=list(options),
            owner=owner,
            due_date=due_date,
            amount_at_stake=amount,
            raised_by=by,
        )


def sync_threshold(
    store: StateStore,
    threshold: DecisionThreshold,
    matches: dict[str, Crossing],
    as_of: dt.date,
) -> list[str]:
    """Raise a request for each account over the threshold unless one is open for it, or was
    closed while the account stayed over it; returns the ids raised. An open request keeps
    naming the exceptions behind it as they are now; closed requests of accounts now under
    the threshold are marked cleared."""
    source = f"threshold:{threshold.name}"
    raised: list[str] = []
    with store.session() as s:
        latest: dict[str, DecisionRequest] = {}
        episodes: dict[str, int] = {}
        for r in s.scalars(
            select(DecisionRequest)
            .where(DecisionRequest.raised_by == source)
            .order_by(DecisionRequest.raised_at, DecisionRequest.id)
        ):
            latest[r.account_key] = r
            episodes[r.account_key] = episodes.get(r.account_key, 0) + 1
        for key, r in latest.items():
            if key not in matches and r.status != "open" and r.cleared_on is None:
                r.cleared_on = as_of
                _audit(s, "tieout", "decision.cleared", r.id, {"threshold": threshold.name})
        for key, crossing in sorted(matches.items()):
            known = latest.get(key)
            if known is not None and known.status == "open":
                known.exceptions = crossing.exceptions
            if known is not None and (known.status == "open" or known.cleared_on is None):
                continue
            request = _add(
                s,
                threshold_id(threshold.name, key, episodes.get(key, 0) + 1),
                account_key=key,
                question=threshold.question,
                options=list(threshold.options),
                owner=threshold.owner,
                due_date=as_of + dt.timedelta(days=threshold.due_days),
                amount_at_stake=crossing.amount,
                raised_by=source,
                exceptions=crossing.exceptions,
            )
            raised.append(request.id)
    return raised


def decide(
    store: StateStore,
    request_id: str,
    *,
    decision: str,
    rationale: str,
    by: str,
    leaders: Sequence[str],
) -> DecisionRequest:
    """Record leadership's decision and why; only a named leader may (when any are named)."""
    if not decision.strip() or not rationale.strip():
        raise UsageError("a decision needs --decision and --rationale")
    return _close(store, request_id, "decided", decision.strip(), rationale.strip(), by, leaders)


def withdraw(
    store: StateStore, request_id: str, *, reason: str, by: str, leaders: Sequence[str]
) -> DecisionRequest:
    """The question no longer needs a decision (the reason is kept as the rationale)."""
    if not reason.strip():
        raise UsageError("withdrawing a request needs --reason")
    return _close(store, request_id, "withdrawn", None, reason.strip(), by, leaders)


def requests(store: StateStore, *, open_only: bool) -> list[DecisionRequest]:
    """Open requests first, each group by due date: the leadership agenda."""
    with store.session() as s:
        query = select(DecisionRequest).order_by(
            case((DecisionRequest.status == "open", 0), else_=1),
            DecisionRequest.due_date,
            DecisionRequest.id,
        )
        if open_only:
            query = query.where(DecisionRequest.status == "open")
        return list(s.scalars(query))


def _close(
    store: StateStore,
    request_id: str,
    status: str,
    decision: str | None,
    rationale: str,
    by: str,
    leaders: Sequence[str],
) -> DecisionRequest:
    if leaders and by not in leaders:
        raise UsageError(
            f"{by} is not a leader who may decide (decisions.leaders in tieout.yml: "
            f"{', '.join(leaders)})"
        )
    with store.session() as s:
        r = s.get(DecisionRequest, request_id)
        if r is None:
            raise UsageError(f"no decision request {request_id!r} (see `tieout decisions`)")
        if r.status != "open":
            raise UsageError(
                f"{request_id} was already {r.status} by {r.decided_by} on {r.decided_at:%Y-%m-%d}"
            )
        r.status, r.decision, r.rationale = status, decision, rationale
        r.decided_by, r.decided_at = by, now()
        action = "decision.decide" if status == "decided" else "decision.withdraw"
        _audit(
            s,
            by,
            action,
            r.id,
            {
                "before": {"status": "open"},
                "after": {"status": status, "decision": decision, "rationale": rationale},
            },
        )
        return r


def _add(s: Session, request_id: str, **fields: object) -> DecisionRequest:
    request = DecisionRequest(id=request_id, raised_at=now(), status="open", **fields)
    s.add(request)
    _audit(
        s,
        str(fields["raised_by"]),
        "decision.raise",
        request_id,
        {"account_key": fields["account_key"], "question": fields["question"]},
    )
    return request


def _audit(s: Session, who: str, action: str, request_id: str, detail: dict[str, object]) -> None:
    s.add(
        AuditEvent(
            at=now(),
            actor=who,
            action=action,
            entity="decision",
            entity_id=request_id,
            detail=detail,
        )
    )
