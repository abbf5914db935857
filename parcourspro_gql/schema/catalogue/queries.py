"""The public catalogue."""

from __future__ import annotations

import strawberry

from parcourspro_gql import models
from parcourspro_gql.schema.catalogue.types import Training, catalogue_page
from parcourspro_gql.schema.context import Info
from parcourspro_gql.schema.enums import TrainingFormat
from parcourspro_gql.schema.relay import Connection


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
