"""trainingCreate, trainingSessionCreate."""

from __future__ import annotations

from datetime import datetime

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from parcourspro_gql import models
from parcourspro_gql.domain import catalogue
from parcourspro_gql.permissions import IsAuthenticated
from parcourspro_gql.schema.catalogue.types import (
    Training,
    TrainingPayload,
    TrainingSession,
    TrainingSessionPayload,
)
from parcourspro_gql.schema.context import Info
from parcourspro_gql.schema.enums import TrainingFormat
from parcourspro_gql.schema.errors import transact
from parcourspro_gql.schema.relay import pk_of


@strawberry.input
class TrainingCreateInput:
    title: str
    description: str
    objectives: str
    format: TrainingFormat
    reserved_to_members: bool
    duration_hours: float
    provider_structure_id: strawberry.ID
    content: str | None = strawberry.field(
        default=None, description="What the action covers (printed on the convention, D1)."
    )
    assessment: str | None = strawberry.field(
        default=None, description="How the action runs and is assessed (printed on the convention, D1)."
    )


@strawberry.input(description="Only the fields given change.")
class TrainingUpdateInput:
    training_id: strawberry.ID
    title: str | None = None
    description: str | None = None
    objectives: str | None = None
    content: str | None = None
    assessment: str | None = None
    duration_hours: float | None = None
    reserved_to_members: bool | None = None


@strawberry.input
class TrainingSessionCreateInput:
    training_id: strawberry.ID
    starts_at: datetime
    ends_at: datetime
    location: str
    capacity: int
    registration_opens_at: datetime
    registration_closes_at: datetime
    min_participants: int | None = strawberry.field(
        default=None,
        description="Below this number of accepted participants a week before the start, the provider and "
        "managers are warned.",
    )
    contact: str | None = strawberry.field(
        default=None, description="Who to contact about the session (printed on convocations)."
    )
    second_phase_opens_at: datetime | None = strawberry.field(
        default=None,
        description="G5: staggered opening (when enabled): before this moment a person may hold only one request "
        "among the sessions still in their first phase. Within the registration window.",
    )


@strawberry.input
class FavouriteInput:
    training_id: strawberry.ID


@strawberry.type
class CatalogueMutations:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated], description="Keeps a training in the favourites."
    )
    async def favourite_add(self, info: Info, input: FavouriteInput) -> TrainingPayload:
        row, errors = await transact(
            info,
            lambda session: catalogue.add_favourite(
                session, info.context.viewer, pk_of(input.training_id, "Training", "trainingId")
            ),
        )
        return TrainingPayload(training=Training.from_row(row) if row else None, errors=errors)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated], description="Takes a training out of the favourites."
    )
    async def favourite_remove(self, info: Info, input: FavouriteInput) -> TrainingPayload:
        row, errors = await transact(
            info,
            lambda session: catalogue.remove_favourite(
                session, info.context.viewer, pk_of(input.training_id, "Training", "trainingId")
            ),
        )
        return TrainingPayload(training=Training.from_row(row) if row else None, errors=errors)

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    async def training_create(self, info: Info, input: TrainingCreateInput) -> TrainingPayload:
        async def use_case(session: AsyncSession) -> models.Training:
            data = catalogue.TrainingData(
                title=input.title,
                description=input.description,
                objectives=input.objectives,
                format=models.TrainingFormat(input.format.value),
                reserved_to_members=input.reserved_to_members,
                duration_hours=input.duration_hours,
                provider_structure_id=pk_of(input.provider_structure_id, "Structure", "providerStructureId"),
                content=input.content,
                assessment=input.assessment,
            )
            return await catalogue.create_training(session, info.context.viewer, data)

        row, errors = await transact(info, use_case)
        return TrainingPayload(training=Training.from_row(row) if row else None, errors=errors)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated], description="Managers correct a training (audited)."
    )
    async def training_update(self, info: Info, input: TrainingUpdateInput) -> TrainingPayload:
        changes = catalogue.TrainingChanges(
            title=input.title,
            description=input.description,
            objectives=input.objectives,
            content=input.content,
            assessment=input.assessment,
            duration_hours=input.duration_hours,
            reserved_to_members=input.reserved_to_members,
        )
        row, errors = await transact(
            info,
            lambda session: catalogue.update_training(
                session, info.context.viewer, pk_of(input.training_id, "Training", "trainingId"), changes
            ),
        )
        return TrainingPayload(training=Training.from_row(row) if row else None, errors=errors)

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    async def training_session_create(
        self, info: Info, input: TrainingSessionCreateInput
    ) -> TrainingSessionPayload:
        async def use_case(session: AsyncSession) -> models.TrainingSession:
            data = catalogue.SessionData(
                training_id=pk_of(input.training_id, "Training", "trainingId"),
                starts_at=input.starts_at,
                ends_at=input.ends_at,
                location=input.location,
                capacity=input.capacity,
                registration_opens_at=input.registration_opens_at,
                registration_closes_at=input.registration_closes_at,
                min_participants=input.min_participants,
                contact=input.contact,
                second_phase_at=input.second_phase_opens_at,
            )
            return await catalogue.create_session(session, info.context.viewer, data)

        row, errors = await transact(info, use_case)
        return TrainingSessionPayload(session=TrainingSession.from_row(row) if row else None, errors=errors)
