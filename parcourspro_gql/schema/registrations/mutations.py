"""registrationRequest and the decisions on a registration: thin resolvers over domain.registrations."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from parcourspro_gql import models
from parcourspro_gql.auth.viewer import Viewer
from parcourspro_gql.domain import registrations
from parcourspro_gql.permissions import IsAuthenticated
from parcourspro_gql.schema.context import Info
from parcourspro_gql.schema.errors import transact
from parcourspro_gql.schema.registrations.types import Registration, RegistrationPayload
from parcourspro_gql.schema.relay import pk_of


@strawberry.input
class RegistrationRequestInput:
    session_id: strawberry.ID
    motivation: str


@strawberry.input
class RegistrationDecisionInput:
    registration_id: strawberry.ID
    reason: str | None = strawberry.field(
        default=None, description="Required when refusing, rejecting or cancelling."
    )


Decide = Callable[[AsyncSession, Viewer, int, str | None], Awaitable[models.Registration]]


async def run(
    info: Info, use_case: Callable[[AsyncSession], Awaitable[models.Registration]]
) -> RegistrationPayload:
    row, errors = await transact(info, use_case)
    return RegistrationPayload(registration=Registration.from_row(row) if row else None, errors=errors)


async def decide(info: Info, input: RegistrationDecisionInput, decision: Decide) -> RegistrationPayload:
    return await run(
        info,
        lambda session: decision(
            session,
            info.context.viewer,
            pk_of(input.registration_id, "Registration", "registrationId"),
            input.reason,
        ),
    )


def without_reason(
    use_case: Callable[[AsyncSession, Viewer, int], Awaitable[models.Registration]],
) -> Decide:
    return lambda session, viewer, pk, _reason: use_case(session, viewer, pk)


@strawberry.type
class RegistrationMutations:
    @strawberry.mutation(permission_classes=[IsAuthenticated])
    async def registration_request(self, info: Info, input: RegistrationRequestInput) -> RegistrationPayload:
        return await run(
            info,
            lambda session: registrations.request(
                session,
                info.context.viewer,
                pk_of(input.session_id, "TrainingSession", "sessionId"),
                input.motivation,
            ),
        )

    @strawberry.mutation(permission_classes=[IsAuthenticated], description="Employer decisions.")
    async def registration_validate(
        self, info: Info, input: RegistrationDecisionInput
    ) -> RegistrationPayload:
        return await decide(info, input, without_reason(registrations.validate))

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    async def registration_refuse(self, info: Info, input: RegistrationDecisionInput) -> RegistrationPayload:
        return await decide(info, input, registrations.refuse)

    @strawberry.mutation(permission_classes=[IsAuthenticated], description="Provider decisions.")
    async def registration_select(self, info: Info, input: RegistrationDecisionInput) -> RegistrationPayload:
        return await decide(info, input, without_reason(registrations.select_participant))

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    async def registration_waitlist(
        self, info: Info, input: RegistrationDecisionInput
    ) -> RegistrationPayload:
        return await decide(info, input, without_reason(registrations.waitlist))

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    async def registration_reject(self, info: Info, input: RegistrationDecisionInput) -> RegistrationPayload:
        return await decide(info, input, registrations.reject)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="By the beneficiary, his employer, the provider or a manager, before the session starts.",
    )
    async def registration_cancel(self, info: Info, input: RegistrationDecisionInput) -> RegistrationPayload:
        return await decide(info, input, registrations.cancel)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Beneficiary: takes the seat offered to him before its deadline.",
    )
    async def seat_offer_accept(self, info: Info, input: RegistrationDecisionInput) -> RegistrationPayload:
        return await decide(info, input, without_reason(registrations.accept_offer))

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Beneficiary: lets the offered seat go to the next person; his registration is cancelled.",
    )
    async def seat_offer_decline(self, info: Info, input: RegistrationDecisionInput) -> RegistrationPayload:
        return await decide(info, input, registrations.decline_offer)
