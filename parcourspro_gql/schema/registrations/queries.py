"""employerOverview."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError

from parcourspro_gql.domain import registrations
from parcourspro_gql.domain.errors import DomainError, ErrorCode
from parcourspro_gql.permissions import IsAuthenticated
from parcourspro_gql.schema.context import Info
from parcourspro_gql.schema.registrations.types import EmployerOverview
from parcourspro_gql.schema.relay import pk_of


@strawberry.type
class RegistrationQueries:
    @strawberry.field(
        description="Employer (or manager, naming the structure) only.", permission_classes=[IsAuthenticated]
    )
    async def employer_overview(
        self, info: Info, structure_id: strawberry.ID | None = None
    ) -> EmployerOverview:
        try:
            wanted = pk_of(structure_id, "Structure", "structureId") if structure_id is not None else None
            if wanted is not None and await info.context.loaders.structure_by_id.load(wanted) is None:
                raise DomainError(ErrorCode.NOT_FOUND, "Structure introuvable.", "structureId")
            structure = registrations.employer_structure(info.context.viewer, wanted)
        except DomainError as error:
            raise GraphQLError(error.message, extensions={"code": error.code.value}) from error
        async with info.context.db.read() as session:
            counts = await registrations.overview_counts(session, structure)
        return EmployerOverview(
            structure_pk=structure,
            pending_count=counts["pending"],
            validated_count=counts["validated"],
            refused_count=counts["refused"],
        )
