"""exception cases: status, owner and history of every exception a rule raised

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "exception_case",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("rule", sa.String(64), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("owner", sa.String(200)),
        sa.Column("account_key", sa.String(40)),
        sa.Column("amount_at_risk", sa.Numeric(18, 2)),
        sa.Column("detail", sa.Text()),
        sa.Column("source_refs", sa.Text()),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text()),
        sa.Column("first_seen", sa.Date(), nullable=False),
        sa.Column("last_seen", sa.Date(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_exception_case_status", "exception_case", ["status", "rule"])


def downgrade() -> None:
    op.drop_index("ix_exception_case_status", "exception_case")
    op.drop_table("exception_case")
