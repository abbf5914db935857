"""notificationsMarkRead: thin resolver."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from parcourspro_gql.domain import notifications as inbox
from parcourspro_gql.permissions import IsAuthenticated
from parcourspro_gql.schema.context import Info
from parcourspro_gql.schema.errors import OkPayload, transact
from parcourspro_gql.schema.relay import pk_of


@strawberry.input
class NotificationsMarkReadInput:
    ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="The notifications to mark; all of the caller's when empty or absent."
    )


@strawberry.type
class NotificationMutations:
    @strawberry.mutation(
        description="Marks some of the caller's notifications read, or all of them. Authenticated: one's own "
        "notifications only.",
        permission_classes=[IsAuthenticated],
    )
    async def notifications_mark_read(self, info: Info, input: NotificationsMarkReadInput) -> OkPayload:
        viewer = info.context.viewer
        ids = input.ids or []

        async def use_case(session: AsyncSession) -> int:
            pks = [pk_of(str(value), "Notification", "ids") for value in ids]
            return await inbox.mark_read(session, viewer, pks)

        marked, errors = await transact(info, use_case)
        return OkPayload(ok=marked is not None, errors=errors)
