"""Alembic migrations, the only way the schema is created (in tests too)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

_PACKAGE = Path(__file__).resolve().parent


def alembic_config(database_url: str | None = None) -> Config:
    """The Alembic config, found in the checkout (editable install) or inside the installed wheel."""
    for ini in (_PACKAGE.parent / "alembic.ini", _PACKAGE / "_migrations" / "alembic.ini"):
        if ini.exists():
            config = Config(str(ini))
            if ini.parent == _PACKAGE / "_migrations":
                config.set_main_option("script_location", str(ini.parent))
            break
    else:  # pragma: no cover - a broken install
        raise RuntimeError("alembic.ini not found next to the package")
    if database_url:
        config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the database of `engine` to `revision`."""

    def _upgrade(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async with engine.connect() as connection:
        await connection.run_sync(_upgrade)
        await connection.commit()
