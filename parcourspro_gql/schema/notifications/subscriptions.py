"""Subscription: notificationAdded and sessionSeatsChanged, pushed over graphql-transport-ws (N2)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING, Annotated

import strawberry
from graphql import GraphQLError

from parcourspro_gql import models
from parcourspro_gql.domain import notifications as inbox
from parcourspro_gql.events import Event, broker, notification_topic, seats_topic
from parcourspro_gql.events.listener import ensure_listening
from parcourspro_gql.permissions import IsAuthenticated
from parcourspro_gql.schema.context import Info
from parcourspro_gql.schema.notifications.types import Notification
from parcourspro_gql.schema.relay import from_global_id

if TYPE_CHECKING:
    from parcourspro_gql.schema.catalogue.types import TrainingSession

LazySession = Annotated["TrainingSession", strawberry.lazy("parcourspro_gql.schema.catalogue.types")]


def _not_found() -> GraphQLError:
    return GraphQLError("Session introuvable.", extensions={"code": "NOT_FOUND"})


async def _session_row(info: Info, pk: int) -> models.TrainingSession | None:
    async with info.context.db.read() as session:
        return await session.get(models.TrainingSession, pk)


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Each new notification of the caller as it is created, by whichever server process "
        '(authenticated through connection_init\'s payload {Authorization: "Bearer ..."}).',
        permission_classes=[IsAuthenticated],
    )
    async def notification_added(self, info: Info) -> AsyncGenerator[Notification, None]:
        context = info.context
        account_id = context.viewer.account_id
        assert account_id is not None  # IsAuthenticated
        async with broker.subscribe(notification_topic(account_id)) as queue:
            await ensure_listening(context.db.url, broker)
            while True:
                event = await queue.get()
                # The context lives as long as the socket: each event is resolved with fresh loaders.
                context.renew_loaders()
                yield Notification.from_row(inbox.from_event(event.data))

    @strawberry.subscription(
        description="A session as its seats change (selection, cancellation, offer, capacity). Public."
    )
    async def session_seats_changed(
        self, info: Info, session_id: strawberry.ID
    ) -> AsyncGenerator[LazySession, None]:
        from parcourspro_gql.schema.catalogue.types import TrainingSession

        context = info.context
        try:
            type_name, pk = from_global_id(str(session_id))
        except ValueError:
            raise _not_found() from None
        if type_name != "TrainingSession":
            raise _not_found()
        # Registered before the first read: a change committed while it runs is not missed.
        async with broker.subscribe(seats_topic(pk)) as queue:
            await ensure_listening(context.db.url, broker)
            if await _session_row(info, pk) is None:
                raise _not_found()
            while True:
                event: Event = await queue.get()
                # One read per event and process, shared by every socket that follows this session.
                row = await event.shared("row", lambda: _session_row(info, pk))
                if row is None:
                    return
                context.renew_loaders()
                yield TrainingSession.from_row(row)
