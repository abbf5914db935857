"""Loaders of accounts and their roles."""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter

from sqlalchemy import select

from parcourspro_gql.loaders.base import Loader, group_by, index_by
from parcourspro_gql.models import Account, AccountRole, Registration, Role


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


class QuotaByAccountYearLoader(Loader[tuple[int, int], tuple[int, int]]):
    """(used, formations used) of G3's quotas per (account, year): one statement per year asked, whatever the
    number of accounts. What counts is the domain's rule (domain.registrations.quota_statement)."""

    async def batch_load_fn(self, keys: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
        from parcourspro_gql.domain.registrations import quota_statement

        found: dict[tuple[int, int], tuple[int, int]] = {}
        async with self.db.read() as session:
            for year in sorted({year for _, year in keys}):
                accounts = sorted({pk for pk, wanted in keys if wanted == year})
                rows = await session.execute(
                    quota_statement(year).where(Registration.beneficiary_id.in_(accounts))
                )
                found.update({(row[0], year): (int(row[1]), int(row[2])) for row in rows})
        return [found.get(key, (0, 0)) for key in keys]
