"""Workflow state that outlives warehouse rebuilds: runs, audit log (cases and approvals later)."""

from tieout.state.models import AuditEvent, Base, Run
from tieout.state.store import StateStore

__all__ = ["AuditEvent", "Base", "Run", "StateStore"]
