"""Alembic environment: run by bot.database.migrate with the engine in config.attributes."""

from alembic import context

from bot.records import Base

config = context.config
engine = config.attributes["engine"]

with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
