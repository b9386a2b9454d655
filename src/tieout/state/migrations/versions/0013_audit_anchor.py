"""audit anchor: the chain head as one lockable row, and each run's signed copy of it

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_table(
        "audit_anchor",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(40), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("signature", sa.String(64), nullable=False),
    )
    op.create_index("ix_audit_anchor_run_id", "audit_anchor", ["run_id"])
    bind = op.get_bind()
    count = bind.execute(sa.text("SELECT count(*) FROM audit_log")).scalar_one()
    last = bind.execute(
        sa.text("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1")
    ).scalar_one_or_none()
    op.bulk_insert(head, [{"id": 1, "seq": count, "hash": last or "0" * 64}])


def downgrade() -> None:
    op.drop_index("ix_audit_anchor_run_id", table_name="audit_anchor")
    op.drop_table("audit_anchor")
    op.drop_table("audit_head")
