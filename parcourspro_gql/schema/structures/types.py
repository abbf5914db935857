"""Structure, Address, Membership and the structure payloads."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from graphql import GraphQLError

from parcourspro_gql import models
from parcourspro_gql.clock import clock
from parcourspro_gql.domain import affiliation, naf, reporting, structures, years
from parcourspro_gql.domain import documents as paperwork
from parcourspro_gql.domain.errors import DomainError
from parcourspro_gql.loaders.reporting import ConventionsKey
from parcourspro_gql.permissions import IsAuthenticated, IsEmployerOf, IsPartyOf, IsReferentOf
from parcourspro_gql.schema.context import Info
from parcourspro_gql.schema.enums import AffiliationStatus, StructureStatus
from parcourspro_gql.schema.errors import UserError
from parcourspro_gql.schema.relay import Connection, Node, connection, node_resolver, to_global_id

if TYPE_CHECKING:
    from parcourspro_gql.schema.accounts.types import Account
    from parcourspro_gql.schema.registrations.types import Document

LazyAccount = Annotated["Account", strawberry.lazy("parcourspro_gql.schema.accounts.types")]
LazyDocument = Annotated["Document", strawberry.lazy("parcourspro_gql.schema.registrations.types")]


@strawberry.type
class Address:
    street: str
    postal_code: str
    city: str


@strawberry.type
class Membership:
    year: int
    granted_at: datetime


@strawberry.type
class Structure(Node):
    pk: strawberry.Private[int]
    name: str
    siret: str
    ape_code: str
    address: Address
    status: StructureStatus
    requested_at: datetime
    rejection_reason: str | None

    @classmethod
    def from_row(cls, row: models.Structure) -> Structure:
        return cls(
            id=strawberry.ID(to_global_id("Structure", row.id)),
            pk=row.id,
            name=row.name,
            siret=row.siret,
            ape_code=row.ape_code,
            address=Address(street=row.street, postal_code=row.postal_code, city=row.city),
            status=row.status,
            requested_at=row.requested_at,
            rejection_reason=row.rejection_reason,
        )

    @strawberry.field(description="French label of the APE code in the NAF reference.")
    def ape_label(self) -> str | None:
        return naf.label_any(self.ape_code)

    @strawberry.field(
        description="Whether the structure holds Cap Métiers membership for the year (default: the current year)."
    )
    async def is_member(self, info: Info, year: int | None = None) -> bool:
        wanted = year if year is not None else years.current_year()
        memberships = await info.context.loaders.memberships_by_structure_id.load(self.pk)
        return any(membership.year == wanted for membership in memberships)

    @strawberry.field
    async def memberships(self, info: Info) -> list[Membership]:
        rows = await info.context.loaders.memberships_by_structure_id.load(self.pk)
        return [Membership(year=row.year, granted_at=row.granted_at) for row in rows]

    @strawberry.field(
        description="Accounts of the structure: its referents, employers and managers only. "
        "Permission: IsEmployerOf.",
        permission_classes=[IsAuthenticated, IsEmployerOf],
    )
    async def accounts(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        affiliation_status: AffiliationStatus | None = None,
    ) -> Connection[LazyAccount]:
        from parcourspro_gql.schema.accounts.types import Account as AccountType

        return await connection(
            info,
            affiliation.structure_accounts(self.pk, affiliation_status),
            ACCOUNT_ORDER,
            AccountType.from_row,
            first,
            after,
        )

    @strawberry.field(
        description="Conventions signed for the structure's people (D1), newest first: its referents, employers "
        "and managers. `year`: only the sessions that start in that calendar year (Paris time). "
        "Permission: IsPartyOf.",
        permission_classes=[IsAuthenticated, IsPartyOf],
    )
    async def conventions(self, info: Info, year: int | None = None) -> list[LazyDocument]:
        from parcourspro_gql.schema.registrations.types import Document

        key = ConventionsKey(self.pk)
        if year is not None:
            try:
                bounds = reporting.paris_year(year, clock.now())
            except DomainError as error:
                raise GraphQLError(error.message, extensions={"code": error.code.value}) from error
            key = ConventionsKey(self.pk, bounds.start, bounds.end)
        found = await info.context.loaders.conventions_by_structure.load(key)
        viewer_id = info.context.viewer.account_id
        assert viewer_id is not None  # IsAuthenticated
        documents = []
        for item in found:
            ref = paperwork.convention(item.session_id, self.pk)
            documents.append(Document.of(ref, viewer_id, paperwork.file_name(ref, item.training_title)))
        return documents

    @strawberry.field(
        description="Its change proposals, newest first: its referents and managers only. "
        "Permission: IsReferentOf.",
        permission_classes=[IsAuthenticated, IsReferentOf],
    )
    async def changes(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[StructureChange]:
        return await connection(
            info,
            structures.changes_of(self.pk),
            (models.StructureChange.requested_at, models.StructureChange.id),
            StructureChange.from_row,
            first,
            after,
            descending=True,
        )


ACCOUNT_ORDER = (models.Account.last_name, models.Account.first_name, models.Account.id)


@node_resolver("Structure")
async def structure_node(info: Info, pk: int) -> Structure | None:
    row = await info.context.loaders.structure_by_id.load(pk)
    if row is None or not structures.can_view(info.context.viewer, row):
        return None
    return Structure.from_row(row)


@strawberry.type
class StructurePayload:
    structure: Structure | None
    errors: list[UserError]


@strawberry.type(
    description="A referent's proposal to change his structure, which a manager approves or rejects."
)
class StructureChange(Node):
    pk: strawberry.Private[int]
    structure_pk: strawberry.Private[int]
    name: str | None
    ape_code: str | None
    address: Address | None
    status: StructureStatus
    requested_at: datetime
    rejection_reason: str | None

    @classmethod
    def from_row(cls, row: models.StructureChange) -> StructureChange:
        address = None
        if row.street is not None:
            address = Address(street=row.street, postal_code=row.postal_code or "", city=row.city or "")
        return cls(
            id=strawberry.ID(to_global_id("StructureChange", row.id)),
            pk=row.id,
            structure_pk=row.structure_id,
            name=row.name,
            ape_code=row.ape_code,
            address=address,
            status=row.status,
            requested_at=row.requested_at,
            rejection_reason=row.rejection_reason,
        )

    @strawberry.field
    async def structure(self, info: Info) -> Structure:
        row = await info.context.loaders.structure_by_id.load(self.structure_pk)
        assert row is not None
        return Structure.from_row(row)


@strawberry.type
class StructureChangePayload:
    change: StructureChange | None
    errors: list[UserError]


@node_resolver("StructureChange")
async def structure_change_node(info: Info, pk: int) -> StructureChange | None:
    async with info.context.db.read() as session:
        row = await session.get(models.StructureChange, pk)
    if row is None or not structures.can_see_changes(info.context.viewer, row.structure_id):
        return None
    return StructureChange.from_row(row)
