"""audit chain: every audit entry carries its hash and the hash of the entry before it

Revision ID: 0008
Revises: 0007
"""

import datetime as dt
import hashlib
import json

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("prev_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("hash", sa.String(64), nullable=True))
    log = sa.table(
        "audit_log",
        sa.column("id", sa.Integer()),
        sa.column("at", sa.DateTime()),
        sa.column("actor", sa.String()),
        sa.column("action", sa.String()),
        sa.column("entity", sa.String()),
        sa.column("entity_id", sa.String()),
        sa.column("detail", sa.JSON()),
        sa.column("prev_hash", sa.String()),
        sa.column("hash", sa.String()),
    )
    bind = op.get_bind()
    prev = "0" * 64  # the same chain as tieout.state.audit.entry_hash, frozen here
    for row in bind.execute(sa.select(log).order_by(log.c.id)).mappings().all():
        at = (
            row["at"]
            if isinstance(row["at"], dt.datetime)
            else dt.datetime.fromisoformat(row["at"])
        )
        content = {
            "at": at.isoformat(timespec="microseconds"),
            "actor": row["actor"],
            "action": row["action"],
            "entity": row["entity"],
            "entity_id": row["entity_id"],
            "detail": row["detail"] or {},
        }
        text = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
        digest = hashlib.sha256((prev + text).encode("utf-8")).hexdigest()
        bind.execute(log.update().where(log.c.id == row["id"]).values(prev_hash=prev, hash=digest))
        prev = digest


def downgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("hash")
        batch.drop_column("prev_hash")
