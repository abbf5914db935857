"""Loaders of accounts and their roles."""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter

from sqlalchemy import func, select

from parcourspro_gql.loaders.base import Loader, group_by, index_by
from parcourspro_gql.models import Account, AccountRole, Notification, Role


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
