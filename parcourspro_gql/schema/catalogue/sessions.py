"""trainingSessionUpdate (T3) and trainingSessionCancel (T4): thin resolvers over domain.sessions."""

from __future__ import annotations

from datetime import datetime

import strawberry

from parcourspro_gql.domain import sessions
from parcourspro_gql.permissions import IsAuthenticated
from parcourspro_gql.schema.catalogue.types import TrainingSession, TrainingSessionPayload
from parcourspro_gql.schema.context import Info
from parcourspro_gql.schema.errors import attempt, transact
from parcourspro_gql.schema.relay import pk_of


@strawberry.input(
    description="Only the fields given change. Dates, place or capacity changes are told to everyone "
    "registered, with the reason."
)
class TrainingSessionUpdateInput:
    session_id: strawberry.ID
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    location: str | None = None
    capacity: int | None = strawberry.field(
        default=None, description="Never below the seats already given (INVALID_INPUT)."
    )
    registration_opens_at: datetime | None = None
    registration_closes_at: datetime | None = None
    second_phase_opens_at: datetime | None = None
    min_participants: int | None = None
    contact: str | None = strawberry.field(default=None, description="An empty string clears it.")
    reason: str | None = strawberry.field(
        default=None,
        description="Required when dates, place or capacity change: told to everyone registered.",
    )


@strawberry.input
class TrainingSessionCancelInput:
    session_id: strawberry.ID
    reason: str


@strawberry.type
class SessionMutations:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="The training's provider or a manager changes a session before it starts (T3).",
    )
    async def training_session_update(
        self, info: Info, input: TrainingSessionUpdateInput
    ) -> TrainingSessionPayload:
        changes = sessions.SessionChanges(
            starts_at=input.starts_at,
            ends_at=input.ends_at,
            location=input.location,
            capacity=input.capacity,
            registration_opens_at=input.registration_opens_at,
            registration_closes_at=input.registration_closes_at,
            second_phase_at=input.second_phase_opens_at,
            min_participants=input.min_participants,
            contact=input.contact,
            reason=input.reason,
        )

        async def call() -> TrainingSession:
            row = await sessions.change(
                info.context.db,
                info.context.viewer,
                pk_of(input.session_id, "TrainingSession", "sessionId"),
                changes,
            )
            info.context.renew_loaders()
            return TrainingSession.from_row(row)

        item, errors = await attempt(call)
        return TrainingSessionPayload(session=item, errors=errors)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="The training's provider or a manager cancels a session before it starts, with a reason: "
        "every live registration is cancelled and told (T4).",
    )
    async def training_session_cancel(
        self, info: Info, input: TrainingSessionCancelInput
    ) -> TrainingSessionPayload:
        row, errors = await transact(
            info,
            lambda session: sessions.cancel(
                session,
                info.context.viewer,
                pk_of(input.session_id, "TrainingSession", "sessionId"),
                input.reason,
            ),
        )
        return TrainingSessionPayload(session=TrainingSession.from_row(row) if row else None, errors=errors)
