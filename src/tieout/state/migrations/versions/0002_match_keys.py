"""golden keys, match decisions and the review queue

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "golden_member",
        sa.Column("entity_type", sa.String(32), primary_key=True),
        sa.Column("member_id", sa.String(600), primary_key=True),
        sa.Column("golden_key", sa.String(40), nullable=False),
        sa.Column("method", sa.String(40), nullable=False),
        sa.Column("first_seen", sa.DateTime(), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_golden_member_key", "golden_member", ["entity_type", "golden_key"])
    op.create_table(
        "match_decision",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("entity_type", sa.String(32), nullable=False),
        sa.Column("member_id", sa.String(600), nullable=False),
        sa.Column("anchor_id", sa.String(600), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("decided_by", sa.String(200), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
        sa.Column("note", sa.Text()),
    )
    op.create_table(
        "match_review",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("entity_type", sa.String(32), nullable=False),
        sa.Column("member_id", sa.String(600), nullable=False),
        sa.Column("anchor_id", sa.String(600), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("first_seen", sa.DateTime(), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("match_review")
    op.drop_table("match_decision")
    op.drop_index("ix_golden_member_key", "golden_member")
    op.drop_table("golden_member")
