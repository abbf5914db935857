"""structureRequest, structureValidate, structureReject, membershipGrant: thin resolvers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from parcourspro_gql import models
from parcourspro_gql.domain import structures
from parcourspro_gql.permissions import IsAuthenticated
from parcourspro_gql.schema.context import Info
from parcourspro_gql.schema.errors import transact
from parcourspro_gql.schema.relay import pk_of
from parcourspro_gql.schema.structures.types import (
    Structure,
    StructureChange,
    StructureChangePayload,
    StructurePayload,
)


@strawberry.input
class AddressInput:
    street: str
    postal_code: str
    city: str


@strawberry.input
class StructureRequestInput:
    name: str
    siret: str
    ape_code: str
    address: AddressInput


@strawberry.input
class StructureDecisionInput:
    structure_id: strawberry.ID
    reason: str | None = strawberry.field(default=None, description="Required when rejecting.")


@strawberry.input(description="A manager's correction; only the fields given change, never the SIRET.")
class StructureUpdateInput:
    structure_id: strawberry.ID
    name: str | None = None
    address: AddressInput | None = None
    ape_code: str | None = None
    reason: str = strawberry.field(description="Why (told to the structure's referents).")


@strawberry.input
class MembershipGrantInput:
    structure_id: strawberry.ID
    year: int


async def run(
    info: Info, use_case: Callable[[AsyncSession], Awaitable[models.Structure]]
) -> StructurePayload:
    row, errors = await transact(info, use_case)
    return StructurePayload(structure=Structure.from_row(row) if row else None, errors=errors)


@strawberry.type
class StructureMutations:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="The caller asks for his missing structure to be created; he becomes its referent once a "
        "manager validates it.",
    )
    async def structure_request(self, info: Info, input: StructureRequestInput) -> StructurePayload:
        address = structures.AddressData(input.address.street, input.address.postal_code, input.address.city)
        return await run(
            info,
            lambda session: structures.request_structure(
                session, info.context.viewer, name=input.name, siret=input.siret, ape_code=input.ape_code,
                address=address,
            ),
        )  # fmt: skip

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    async def structure_validate(self, info: Info, input: StructureDecisionInput) -> StructurePayload:
        return await run(
            info,
            lambda session: structures.validate_structure(
                session, info.context.viewer, pk_of(input.structure_id, "Structure", "structureId")
            ),
        )

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    async def structure_reject(self, info: Info, input: StructureDecisionInput) -> StructurePayload:
        return await run(
            info,
            lambda session: structures.reject_structure(
                session,
                info.context.viewer,
                pk_of(input.structure_id, "Structure", "structureId"),
                input.reason,
            ),
        )

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Manager: corrects a structure's data directly (never its SIRET); its referents are told.",
    )
    async def structure_update(self, info: Info, input: StructureUpdateInput) -> StructurePayload:
        data = _change_data(input)
        return await run(
            info,
            lambda session: structures.update_structure(
                session,
                info.context.viewer,
                pk_of(input.structure_id, "Structure", "structureId"),
                data,
                input.reason,
            ),
        )

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    async def membership_grant(self, info: Info, input: MembershipGrantInput) -> StructurePayload:
        return await run(
            info,
            lambda session: structures.grant_membership(
                session,
                info.context.viewer,
                pk_of(input.structure_id, "Structure", "structureId"),
                input.year,
            ),
        )


@strawberry.input
class MembershipRevokeInput:
    structure_id: strawberry.ID
    year: int
    reason: str


@strawberry.input
class StructureChangeProposeInput:
    structure_id: strawberry.ID
    name: str | None = None
    ape_code: str | None = None
    address: AddressInput | None = None


@strawberry.input
class StructureChangeDecisionInput:
    change_id: strawberry.ID
    reason: str | None = strawberry.field(default=None, description="Required when rejecting.")


async def run_change(
    info: Info, use_case: Callable[[AsyncSession], Awaitable[models.StructureChange]]
) -> StructureChangePayload:
    row, errors = await transact(info, use_case)
    return StructureChangePayload(change=StructureChange.from_row(row) if row else None, errors=errors)


def change_pk(value: strawberry.ID) -> int:
    return pk_of(value, "StructureChange", "changeId")


@strawberry.type
class StructureChangeMutations:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated], description="Managers: withdraws a year's membership."
    )
    async def membership_revoke(self, info: Info, input: MembershipRevokeInput) -> StructurePayload:
        return await run(
            info,
            lambda session: structures.revoke_membership(
                session,
                info.context.viewer,
                pk_of(input.structure_id, "Structure", "structureId"),
                input.year,
                input.reason,
            ),
        )

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="A referent proposes a new name, address or APE code (never the SIRET); a manager decides.",
    )
    async def structure_change_propose(
        self, info: Info, input: StructureChangeProposeInput
    ) -> StructureChangePayload:
        data = _change_data(input)
        return await run_change(
            info,
            lambda session: structures.propose_change(
                session, info.context.viewer, pk_of(input.structure_id, "Structure", "structureId"), data
            ),
        )

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    async def structure_change_approve(
        self, info: Info, input: StructureChangeDecisionInput
    ) -> StructureChangePayload:
        return await run_change(
            info,
            lambda session: structures.approve_change(
                session, info.context.viewer, change_pk(input.change_id)
            ),
        )

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    async def structure_change_reject(
        self, info: Info, input: StructureChangeDecisionInput
    ) -> StructureChangePayload:
        return await run_change(
            info,
            lambda session: structures.reject_change(
                session, info.context.viewer, change_pk(input.change_id), input.reason
            ),
        )


def _change_data(input: StructureUpdateInput | StructureChangeProposeInput) -> structures.ChangeData:
    """What a correction or a proposal asks to change (SIRET never), as the domain takes it."""
    address = input.address
    return structures.ChangeData(
        name=input.name,
        ape_code=input.ape_code,
        address=structures.AddressData(address.street, address.postal_code, address.city)
        if address
        else None,
    )
