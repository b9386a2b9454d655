"""exception workflow: assignee, waiver requests awaiting a finance approver, notes with
attached documents; the audit log indexed by record (the history on each page) and
exceptions by money at risk (the queue's order) and by account (an account's page)

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("exception_case") as batch:
        batch.add_column(sa.Column("assigned_to", sa.String(200), nullable=True))
        batch.add_column(sa.Column("waiver_requested_by", sa.String(200), nullable=True))
    op.create_table(
        "exception_note",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String(40), nullable=False, index=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("file_name", sa.String(255), nullable=True),
        sa.Column("file_sha256", sa.String(64), nullable=True),
        sa.Column("file_size", sa.Integer(), nullable=True),
    )
    op.create_index("ix_audit_entity", "audit_log", ["entity", "entity_id"])
    op.create_index(
        "ix_exception_case_risk", "exception_case", [sa.text("amount_at_risk DESC"), "id"]
    )
    op.create_index("ix_exception_case_account", "exception_case", ["account_key"])


def downgrade() -> None:
    op.drop_index("ix_exception_case_account", "exception_case")
    op.drop_index("ix_exception_case_risk", "exception_case")
    op.drop_index("ix_audit_entity", "audit_log")
    op.drop_table("exception_note")
    with op.batch_alter_table("exception_case") as batch:
        batch.drop_column("waiver_requested_by")
        batch.drop_column("assigned_to")
