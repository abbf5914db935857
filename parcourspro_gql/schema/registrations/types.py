"""Registration, Decision, Document, EmployerOverview."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from sqlalchemy.sql import Select

from parcourspro_gql import models
from parcourspro_gql.domain import registrations as rules
from parcourspro_gql.schema.accounts.types import Account
from parcourspro_gql.schema.catalogue.types import REGISTRATION_ORDER, TrainingSession
from parcourspro_gql.schema.context import Info
from parcourspro_gql.schema.enums import RegistrationCategory, RegistrationStatus
from parcourspro_gql.schema.errors import UserError
from parcourspro_gql.schema.relay import Connection, Node, connection, node_resolver, to_global_id
from parcourspro_gql.schema.structures.types import Structure


@strawberry.type
class Decision:
    by_pk: strawberry.Private[int]
    at: datetime
    comment: str | None

    @strawberry.field
    async def by(self, info: Info) -> Account:
        row = await info.context.loaders.account_by_id.load(self.by_pk)
        assert row is not None
        return Account.from_row(row)

    @classmethod
    def of(cls, by: int | None, at: datetime | None, comment: str | None) -> Decision | None:
        return cls(by_pk=by, at=at, comment=comment) if by is not None and at is not None else None


@strawberry.type
class Registration(Node):
    pk: strawberry.Private[int]
    beneficiary_pk: strawberry.Private[int]
    session_pk: strawberry.Private[int]
    motivation: str
    status: RegistrationStatus
    category: RegistrationCategory
    over_structure_cap: bool = strawberry.field(
        description="True when two people of the same structure already hold this training: waiting list unless "
        "seats remain."
    )
    requested_at: datetime
    employer_decision: Decision | None
    provider_decision: Decision | None
    cancellation: Decision | None
    attendance_rate: float | None = strawberry.field(
        description="Share of the session's half-days attended, 0 to 1, once attendance is recorded."
    )

    @classmethod
    def from_row(cls, row: models.Registration) -> Registration:
        return cls(
            id=strawberry.ID(to_global_id("Registration", row.id)),
            pk=row.id,
            beneficiary_pk=row.beneficiary_id,
            session_pk=row.session_id,
            motivation=row.motivation,
            status=row.status,
            category=rules.CATEGORY_OF[row.status],
            over_structure_cap=row.over_structure_cap,
            requested_at=row.requested_at,
            employer_decision=Decision.of(
                row.employer_decision_by_id, row.employer_decision_at, row.employer_decision_comment
            ),
            provider_decision=Decision.of(
                row.provider_decision_by_id, row.provider_decision_at, row.provider_decision_comment
            ),
            cancellation=Decision.of(row.cancelled_by_id, row.cancelled_at, row.cancellation_reason),
            attendance_rate=row.attendance_rate,
        )

    @strawberry.field
    async def beneficiary(self, info: Info) -> Account:
        row = await info.context.loaders.account_by_id.load(self.beneficiary_pk)
        assert row is not None
        return Account.from_row(row)

    @strawberry.field
    async def session(self, info: Info) -> TrainingSession:
        row = await info.context.loaders.session_by_id.load(self.session_pk)
        assert row is not None
        return TrainingSession.from_row(row)

    @staticmethod
    async def connection(
        info: Info, statement: Select[Any], first: int | None, after: str | None
    ) -> Connection[Registration]:
        return await connection(info, statement, REGISTRATION_ORDER, Registration.from_row, first, after)


@node_resolver("Registration")
async def registration_node(info: Info, pk: int) -> Registration | None:
    async with info.context.db.read() as session:
        row = await session.get(models.Registration, pk)
    if row is None:
        return None
    training = await info.context.loaders.training_by_id.load(row.training_id)
    assert training is not None
    if not rules.can_view(info.context.viewer, row, training.provider_structure_id):
        return None
    return Registration.from_row(row)


@strawberry.type(description="What an employer decided and has to decide for his structure.")
class EmployerOverview:
    structure_pk: strawberry.Private[int]
    pending_count: int
    validated_count: int
    refused_count: int

    @strawberry.field
    async def structure(self, info: Info) -> Structure:
        row = await info.context.loaders.structure_by_id.load(self.structure_pk)
        assert row is not None
        return Structure.from_row(row)

    @strawberry.field
    async def registrations(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: RegistrationStatus | None = None,
    ) -> Connection[Registration]:
        return await Registration.connection(
            info, rules.of_structure(self.structure_pk, status), first, after
        )


@strawberry.type
class RegistrationPayload:
    registration: Registration | None
    errors: list[UserError]
