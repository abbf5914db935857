"""Training and TrainingSession."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from parcourspro_gql import models
from parcourspro_gql.domain import catalogue, evaluations
from parcourspro_gql.domain import registrations as rules
from parcourspro_gql.domain.documents import days_between
from parcourspro_gql.domain.errors import DomainError
from parcourspro_gql.engine.execution import attached
from parcourspro_gql.engine.rows import NOT_READ, Fields, Related, build
from parcourspro_gql.loaders.catalogue import SessionsKey
from parcourspro_gql.loaders.pagination import Page, Total, encode_cursor, page_size
from parcourspro_gql.permissions import IsAuthenticated, IsProviderOf
from parcourspro_gql.schema.context import Info
from parcourspro_gql.schema.enums import RegistrationStatus, SessionStatus, TrainingFormat
from parcourspro_gql.schema.errors import UserError
from parcourspro_gql.schema.registrations.evaluation_types import EvaluationSummary
from parcourspro_gql.schema.relay import (
    Connection,
    Node,
    bad_argument,
    connection,
    node_resolver,
    refused,
    to_global_id,
)
from parcourspro_gql.schema.structures.types import Structure

if TYPE_CHECKING:
    from parcourspro_gql.schema.registrations.types import Registration

LazyRegistration = Annotated["Registration", strawberry.lazy("parcourspro_gql.schema.registrations.types")]
REGISTRATION_ORDER = (models.Registration.requested_at, models.Registration.id)


@strawberry.type
class TrainingSession(Node):
    pk: strawberry.Private[int]
    training_pk: strawberry.Private[int]
    starts_at: datetime
    ends_at: datetime
    location: str
    capacity: int
    seats_left: int
    registration_opens_at: datetime
    registration_closes_at: datetime
    half_days: int | None = strawberry.field(
        description="Number of half-days the session lasts, once set (by the provider's attendance record)."
    )
    status: SessionStatus
    cancellation_reason: str | None
    min_participants: int | None = strawberry.field(
        description="Below this number of accepted participants a week before the start, the provider and "
        "managers are warned."
    )
    contact: str | None = strawberry.field(
        description="Who to contact about the session (printed on convocations)."
    )
    second_phase_opens_at: datetime | None = strawberry.field(
        description="G5: before this moment (staggered opening), a person may hold only one request among the "
        "sessions still in their first phase; null when the session has no second phase."
    )
    # Attached when a list loaded it for the whole page; otherwise `training` asks the loader.
    training_obj: strawberry.Private[Training | None] = None

    @classmethod
    def from_row(cls, row: models.TrainingSession, training: Training | None = None) -> TrainingSession:
        return build(lambda v: cls(**SESSION_ROW.values(v), training_obj=training), row)

    @strawberry.field(
        description="People on the waiting list, in order (a person holding a seat offer has left it: his seat "
        "is counted in seatsLeft)."
    )
    async def waitlist_count(self, info: Info) -> int:
        return len(await info.context.loaders.waitlist_by_session_id.load(self.pk))

    @strawberry.field(description="The calendar days of the session, in Paris time.")
    def days(self) -> list[date]:
        return days_between(self.starts_at, self.ends_at)

    @strawberry.field(metadata=attached("training_obj"), graphql_type="Training")
    def training(self, info: Info) -> Training | Awaitable[Training]:
        # A sync resolver: a preloaded object costs no task; otherwise the awaitable is resolved by the executor.
        return self.training_obj or self._load_training(info)

    async def _load_training(self, info: Info) -> Training:
        row = await info.context.loaders.training_by_id.load(self.training_pk)
        assert row is not None
        return Training.from_row(row)

    @strawberry.field(
        description="Registrations for the session: its provider and managers only. Permission: IsProviderOf.",
        permission_classes=[IsAuthenticated, IsProviderOf],
    )
    async def registrations(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: RegistrationStatus | None = None,
    ) -> Connection[LazyRegistration]:
        from parcourspro_gql.schema.registrations.types import Registration as RegistrationType

        return await RegistrationType.connection(info, rules.of_session(self.pk, status), first, after)

    @strawberry.field(
        description="Satisfaction of the participants (Qualiopi indicator 30): its provider and managers "
        "only (null for anyone else)."
    )
    async def evaluation_summary(self, info: Info) -> EvaluationSummary | None:
        training = await info.context.loaders.training_by_id.load(self.training_pk)
        assert training is not None
        if not evaluations.can_read_summary(info.context.viewer, training.provider_structure_id):
            return None
        return EvaluationSummary.of(await info.context.loaders.evaluation_summary_by_session_id.load(self.pk))


@strawberry.type
class Training(Node):
    pk: strawberry.Private[int]
    provider_pk: strawberry.Private[int]
    title: str
    description: str
    objectives: str
    format: TrainingFormat
    reserved_to_members: bool
    duration_hours: float
    content: str = strawberry.field(description="What the action covers (D1); empty until given.")
    assessment: str = strawberry.field(description="How it runs and is assessed (D1); empty until given.")
    provider_obj: strawberry.Private[Structure | None] = None

    @classmethod
    def from_row(cls, row: models.Training, provider: Structure | None = None) -> Training:
        return build(lambda v: cls(**TRAINING_ROW.values(v), provider_obj=provider), row)

    @strawberry.field(
        description="Whether the caller keeps this training in his favourites (false when anonymous)."
    )
    async def is_favourite(self, info: Info) -> bool:
        account_id = info.context.viewer.account_id
        if account_id is None:
            return False
        return self.pk in await info.context.loaders.favourite_training_ids_by_account_id.load(account_id)

    @strawberry.field(metadata=attached("provider_obj"), graphql_type=Structure)
    def provider(self, info: Info) -> Structure | Awaitable[Structure]:
        return self.provider_obj or self._load_provider(info)

    async def _load_provider(self, info: Info) -> Structure:
        row = await info.context.loaders.structure_by_id.load(self.provider_pk)
        assert row is not None
        return Structure.from_row(row)

    @strawberry.field
    async def sessions(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[TrainingSession]:
        # Upcoming sessions first. The first page of every training of a catalogue page comes from one
        # batched statement that stops at `first + 1` sessions each; a later page (rare: `after`) reads the
        # training's sessions and is cut here.
        try:
            limit = page_size(first)
        except ValueError as error:
            raise bad_argument(error) from error
        loaders = info.context.loaders
        rows = await loaders.sessions_by_training_id.load(
            SessionsKey(self.pk, limit + 1 if after is None else None)
        )
        keys = [(row.starts_at, row.id) for row in rows]
        cursors = [encode_cursor(key) for key in keys] if after is not None else []
        start = cursors.index(after) + 1 if after in cursors else 0
        if after is not None and after not in cursors:
            raise bad_argument(ValueError("Curseur « after » invalide."))
        chosen = rows[start : start + limit]
        complete = after is not None or len(rows) <= limit

        async def count() -> Total:
            return Total(len(rows) if complete else await loaders.session_count_by_training_id.load(self.pk))

        page = Page(chosen, keys[start : start + limit], start + limit < len(rows), start > 0, count)
        return Connection.from_page(page, TrainingSession.from_row)


@node_resolver("Training")
async def training_node(info: Info, pk: int) -> Training | None:
    row = await info.context.loaders.training_by_id.load(pk)
    return Training.from_row(row) if row else None


@node_resolver("TrainingSession")
async def session_node(info: Info, pk: int) -> TrainingSession | None:
    row = await info.context.loaders.session_by_id.load(pk)
    return TrainingSession.from_row(row) if row else None


# The plain fields of a session and of a training, read from their rows (engine/rows.py's Fields): what
# `from_row` builds them from, and what a row plan answers a page's sessions and trainings from.
SESSION_ROW = Fields(
    nested={"training_obj": Related("training", "training_id")},
    id=lambda v: strawberry.ID(to_global_id("TrainingSession", v["id"])),
    pk="id",
    training_pk="training_id",
    seats_left=lambda v: v["capacity"] - v["seats_taken"] if v["seats_taken"] is not None else NOT_READ,
    second_phase_opens_at="second_phase_at",
    status=lambda v: SessionStatus.CANCELLED if v["cancelled_at"] else SessionStatus.SCHEDULED,
    contact=lambda v: v["contact"] or None,
    cancellation_reason="cancellation_reason",
    min_participants="min_participants",
    starts_at="starts_at",
    ends_at="ends_at",
    location="location",
    capacity="capacity",
    registration_opens_at="registration_opens_at",
    registration_closes_at="registration_closes_at",
    half_days="half_days",
)
TRAINING_ROW = Fields(
    id=lambda v: strawberry.ID(to_global_id("Training", v["id"])),
    pk="id",
    provider_pk="provider_structure_id",
    title="title",
    description="description",
    objectives="objectives",
    content="content",
    assessment="assessment",
    format="format",
    reserved_to_members="reserved_to_members",
    duration_hours="duration_hours",
)
TrainingSession.ROW_FIELDS = SESSION_ROW  # type: ignore[attr-defined]
Training.ROW_FIELDS = TRAINING_ROW  # type: ignore[attr-defined]


@strawberry.type
class TrainingPayload:
    training: Training | None
    errors: list[UserError]


@strawberry.type
class TrainingSessionPayload:
    session: TrainingSession | None
    errors: list[UserError]


async def catalogue_page(
    info: Info, search: str | None, format: models.TrainingFormat | None, first: int | None, after: str | None
) -> Connection[Training]:
    try:
        statement = catalogue.catalogue(search, format)
    except DomainError as error:
        raise refused(error) from error
    return await connection(
        info,
        statement,
        (models.Training.title, models.Training.id),
        Training.from_row,
        first,
        after,
        search=bool(search and search.split()),
    )


__all__ = ["REGISTRATION_ORDER", "Training", "TrainingSession", "catalogue_page"]
