"""Workflow state that outlives warehouse rebuilds: runs, audit log (cases and approvals later)."""

from tieout.state.health import AccountHealthScore
from tieout.state.models import AuditEvent, Base, GoldenMember, MatchDecision, MatchReview, Run
from tieout.state.store import StateStore
from tieout.state.users import ApiToken, User

__all__ = [
    "AccountHealthScore",
    "ApiToken",
    "AuditEvent",
    "Base",
    "GoldenMember",
    "MatchDecision",
    "MatchReview",
    "Run",
    "StateStore",
    "User",
]
