"""Migrations are the only way the schema is made, and they agree with the models."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import parcourspro_gql.models  # noqa: F401
from parcourspro_gql.db import Base, create_engine
from parcourspro_gql.migrate import alembic_config, upgrade


def _differences(connection) -> list:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return compare_metadata(context, Base.metadata)


def _downgrade_to_base(connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, "base")


async def test_migrate_an_empty_database_then_models_and_database_agree(empty_database_url):
    engine = create_engine(empty_database_url)
    try:
        await upgrade(engine)
        async with engine.connect() as connection:
            assert await connection.run_sync(_differences) == []
            tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert set(Base.metadata.tables) | {"alembic_version"} == tables
        # Down to nothing and up again: every migration can be undone.
        async with engine.connect() as connection:
            await connection.run_sync(_downgrade_to_base)
            await connection.commit()
            assert await connection.run_sync(lambda c: set(inspect(c).get_table_names())) == {
                "alembic_version"
            }
        await upgrade(engine)
        async with engine.connect() as connection:
            assert await connection.run_sync(_differences) == []
    finally:
        await engine.dispose()


async def test_migrate_is_idempotent(empty_database_url):
    engine = create_engine(empty_database_url)
    try:
        await upgrade(engine)
        await upgrade(engine)
        async with engine.connect() as connection:
            assert await connection.run_sync(_differences) == []
    finally:
        await engine.dispose()
