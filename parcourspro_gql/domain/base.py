"""What every use case needs beside its session: the settings it was configured with."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from parcourspro_gql.config import Settings


def settings_of(session: AsyncSession) -> Settings:
    """The settings the session's Database was built with (RULES.md numbers are settings)."""
    settings = session.info.get("settings")
    return settings if isinstance(settings, Settings) else Settings()
