"""evaluationSubmit (Q1): a thin resolver over domain.evaluations."""

from __future__ import annotations

import strawberry

from parcourspro_gql.domain import evaluations
from parcourspro_gql.permissions import IsAuthenticated
from parcourspro_gql.schema.context import Info
from parcourspro_gql.schema.registrations.mutations import run
from parcourspro_gql.schema.registrations.types import RegistrationPayload
from parcourspro_gql.schema.relay import pk_of


@strawberry.input
class EvaluationSubmitInput:
    registration_id: strawberry.ID
    rating: int = strawberry.field(description="1 to 5.")
    would_recommend: bool
    comment: str | None = None


@strawberry.type
class EvaluationMutations:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="The participant who attended evaluates the session, once, within 60 days of its end "
        "(setting). Anyone else: FORBIDDEN.",
    )
    async def evaluation_submit(self, info: Info, input: EvaluationSubmitInput) -> RegistrationPayload:
        data = evaluations.EvaluationData(input.rating, input.would_recommend, input.comment)
        return await run(
            info,
            lambda session: evaluations.submit(
                session,
                info.context.viewer,
                pk_of(input.registration_id, "Registration", "registrationId"),
                data,
            ),
        )
