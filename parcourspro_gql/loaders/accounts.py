"""Loaders of accounts and their roles."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from operator import attrgetter
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.sql import Select

from parcourspro_gql.loaders.base import Loader, group_by, index_by
from parcourspro_gql.models import (
    LIVE_STATUSES,
    Account,
    AccountRole,
    Notification,
    Registration,
    Role,
    Training,
    TrainingFormat,
    TrainingSession,
)

PARIS = ZoneInfo("Europe/Paris")


class AccountByIdLoader(Loader[int, Account | None]):
    async def batch_load_fn(self, keys: Sequence[int]) -> list[Account | None]:
        rows = await self.fetch_all(select(Account).where(Account.id.in_(keys)))
        return index_by(rows, attrgetter("id"), keys)


class RolesByAccountIdLoader(Loader[int, list[Role]]):
    """The roles granted on top of BENEFICIARY, which every account holds."""

    async def batch_load_fn(self, keys: Sequence[int]) -> list[list[Role]]:
        rows = await self.fetch_all(
            select(AccountRole).where(AccountRole.account_id.in_(keys)).order_by(AccountRole.role)
        )
        return [[row.role for row in group] for group in group_by(rows, attrgetter("account_id"), keys)]


class UnreadNotificationCountByAccountIdLoader(Loader[int, int]):
    """Account.unreadNotificationCount: one grouped count for every account of the request."""

    async def batch_load_fn(self, keys: Sequence[int]) -> list[int]:
        async with self.db.read() as session:
            rows = await session.execute(
                select(Notification.account_id, func.count())
                .where(Notification.account_id.in_(keys), Notification.read_at.is_(None))
                .group_by(Notification.account_id)
            )
            counts: dict[int, int] = dict(rows.all())
        return [counts.get(key, 0) for key in keys]


def quota_statement(year: int) -> Select[int, int, int]:
    """G3, G11: per person, the registrations that count in `year`'s quotas (live, for a member-reserved
    training, in a session starting that calendar year in Paris) and how many of them are FORMATIONs. One
    rule for Account.quota (this loader) and the request's refusal (domain.registrations reads it: loaders sit
    below domain). Rows (beneficiary_id, used, formations); the caller narrows it to the people it asks about."""
    start = datetime(year, 1, 1, tzinfo=PARIS).astimezone(UTC)
    end = datetime(year + 1, 1, 1, tzinfo=PARIS).astimezone(UTC)
    return (
        select(
            Registration.beneficiary_id,
            func.count(),
            func.count().filter(Training.format == TrainingFormat.FORMATION),
        )
        .join(TrainingSession, TrainingSession.id == Registration.session_id)
        .join(Training, Training.id == Registration.training_id)
        .where(
            Registration.status.in_(LIVE_STATUSES),
            Training.reserved_to_members.is_(True),
            TrainingSession.starts_at >= start,
            TrainingSession.starts_at < end,
        )
        .group_by(Registration.beneficiary_id)
    )


class QuotaByAccountYearLoader(Loader[tuple[int, int], tuple[int, int]]):
    """(used, formations used) of G3's quotas per (account, year): one statement per year asked, whatever the
    number of accounts."""

    async def batch_load_fn(self, keys: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
        found: dict[tuple[int, int], tuple[int, int]] = {}
        async with self.db.read() as session:
            for year in sorted({year for _, year in keys}):
                accounts = sorted({pk for pk, wanted in keys if wanted == year})
                rows = await session.execute(
                    quota_statement(year).where(Registration.beneficiary_id.in_(accounts))
                )
                found.update({(row[0], year): (int(row[1]), int(row[2])) for row in rows})
        return [found.get(key, (0, 0)) for key in keys]
