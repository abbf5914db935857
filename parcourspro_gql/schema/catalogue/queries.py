"""The public catalogue: trainings, and upcoming sessions with filters; a provider's own sessions."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Annotated, Any

import strawberry

from parcourspro_gql import models
from parcourspro_gql.clock import clock
from parcourspro_gql.domain.errors import DomainError
from parcourspro_gql.domain.search import search_words
from parcourspro_gql.loaders import catalogue as statements
from parcourspro_gql.loaders.pagination import Page
from parcourspro_gql.permissions import IsAuthenticated, IsProvider
from parcourspro_gql.schema.catalogue.types import Training, TrainingSession, catalogue_page
from parcourspro_gql.schema.context import Info
from parcourspro_gql.schema.enums import TrainingFormat
from parcourspro_gql.schema.relay import Connection, bad_argument, connection, pk_of, refused
from parcourspro_gql.schema.structures.types import Structure


def _with_their_training(
    page: Page[Any], _related: Mapping[str, Any]
) -> Callable[[models.TrainingSession], TrainingSession]:
    """A page's sessions with the training (and its provider) that the page joined to each."""
    trainings = {
        training.id: Training.from_row(training, Structure.from_row(provider))
        for training, provider in page.joined
    }
    return lambda row: TrainingSession.from_row(row, trainings.get(row.training_id))


async def session_page(
    info: Info,
    statement: Any,
    first: int | None,
    after: str | None,
    *,
    descending: bool = False,
    search: bool = False,
) -> Connection[TrainingSession]:
    """A page of sessions with their training, in one statement; with `search`, its totalCount too."""
    return await connection(
        info,
        statement,
        statements.SESSION_ORDER,
        TrainingSession.from_row,
        first,
        after,
        preload=_with_their_training,
        widen=statements.with_training,
        descending=descending,
        search=search,
    )


# The range a date filter may take: beyond it, a Paris midnight is out of the datetime range.
MIN_DAY, MAX_DAY = date(1970, 1, 1), date(2200, 12, 31)


@strawberry.type
class CatalogueQueries:
    @strawberry.field(description="The catalogue. Public.")
    async def trainings(
        self,
        info: Info,
        search: str | None = None,
        format: TrainingFormat | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Training]:
        wanted = models.TrainingFormat(format.value) if format is not None else None
        return await catalogue_page(info, search, wanted, first, after)

    @strawberry.field(
        description="Upcoming sessions, soonest first, not cancelled. Public. Every filter is optional and "
        "they combine: words of the training, its format, a start date range (Paris days, both included), a "
        "city in the place, only sessions with seats left, reserved to members or not, the provider."
    )
    async def sessions(
        self,
        info: Info,
        search: str | None = None,
        format: TrainingFormat | None = None,
        from_: Annotated[date | None, strawberry.argument(name="from")] = None,
        to: date | None = None,
        city: str | None = None,
        with_seats_left: bool | None = False,
        reserved_to_members: bool | None = None,
        provider_structure_id: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[TrainingSession]:
        for day in (from_, to):
            if day is not None and not MIN_DAY <= day <= MAX_DAY:
                raise bad_argument(ValueError("Les dates « from » et « to » vont de 1970 à 2200."))
        try:  # X1: bounded like every search box (domain/search.py); the loader takes the words
            search, city = (
                " ".join(search_words(text, field)) if text else text
                for text, field in ((search, "search"), (city, "city"))
            )
        except DomainError as error:
            raise refused(error) from error
        filters = statements.SessionFilters(
            search=search,
            format=models.TrainingFormat(format.value) if format is not None else None,
            starts_from=from_,
            starts_to=to,
            city=city,
            with_seats_left=bool(with_seats_left),
            reserved_to_members=reserved_to_members,
            provider_structure_id=_structure_pk(provider_structure_id),
        )
        statement = statements.upcoming_sessions(filters, clock.now())
        return await session_page(info, statement, first, after, search=bool(search))

    @strawberry.field(
        description="The caller's own sessions, as their provider (PROVIDER role): those still to end, "
        "soonest first, or with `past` those ended, the most recent first. Cancelled ones included. "
        "Permission: IsProvider.",
        permission_classes=[IsAuthenticated, IsProvider],
    )
    async def provider_sessions(
        self, info: Info, past: bool | None = False, first: int | None = None, after: str | None = None
    ) -> Connection[TrainingSession]:
        viewer = info.context.viewer
        structure_id = viewer.active_structure_id
        assert structure_id is not None  # IsProvider
        statement = statements.provider_sessions(structure_id, clock.now(), bool(past))
        return await session_page(info, statement, first, after, descending=bool(past))


def _structure_pk(global_id: strawberry.ID | None) -> int | None:
    """A provider filter's structure; an id of anything else matches nothing (pk 0), as an unknown one does."""
    if global_id is None:
        return None
    try:
        return pk_of(global_id, "Structure", "providerStructureId")
    except DomainError:
        return 0
