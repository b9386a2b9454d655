"""metric versions: the definition digest each metric version had when first used

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "metric_version",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("digest", sa.String(32), nullable=False),
        sa.Column("first_used", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("metric_version")
