"""affiliationRequest, affiliationConfirm, affiliationRefuse, roleGrant, roleRevoke, referentTransfer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from parcourspro_gql import models
from parcourspro_gql.domain import affiliation
from parcourspro_gql.permissions import IsAuthenticated
from parcourspro_gql.schema.accounts.types import Account, AccountPayload
from parcourspro_gql.schema.context import Info
from parcourspro_gql.schema.enums import Role
from parcourspro_gql.schema.errors import transact
from parcourspro_gql.schema.relay import pk_of


@strawberry.input
class AffiliationRequestInput:
    structure_id: strawberry.ID


@strawberry.input
class AffiliationDecisionInput:
    account_id: strawberry.ID
    reason: str | None = strawberry.field(default=None, description="Required when refusing.")


@strawberry.input
class RoleChangeInput:
    account_id: strawberry.ID
    role: Role


@strawberry.input
class ReferentTransferInput:
    account_id: strawberry.ID


async def run(info: Info, use_case: Callable[[AsyncSession], Awaitable[models.Account]]) -> AccountPayload:
    row, errors = await transact(info, use_case)
    return AccountPayload(account=Account.from_row(row) if row else None, errors=errors)


def account_pk(value: strawberry.ID) -> int:
    return pk_of(value, "Account", "accountId")


@strawberry.type
class AffiliationMutations:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="The caller joins a validated structure: active referent if first, else pending the "
        "referent's confirmation.",
    )
    async def affiliation_request(self, info: Info, input: AffiliationRequestInput) -> AccountPayload:
        return await run(
            info,
            lambda session: affiliation.request_affiliation(
                session, info.context.viewer, pk_of(input.structure_id, "Structure", "structureId")
            ),
        )

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    async def affiliation_confirm(self, info: Info, input: AffiliationDecisionInput) -> AccountPayload:
        return await run(
            info,
            lambda session: affiliation.confirm_affiliation(
                session, info.context.viewer, account_pk(input.account_id)
            ),
        )

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    async def affiliation_refuse(self, info: Info, input: AffiliationDecisionInput) -> AccountPayload:
        return await run(
            info,
            lambda session: affiliation.refuse_affiliation(
                session, info.context.viewer, account_pk(input.account_id), input.reason
            ),
        )

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    async def role_grant(self, info: Info, input: RoleChangeInput) -> AccountPayload:
        return await run(
            info,
            lambda session: affiliation.grant_role(
                session, info.context.viewer, account_pk(input.account_id), models.Role(input.role.value)
            ),
        )

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    async def role_revoke(self, info: Info, input: RoleChangeInput) -> AccountPayload:
        return await run(
            info,
            lambda session: affiliation.revoke_role(
                session, info.context.viewer, account_pk(input.account_id), models.Role(input.role.value)
            ),
        )

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    async def referent_transfer(self, info: Info, input: ReferentTransferInput) -> AccountPayload:
        return await run(
            info,
            lambda session: affiliation.transfer_referent(
                session, info.context.viewer, account_pk(input.account_id)
            ),
        )
