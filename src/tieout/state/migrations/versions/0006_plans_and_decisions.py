"""plans and decisions: plan versions with targets and commitments, variance explanations,
decision requests

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plan_version",
        sa.Column("plan", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("source_file", sa.String(400), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("cadence", sa.String(16), nullable=False),
        sa.Column("review_day", sa.Integer(), nullable=False),
        sa.Column("threshold_pct", sa.Numeric(9, 4), nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("approved_by", sa.String(200)),
        sa.Column("approved_at", sa.DateTime()),
    )
    op.create_table(
        "plan_target_row",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("plan", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("metric", sa.String(64), nullable=False),
        sa.Column("dimension", sa.String(32)),
        sa.Column("member", sa.String(200)),
        sa.Column("value", sa.Numeric(18, 4), nullable=False),
    )
    op.create_index("ix_plan_target_row_version", "plan_target_row", ["plan", "version"])
    op.create_table(
        "plan_commitment_row",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("plan", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("campaign", sa.String(200), nullable=False),
        sa.Column("metric", sa.String(64), nullable=False),
        sa.Column("value", sa.Numeric(18, 4), nullable=False),
        sa.Column("committed_by", sa.String(200), nullable=False),
    )
    op.create_index("ix_plan_commitment_row_version", "plan_commitment_row", ["plan", "version"])
    op.create_table(
        "variance_explanation",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("plan", sa.String(64), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("metric", sa.String(64), nullable=False),
        sa.Column("dimension", sa.String(32)),
        sa.Column("member", sa.String(200)),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("by", sa.String(200), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_variance_explanation_plan", "variance_explanation", ["plan", "period"])
    op.create_table(
        "decision_request",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("account_key", sa.String(40), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("amount_at_stake", sa.Numeric(18, 2)),
        sa.Column("raised_by", sa.String(200), nullable=False),
        sa.Column("raised_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("decision", sa.Text()),
        sa.Column("rationale", sa.Text()),
        sa.Column("decided_by", sa.String(200)),
        sa.Column("decided_at", sa.DateTime()),
        sa.Column("cleared_on", sa.Date()),
    )
    op.create_index("ix_decision_request_status", "decision_request", ["status", "due_date"])


def downgrade() -> None:
    op.drop_index("ix_decision_request_status", "decision_request")
    op.drop_table("decision_request")
    op.drop_index("ix_variance_explanation_plan", "variance_explanation")
    op.drop_table("variance_explanation")
    op.drop_index("ix_plan_commitment_row_version", "plan_commitment_row")
    op.drop_table("plan_commitment_row")
    op.drop_index("ix_plan_target_row_version", "plan_target_row")
    op.drop_table("plan_target_row")
    op.drop_table("plan_version")
