"""statistics."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError

from parcourspro_gql.clock import clock
from parcourspro_gql.domain import reporting
from parcourspro_gql.domain.errors import DomainError, ErrorCode
from parcourspro_gql.loaders.reporting import StatisticsKey
from parcourspro_gql.permissions import IsAuthenticated
from parcourspro_gql.schema.context import Info
from parcourspro_gql.schema.relay import pk_of
from parcourspro_gql.schema.reporting.types import Statistics


@strawberry.type
class ReportingQueries:
    @strawberry.field(
        description="Manager (any structure, or all when structureId is null) or employer (his own structure).",
        permission_classes=[IsAuthenticated],
    )
    async def statistics(
        self, info: Info, year: int, structure_id: strawberry.ID | None = None
    ) -> Statistics:
        loaders = info.context.loaders
        try:
            wanted = pk_of(structure_id, "Structure", "structureId") if structure_id is not None else None
            structure = reporting.scope(info.context.viewer, wanted)
            bounds = reporting.paris_year(year, clock.now())
            if structure is not None and await loaders.structure_by_id.load(structure) is None:
                raise DomainError(ErrorCode.NOT_FOUND, "Structure introuvable.", "structureId")
        except DomainError as error:
            raise GraphQLError(error.message, extensions={"code": error.code.value}) from error
        figures = await loaders.statistics.load(StatisticsKey(bounds.start, bounds.end, structure))
        return Statistics.of(year, figures)
