"""Alembic environment: always handed an open connection by ReportStore.upgrade()."""

from alembic import context

from reconciler.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
