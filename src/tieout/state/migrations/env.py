"""Alembic environment: the store hands over its open connection (see StateStore.upgrade)."""

from alembic import context

from tieout.state.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
