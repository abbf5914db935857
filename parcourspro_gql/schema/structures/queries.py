"""Structure queries: the public picker, the referent's waiting list and the manager dashboard."""

from __future__ import annotations

from datetime import timedelta

import strawberry

from parcourspro_gql import models
from parcourspro_gql.clock import clock
from parcourspro_gql.domain import affiliation, review, structures
from parcourspro_gql.domain.errors import DomainError
from parcourspro_gql.permissions import IsAuthenticated, IsManager, IsReferentOrManager
from parcourspro_gql.schema.accounts.types import Account
from parcourspro_gql.schema.context import Info
from parcourspro_gql.schema.relay import Connection, connection, refused
from parcourspro_gql.schema.structures.types import Structure, StructureChange

PENDING_ACCOUNT_ORDER = (models.Account.affiliation_requested_at, models.Account.id)


@strawberry.type
class ManagerDashboard:
    @strawberry.field(description="Structure requests waiting for a decision, oldest first.")
    async def pending_structures(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Structure]:
        return await connection(
            info,
            structures.pending_structures(),
            (models.Structure.requested_at, models.Structure.id),
            Structure.from_row,
            first,
            after,
        )

    @strawberry.field(description="Accounts waiting for their referent's confirmation, oldest first.")
    async def pending_affiliations(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Account]:
        return await connection(
            info,
            affiliation.pending_affiliations(None),
            PENDING_ACCOUNT_ORDER,
            Account.from_row,
            first,
            after,
        )

    @strawberry.field(description="Referents' proposals to change their structure, oldest first.")
    async def pending_changes(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[StructureChange]:
        return await connection(
            info,
            structures.pending_changes(),
            (models.StructureChange.requested_at, models.StructureChange.id),
            StructureChange.from_row,
            first,
            after,
        )

    @strawberry.field(description="Structure requests and affiliations waiting for more than 48 hours.")
    async def overdue_count(self, info: Info) -> int:
        limit = clock.now() - timedelta(hours=info.context.settings.review_deadline_hours)
        async with info.context.db.read() as session:
            return await review.overdue_count(session, limit)


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
            statement = structures.public_search(search)
            keyed = structures.search_keyed(search, info.context.db.dialect)
        except DomainError as error:
            raise refused(error) from error
        return await connection(
            info,
            statement,
            (models.Structure.name, models.Structure.id),
            Structure.from_row,
            first,
            after,
            search=bool(search and search.split()),
            keyed=keyed,
        )

    @strawberry.field(
        description="Accounts waiting for confirmation: a referent's, of his structure; a manager's, of every "
        "structure. Permission: IsReferentOrManager.",
        permission_classes=[IsAuthenticated, IsReferentOrManager],
    )
    async def pending_affiliations(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Account]:
        viewer = info.context.viewer
        # IsReferentOrManager let the caller in: a manager sees every structure's, a referent his own.
        scope = None if viewer.is_manager else viewer.active_structure_id
        statement = affiliation.pending_affiliations(scope)
        return await connection(info, statement, PENDING_ACCOUNT_ORDER, Account.from_row, first, after)

    @strawberry.field(description="Managers only.", permission_classes=[IsAuthenticated, IsManager])
    def manager_dashboard(self) -> ManagerDashboard:
        return ManagerDashboard()
