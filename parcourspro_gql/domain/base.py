"""What every use case needs beside its session: its settings, and the checks that recur across areas."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from parcourspro_gql.auth.viewer import Viewer
from parcourspro_gql.config import Settings
from parcourspro_gql.domain.errors import DomainError, ErrorCode

T = TypeVar("T")


def settings_of(session: AsyncSession) -> Settings:
    """The settings the session's Database was built with (RULES.md numbers are settings)."""
    settings = session.info.get("settings")
    return settings if isinstance(settings, Settings) else Settings()


def require_manager(viewer: Viewer) -> None:
    """R3: decisions that only Cap Métiers managers take."""
    if not viewer.is_manager:
        raise DomainError(ErrorCode.FORBIDDEN, "Action réservée aux gestionnaires de Cap Métiers.")


def required_reason(reason: str | None, what: str = "du refus") -> str:
    """A decision's reason (refusal, rejection, withdrawal): 3 to 2,000 characters once spaces are folded."""
    folded = " ".join((reason or "").split())
    if not 3 <= len(folded) <= 2000:
        raise DomainError(ErrorCode.INVALID_INPUT, f"Indiquez le motif {what}.", "reason")
    return folded


async def get_or_refuse(
    session: AsyncSession, model: type[T], pk: int, field: str, message: str, *, for_update: bool = False
) -> T:
    """The row of `model` with primary key `pk`, or a NOT_FOUND refusal naming the input field."""
    row = await session.get(model, pk, with_for_update=for_update)
    if row is None:
        raise DomainError(ErrorCode.NOT_FOUND, message, field)
    return row
