"""What Cap Métiers' managers have to review, and how late they are (S3)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from parcourspro_gql import models
from parcourspro_gql.domain import affiliation, structures


async def overdue_count(session: AsyncSession, requested_before: datetime) -> int:
    """How many structure requests and affiliations still wait for a decision and were asked before
    `requested_before` (now less the promised review delay), in one statement."""
    overdue = union_all(
        structures.pending_structures()
        .where(models.Structure.requested_at < requested_before)
        .with_only_columns(models.Structure.id),
        affiliation.pending_affiliations(None)
        .where(models.Account.affiliation_requested_at < requested_before)
        .with_only_columns(models.Account.id),
    ).subquery()
    return int(await session.scalar(select(func.count()).select_from(overdue)) or 0)
