"""Registration, Decision, Document, EmployerOverview."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import strawberry
from sqlalchemy.sql import Select

from parcourspro_gql import models
from parcourspro_gql.domain import documents as paperwork
from parcourspro_gql.domain import registrations as rules
from parcourspro_gql.schema.accounts.types import Account
from parcourspro_gql.schema.catalogue.types import REGISTRATION_ORDER, Training, TrainingSession
from parcourspro_gql.schema.context import Info
from parcourspro_gql.schema.enums import DocumentKind, RegistrationCategory, RegistrationStatus
from parcourspro_gql.schema.errors import UserError
from parcourspro_gql.schema.relay import Connection, Node, connection, node_resolver, to_global_id
from parcourspro_gql.schema.structures.types import Structure


@strawberry.type
class Decision:
    by_pk: strawberry.Private[int]
    at: datetime
    comment: str | None
    by_obj: strawberry.Private[Account | None] = None

    @strawberry.field
    def by(self, info: Info) -> Account:
        return self.by_obj or self._load_by(info)  # type: ignore[return-value]

    async def _load_by(self, info: Info) -> Account:
        row = await info.context.loaders.account_by_id.load(self.by_pk)
        assert row is not None
        return Account.from_row(row)

    @classmethod
    def of(
        cls,
        by: int | None,
        at: datetime | None,
        comment: str | None,
        accounts: dict[int, Account] | None = None,
    ) -> Decision | None:
        if by is None or at is None:
            return None
        return cls(by_pk=by, at=at, comment=comment, by_obj=(accounts or {}).get(by))


@strawberry.type(
    description="A PDF (D1–D4), downloaded with the same bearer token; only the people concerned may."
)
class Document:
    kind: DocumentKind
    url: str = strawberry.field(
        description="Authenticated download URL of the PDF (GET with the same bearer token)."
    )
    file_name: str

    @classmethod
    def of(cls, ref: paperwork.DocumentRef, public_url: str, file_name: str) -> Document:
        return cls(
            kind=ref.kind, url=f"{public_url.rstrip('/')}/documents/{ref.token()}", file_name=file_name
        )


@strawberry.type
class Registration(Node):
    # The row itself: its ids and states are read from it by the nested fields and the documents.
    row: strawberry.Private[models.Registration]
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
    beneficiary_obj: strawberry.Private[Account | None] = None
    session_obj: strawberry.Private[TrainingSession | None] = None

    @classmethod
    def from_row(
        cls,
        row: models.Registration,
        accounts: dict[int, Account] | None = None,
        sessions: dict[int, TrainingSession] | None = None,
    ) -> Registration:
        return cls(
            id=strawberry.ID(to_global_id("Registration", row.id)),
            row=row,
            motivation=row.motivation,
            status=row.status,
            category=rules.CATEGORY_OF[row.status],
            over_structure_cap=row.over_structure_cap,
            requested_at=row.requested_at,
            employer_decision=Decision.of(
                row.employer_decision_by_id, row.employer_decision_at, row.employer_decision_comment, accounts
            ),
            provider_decision=Decision.of(
                row.provider_decision_by_id, row.provider_decision_at, row.provider_decision_comment, accounts
            ),
            cancellation=Decision.of(
                row.cancelled_by_id, row.cancelled_at, row.cancellation_reason, accounts
            ),
            attendance_rate=row.attendance_rate,
            beneficiary_obj=(accounts or {}).get(row.beneficiary_id),
            session_obj=(sessions or {}).get(row.session_id),
        )

    @strawberry.field
    def beneficiary(self, info: Info) -> Account:
        return self.beneficiary_obj or self._load_beneficiary(info)  # type: ignore[return-value]

    async def _load_beneficiary(self, info: Info) -> Account:
        row = await info.context.loaders.account_by_id.load(self.row.beneficiary_id)
        assert row is not None
        return Account.from_row(row)

    @strawberry.field
    def session(self, info: Info) -> TrainingSession:
        return self.session_obj or self._load_session(info)  # type: ignore[return-value]

    async def _load_session(self, info: Info) -> TrainingSession:
        row = await info.context.loaders.session_by_id.load(self.row.session_id)
        assert row is not None
        return TrainingSession.from_row(row)

    @strawberry.field(
        description="The documents of this registration that the caller may download: convocation and "
        "convention once accepted, attestation once attended, attendance sheet for the provider and managers."
    )
    def documents(self, info: Info) -> list[Document]:
        training = self.session_obj.training_obj if self.session_obj else None
        if training is not None:
            return self._documents(info, training.title, training.provider_pk)
        return self._load_documents(info)  # type: ignore[return-value]

    async def _load_documents(self, info: Info) -> list[Document]:
        training = await info.context.loaders.training_by_id.load(self.row.training_id)
        assert training is not None
        return self._documents(info, training.title, training.provider_structure_id)

    def _documents(self, info: Info, title: str, provider_structure_id: int) -> list[Document]:
        public_url = info.context.settings.public_url
        return [
            Document.of(ref, public_url, paperwork.file_name(ref, title))
            for ref in paperwork.documents_of(info.context.viewer, self.row, provider_structure_id)
        ]

    @staticmethod
    async def connection(
        info: Info, statement: Select[Any], first: int | None, after: str | None
    ) -> Connection[Registration]:
        return await connection(
            info,
            statement,
            REGISTRATION_ORDER,
            Registration.from_row,
            first,
            after,
            preload=lambda rows: preload(info, rows),
        )


def _selected_names(selections: Iterable[Any]) -> set[str]:
    """Every field name requested below a selection (fragments included), to preload only what is asked."""
    names: set[str] = set()
    for selection in selections:
        if getattr(selection, "name", None):
            names.add(selection.name)
        names |= _selected_names(getattr(selection, "selections", ()) or ())
    return names


async def _nothing() -> list[Any]:
    return []


async def preload(
    info: Info, rows: list[models.Registration]
) -> Callable[[models.Registration], Registration]:
    """Loads the relations that the query asks for, once per page (people, sessions, trainings, providers), so
    that every nested field of the page reads a plain object: a few batched statements, and no task per row."""
    loaders = info.context.loaders
    asked = _selected_names(info.selected_fields)
    people: set[int] = set()
    if "beneficiary" in asked:
        people |= {row.beneficiary_id for row in rows}
    if "by" in asked:
        for row in rows:
            people |= {row.employer_decision_by_id, row.provider_decision_by_id, row.cancelled_by_id} - {None}
    session_ids = sorted({row.session_id for row in rows}) if "session" in asked else []
    if session_ids and "training" in asked:
        # The usual shape (session { training { … } }): both in one JOIN.
        account_rows, (session_by_id, training_by_id) = await asyncio.gather(
            loaders.account_by_id.load_many(sorted(people)) if people else _nothing(),
            loaders.sessions_with_trainings(session_ids),
        )
        session_rows: list[Any] = list(session_by_id.values())
        training_rows: list[Any] = list(training_by_id.values())
    else:
        training_ids = sorted({row.training_id for row in rows}) if "training" in asked else []
        account_rows, session_rows, training_rows = await asyncio.gather(
            loaders.account_by_id.load_many(sorted(people)) if people else _nothing(),
            loaders.session_by_id.load_many(session_ids) if session_ids else _nothing(),
            loaders.training_by_id.load_many(training_ids) if training_ids else _nothing(),
        )
    provider_ids = sorted({training.provider_structure_id for training in training_rows if training})
    provider_rows = await loaders.structure_by_id.load_many(provider_ids) if "provider" in asked else []
    providers = {row.id: Structure.from_row(row) for row in provider_rows if row}
    trainings = {
        row.id: Training.from_row(row, providers.get(row.provider_structure_id))
        for row in training_rows
        if row
    }
    sessions = {
        row.id: TrainingSession.from_row(row, trainings.get(row.training_id)) for row in session_rows if row
    }
    accounts = {row.id: Account.from_row(row) for row in account_rows if row}
    return lambda row: Registration.from_row(row, accounts, sessions)


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
