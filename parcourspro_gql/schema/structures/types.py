"""Structure and Address."""

from __future__ import annotations

from datetime import datetime

import strawberry

from parcourspro_gql import models
from parcourspro_gql.domain import structures
from parcourspro_gql.schema.context import Info
from parcourspro_gql.schema.enums import StructureStatus
from parcourspro_gql.schema.relay import Connection, Node, node_resolver, to_global_id


@strawberry.type
class Address:
    street: str
    postal_code: str
    city: str


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


StructureConnection = Connection[Structure]


@node_resolver("Structure")
async def structure_node(info: Info, pk: int) -> Structure | None:
    row = await info.context.loaders.structure_by_id.load(pk)
    if row is None or not structures.can_view(info.context.viewer, row):
        return None
    return Structure.from_row(row)
