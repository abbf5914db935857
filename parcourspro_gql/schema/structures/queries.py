"""Structure queries."""

from __future__ import annotations

import strawberry

from parcourspro_gql.domain import structures
from parcourspro_gql.loaders.pagination import PaginationError, paginate
from parcourspro_gql.models import Structure as StructureRow
from parcourspro_gql.schema.context import Info
from parcourspro_gql.schema.relay import Connection, bad_argument
from parcourspro_gql.schema.structures.types import Structure


@strawberry.type
class StructureQueries:
    @strawberry.field(
        description=(
            "Validated structures, for the sign-up picker: search by name, SIRET or city, accents ignored. "
            "Public."
        )
    )
    async def structures(
        self, info: Info, search: str | None = None, first: int | None = None, after: str | None = None
    ) -> Connection[Structure]:
        try:
            page = await paginate(
                info.context.db,
                structures.public_search(search),
                [StructureRow.name, StructureRow.id],
                first=first,
                after=after,
            )
        except PaginationError as error:
            raise bad_argument(error) from error
        return Connection.from_page(page, Structure.from_row)
