"""Account queries."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import strawberry
from strawberry.scalars import JSON

from parcourspro_gql.domain import privacy
from parcourspro_gql.permissions import IsAuthenticated, token_expired
from parcourspro_gql.schema.accounts.types import Account
from parcourspro_gql.schema.context import Info


async def _load_me(info: Info, account_id: int) -> Account | None:
    row = await info.context.loaders.account_by_id.load(account_id)
    return Account.from_row(row) if row is not None else None


@strawberry.type
class AccountQueries:
    @strawberry.field(
        description="The calling account, or null when anonymous; a TOKEN_EXPIRED error when the access token "
        "sent has expired.",
        graphql_type=Account | None,
    )
    def me(self, info: Info) -> Account | Awaitable[Account | None] | None:
        # Sync: the row that authentication read is at hand; otherwise the executor awaits the loader.
        account_id = info.context.viewer.account_id
        if account_id is None:
            if info.context.token_expired:
                raise token_expired()
            return None
        row = info.context.caller_row(account_id)
        return Account.from_row(row) if row is not None else _load_me(info, account_id)

    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="Everything the platform holds about the caller (GDPR access and portability), as JSON: "
        "account, structure, registrations with decisions and attendance, favourites, emails, sessions, logins "
        "and the history of what was done with his data.",
    )
    async def my_data_export(self, info: Info) -> JSON:
        async with info.context.db.transaction() as session:  # one snapshot of every table
            data: dict[str, Any] = await privacy.export_data(session, info.context.viewer)
        return JSON(data)
