"""account health history: each run's score, band, stage and reasons per customer

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account_health_score",
        sa.Column("account_key", sa.String(64), primary_key=True),
        sa.Column("as_of", sa.Date(), primary_key=True),
        sa.Column("score", sa.Numeric(9, 2), nullable=False),
        sa.Column("band", sa.String(8), nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("account_health_score")
