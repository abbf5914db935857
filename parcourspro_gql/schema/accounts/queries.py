"""Account queries."""

from __future__ import annotations

import strawberry

from parcourspro_gql.schema.accounts.types import Account
from parcourspro_gql.schema.context import Info


@strawberry.type
class AccountQueries:
    @strawberry.field(description="The calling account, or null when anonymous.")
    async def me(self, info: Info) -> Account | None:
        viewer = info.context.viewer
        if viewer.account_id is None:
            return None
        row = await info.context.loaders.account_by_id.load(viewer.account_id)
        return Account.from_row(row) if row is not None else None
