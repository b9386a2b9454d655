"""period close: prepared, signed off by another person, frozen figures

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "period_close",
        sa.Column("period", sa.String(7), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("run_id", sa.String(40)),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("prepared_by", sa.String(200), nullable=False),
        sa.Column("prepared_at", sa.DateTime(), nullable=False),
        sa.Column("signed_off_by", sa.String(200)),
        sa.Column("signed_off_at", sa.DateTime()),
    )


def downgrade() -> None:
    op.drop_table("period_close")
