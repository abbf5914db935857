"""Notification, NotificationKind and the connection of an account's inbox (N1)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from parcourspro_gql import models
from parcourspro_gql.domain import accounts, structures
from parcourspro_gql.domain import notifications as inbox
from parcourspro_gql.domain import registrations as rules
from parcourspro_gql.engine.rows import build
from parcourspro_gql.schema.context import Info
from parcourspro_gql.schema.relay import Connection, Node, connection, node_resolver, to_global_id

if TYPE_CHECKING:
    from parcourspro_gql.schema.accounts.types import Account
    from parcourspro_gql.schema.catalogue.types import TrainingSession
    from parcourspro_gql.schema.registrations.types import Registration
    from parcourspro_gql.schema.structures.types import Structure

LazyAccount = Annotated["Account", strawberry.lazy("parcourspro_gql.schema.accounts.types")]
LazySession = Annotated["TrainingSession", strawberry.lazy("parcourspro_gql.schema.catalogue.types")]
LazyRegistration = Annotated["Registration", strawberry.lazy("parcourspro_gql.schema.registrations.types")]
LazyStructure = Annotated["Structure", strawberry.lazy("parcourspro_gql.schema.structures.types")]

# Marked in place (see schema/enums.py): type checkers keep seeing the model's enum.
strawberry.enum(
    models.NotificationKind,
    name="NotificationKind",
    description="Why a notification was sent: what the person must do or know.",
)
NotificationKind = models.NotificationKind

# Newest first: the id grows with time and is unique, so it alone orders the inbox and its cursors.
NOTIFICATION_ORDER = (models.Notification.id,)


@strawberry.type(
    description="A message for one account, kept in its inbox and pushed live through "
    "Subscription.notificationAdded."
)
class Notification(Node):
    pk: strawberry.Private[int]
    registration_pk: strawberry.Private[int | None]
    session_pk: strawberry.Private[int | None]
    structure_pk: strawberry.Private[int | None]
    account_pk: strawberry.Private[int | None]
    kind: NotificationKind
    message: str = strawberry.field(description="One sentence in French, ready to show.")
    created_at: datetime
    read_at: datetime | None

    @classmethod
    def from_row(cls, row: models.Notification) -> Notification:
        return build(
            lambda v: cls(
                id=strawberry.ID(to_global_id("Notification", v["id"])),
                pk=v["id"],
                registration_pk=v["registration_id"],
                session_pk=v["session_id"],
                structure_pk=v["structure_id"],
                account_pk=v["about_account_id"],
                kind=v["kind"],
                message=v["message"],
                created_at=v["created_at"],
                read_at=v["read_at"],
            ),
            row,
        )

    @strawberry.field(description="The registration it is about, when the caller may still see it.")
    async def registration(self, info: Info) -> LazyRegistration | None:
        from parcourspro_gql.schema.registrations.types import Registration

        if self.registration_pk is None:
            return None
        loaders = info.context.loaders
        row = await loaders.registration_by_id.load(self.registration_pk)
        if row is None:
            return None
        training = await loaders.training_by_id.load(row.training_id)
        if training is None or not rules.can_view(info.context.viewer, row, training.provider_structure_id):
            return None
        return Registration.from_row(row)

    @strawberry.field(description="The training session it is about.")
    async def session(self, info: Info) -> LazySession | None:
        from parcourspro_gql.schema.catalogue.types import TrainingSession

        if self.session_pk is None:
            return None
        row = await info.context.loaders.session_by_id.load(self.session_pk)
        return TrainingSession.from_row(row) if row is not None else None

    @strawberry.field(description="The structure it is about, when the caller may see it.")
    async def structure(self, info: Info) -> LazyStructure | None:
        from parcourspro_gql.schema.structures.types import Structure

        if self.structure_pk is None:
            return None
        row = await info.context.loaders.structure_by_id.load(self.structure_pk)
        if row is None or not structures.can_view(info.context.viewer, row):
            return None
        return Structure.from_row(row)

    @strawberry.field(
        description="The account it is about (who asks to join, say), when the caller may see it."
    )
    async def account(self, info: Info) -> LazyAccount | None:
        from parcourspro_gql.schema.accounts.types import Account

        if self.account_pk is None:
            return None
        row = await info.context.loaders.account_by_id.load(self.account_pk)
        if row is None or not accounts.can_view(info.context.viewer, row):
            return None
        return Account.from_row(row)

    @staticmethod
    async def inbox(
        info: Info, account_pk: int, first: int | None, after: str | None, unread_only: bool
    ) -> Connection[Notification]:
        return await connection(
            info,
            inbox.inbox_of(unread_only),
            NOTIFICATION_ORDER,
            Notification.from_row,
            first,
            after,
            params={"owner": account_pk},
            shape=("inbox", unread_only),
            descending=True,
        )


@node_resolver("Notification")
async def notification_node(info: Info, pk: int) -> Notification | None:
    async with info.context.db.read() as session:
        row = await session.get(models.Notification, pk)
    if row is None or not inbox.can_view(info.context.viewer, row):
        return None
    return Notification.from_row(row)
