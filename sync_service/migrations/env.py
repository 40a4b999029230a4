"""Alembic environment: runs on the connection the service hands it (see db.upgrade)."""
from alembic import context

from sync_service.store.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
