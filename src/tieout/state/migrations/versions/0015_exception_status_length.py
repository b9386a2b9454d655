"""exception_case.status holds 32 characters: 'resolve_requested' has 17, one more than the
16 the column had. PostgreSQL enforces the length (a resolve waiting for approval failed
there); SQLite ignores declared lengths, so its table is left as it is rather than rebuilt.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.alter_column("exception_case", "status", type_=sa.String(32), existing_type=sa.String(16))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.alter_column("exception_case", "status", type_=sa.String(16), existing_type=sa.String(32))
