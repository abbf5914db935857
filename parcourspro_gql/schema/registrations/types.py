"""Registration, Decision, Document, EmployerOverview."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import strawberry
from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode, SelectionSetNode

from parcourspro_gql import models
from parcourspro_gql.auth.links import document_links
from parcourspro_gql.auth.viewer import Viewer
from parcourspro_gql.domain import decisions, evaluations
from parcourspro_gql.domain import documents as paperwork
from parcourspro_gql.domain import registrations as rules
from parcourspro_gql.engine.execution import attached
from parcourspro_gql.engine.rows import ROW_SHORTCUT, Fields, Related, build
from parcourspro_gql.loaders.decisions import DecisionKey
from parcourspro_gql.loaders.relations import REGISTRATION_RELATIONS, NarrowRow
from parcourspro_gql.schema.accounts.types import Account
from parcourspro_gql.schema.catalogue.types import REGISTRATION_ORDER, Training, TrainingSession
from parcourspro_gql.schema.context import Info
from parcourspro_gql.schema.enums import DocumentKind, RegistrationCategory, RegistrationStatus, Role
from parcourspro_gql.schema.errors import UserError
from parcourspro_gql.schema.registrations.evaluation_types import Evaluation
from parcourspro_gql.schema.relay import Connection, Node, connection, node_resolver, to_global_id
from parcourspro_gql.schema.structures.types import Structure


@strawberry.type(
    description="Who decided, as the caller may know it: a name and a capacity, never an e-mail address."
)
class Actor:
    display_name: str
    role: Role
    organisation: str = strawberry.field(description="The decider's structure, or Cap Métiers for managers.")


@strawberry.type
class Decision:
    by_pk: strawberry.Private[int]
    slot: strawberry.Private[decisions.Slot]
    party_row: strawberry.Private[models.Registration]
    at: datetime
    comment: str | None
    # The deciding account when a page joined it; by_obj only when the caller may see it (V1).
    decider_obj: strawberry.Private[Account | None] = None
    by_obj: strawberry.Private[Account | None] = None

    @strawberry.field(
        metadata=attached("by_obj"),
        graphql_type=Account | None,
        description="The deciding account, when the caller may see it (his own structure, or a manager); use "
        "actor otherwise.",
    )
    def by(self, info: Info) -> Account | Awaitable[Account | None] | None:
        # Sync, typed for the schema by graphql_type: a preloaded object costs no task; otherwise the
        # executor awaits the loader's coroutine.
        return self.by_obj or self._load_by(info)

    async def _load_by(self, info: Info) -> Account | None:
        decider = await self._decider(info)
        return decider if decisions.may_see_decider(info.context.viewer, _facts(decider)) else None

    async def _decider(self, info: Info) -> Account:
        if self.decider_obj is not None:
            return self.decider_obj
        row = await info.context.loaders.account_by_id.load(self.by_pk)
        assert row is not None
        return Account.from_row(row)

    @strawberry.field(
        description="Who decided, as the caller may know it: a name and a capacity, never an email address."
    )
    async def actor(self, info: Info) -> Actor:
        row = self.party_row
        # One load, awaited first: every decision of a page joins the same batch.
        facts = await info.context.loaders.decision_facts_by_key.load(
            DecisionKey(self.by_pk, row.training_id, row.structure_id)
        )
        party = decisions.Party(row.beneficiary_id, row.structure_id, facts.provider_structure_id)
        decider = facts.decider
        role = decisions.acting_role(
            self.slot,
            decisions.Decider(decider.id, decider.structure_id, decider.affiliation_status),
            facts.roles,
            party,
        )
        structure_pk = decisions.organisation_of(role, party)
        return Actor(
            display_name=decisions.display_name(decider.first_name, decider.last_name),
            role=role,
            organisation=decisions.MANAGERS_ORGANISATION
            if structure_pk is None
            else facts.structure_names[structure_pk],
        )

    @classmethod
    def of(
        cls,
        slot: decisions.Slot,
        row: models.Registration,
        by: int | None,
        at: datetime | None,
        comment: str | None,
        deciders: Deciders | None = None,
    ) -> Decision | None:
        if by is None or at is None:
            return None
        decider, visible = deciders.get(by) if deciders is not None else (None, False)
        return cls(
            by_pk=by,
            slot=slot,
            party_row=row,
            at=at,
            comment=comment,
            decider_obj=decider,
            by_obj=decider if visible else None,
        )


def _facts(account: Account) -> decisions.Decider:
    return decisions.Decider(account.pk, account.structure_pk, account.affiliation_status)


@dataclass(frozen=True)
class Deciders:
    """The deciding accounts that a page joined, each with whether the caller may see it (V1)."""

    accounts: dict[int, Account]
    viewer: Viewer

    def get(self, pk: int) -> tuple[Account | None, bool]:
        account = self.accounts.get(pk)
        if account is None:
            return None, False
        return account, decisions.may_see_decider(self.viewer, _facts(account))


@strawberry.type(description="A PDF (D1–D4); only the people concerned may download it (D5).")
class Document:
    kind: DocumentKind
    file_name: str
    ref: strawberry.Private[paperwork.DocumentRef]
    viewer_id: strawberry.Private[int]

    @strawberry.field(
        description="Download URL of the PDF, signed for the caller and this document: it opens without any "
        "header (a link, a WebView, a share sheet) for PARCOURSPRO_DOCUMENT_LINK_MINUTES (10 min by default); "
        "ask for it again afterwards. The same path without its query answers to the bearer header."
    )
    def url(self, info: Info) -> str:
        return document_links(info.context.settings).url(self.ref.token(), self.viewer_id)

    @classmethod
    def of(cls, ref: paperwork.DocumentRef, viewer_id: int, file_name: str) -> Document:
        return cls(kind=ref.kind, file_name=file_name, ref=ref, viewer_id=viewer_id)


@strawberry.type(description="A seat held for a waitlisted person until its deadline (G7').")
class SeatOffer:
    offered_at: datetime
    expires_at: datetime = strawberry.field(
        description="The seat goes to the next person on the waiting list after this."
    )


@strawberry.type
class Registration(Node):
    # The row itself: its ids and states are read from it by the nested fields and the documents. In a page
    # read with the fast paths, a NarrowRow (loaders/relations.py) holding every column the rules read.
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
    seat_offer: SeatOffer | None = strawberry.field(
        description="A seat held for this waitlisted person until its deadline (G7), null otherwise."
    )
    beneficiary_obj: strawberry.Private[Account | None] = None
    session_obj: strawberry.Private[TrainingSession | None] = None
    training_obj: strawberry.Private[Training | None] = None

    @classmethod
    def from_row(
        cls,
        row: models.Registration,
        accounts: dict[int, Account] | None = None,
        sessions: dict[int, TrainingSession] | None = None,
        trainings: dict[int, Training] | None = None,
        deciders: Deciders | None = None,
    ) -> Registration:
        return build(
            lambda v: cls(
                **REGISTRATION_ROW.values(v),
                row=row,
                employer_decision=Decision.of(
                    decisions.Slot.EMPLOYER,
                    row,
                    v["employer_decision_by_id"],
                    v["employer_decision_at"],
                    v["employer_decision_comment"],
                    deciders,
                ),
                provider_decision=Decision.of(
                    decisions.Slot.PROVIDER,
                    row,
                    v["provider_decision_by_id"],
                    v["provider_decision_at"],
                    v["provider_decision_comment"],
                    deciders,
                ),
                cancellation=Decision.of(
                    decisions.Slot.CANCELLATION,
                    row,
                    v["cancelled_by_id"],
                    v["cancelled_at"],
                    v["cancellation_reason"],
                    deciders,
                ),
                seat_offer=SeatOffer(offered_at=v["offered_seat_at"], expires_at=v["offer_expires_at"])
                if v["offer_expires_at"] is not None and v["status"] is models.RegistrationStatus.WAITLISTED
                else None,
                beneficiary_obj=(accounts or {}).get(v["beneficiary_id"]),
                session_obj=(sessions or {}).get(v["session_id"]),
                training_obj=(trainings or {}).get(v["training_id"]),
            ),
            row,
        )

    @strawberry.field(
        description="Position on the session's waiting list (1 = next), null when not waitlisted (or holding "
        "a seat offer)."
    )
    async def waitlist_position(self, info: Info) -> int | None:
        if self.row.status is not models.RegistrationStatus.WAITLISTED or self.seat_offer is not None:
            return None
        waiting = await info.context.loaders.waitlist_by_session_id.load(self.row.session_id)
        return waiting.index(self.row.id) + 1 if self.row.id in waiting else None

    @strawberry.field(metadata=attached("beneficiary_obj"), graphql_type=Account)
    def beneficiary(self, info: Info) -> Account | Awaitable[Account]:
        return self.beneficiary_obj or self._load_beneficiary(info)

    async def _load_beneficiary(self, info: Info) -> Account:
        row = await info.context.loaders.account_by_id.load(self.row.beneficiary_id)
        assert row is not None
        return Account.from_row(row)

    @strawberry.field(metadata=attached("session_obj"), graphql_type=TrainingSession)
    def session(self, info: Info) -> TrainingSession | Awaitable[TrainingSession]:
        return self.session_obj or self._load_session(info)

    async def _load_session(self, info: Info) -> TrainingSession:
        row = await info.context.loaders.session_by_id.load(self.row.session_id)
        assert row is not None
        return TrainingSession.from_row(row)

    @strawberry.field(
        description="The documents of this registration that the caller may download: convocation and "
        "convention once accepted, attestation once attended, attendance sheet for the provider and managers.",
        graphql_type=list[Document],
    )
    def documents(self, info: Info) -> list[Document] | Awaitable[list[Document]]:
        training = self.training_obj
        if training is not None:
            return self._documents(info, training.title, training.provider_pk)
        return self._load_documents(info)

    async def _load_documents(self, info: Info) -> list[Document]:
        training = await info.context.loaders.training_by_id.load(self.row.training_id)
        assert training is not None
        return self._documents(info, training.title, training.provider_structure_id)

    def _documents(self, info: Info, title: str, provider_structure_id: int) -> list[Document]:
        viewer = info.context.viewer
        if viewer.account_id is None:
            return []
        return [
            Document.of(ref, viewer.account_id, paperwork.file_name(ref, title))
            for ref in paperwork.documents_of(viewer, self.row, provider_structure_id)
        ]

    @strawberry.field(
        description="The participant's evaluation once given: the participant, the provider and managers."
    )
    async def evaluation(self, info: Info) -> Evaluation | None:
        if self.row.status is not models.RegistrationStatus.ATTENDED:
            return None
        training = await info.context.loaders.training_by_id.load(self.row.training_id)
        assert training is not None
        if not evaluations.can_read_evaluation(info.context.viewer, self.row, training.provider_structure_id):
            return None
        row = await info.context.loaders.evaluation_by_registration_id.load(self.row.id)
        return Evaluation.from_row(row) if row else None

    @staticmethod
    async def connection(
        info: Info, listing: rules.Listing, first: int | None, after: str | None
    ) -> Connection[Registration]:
        # With the fast paths on, the page's rows and those joined to them are read narrow: the columns that
        # the asked fields read.
        joins = REGISTRATION_RELATIONS.joins(_asked_names(info), narrow=ROW_SHORTCUT.get())
        return await connection(
            info,
            listing.statement(),
            REGISTRATION_ORDER,
            Registration.from_row,
            first,
            after,
            preload=lambda page, found: preload(info, found),
            widen=joins.widen,
            params=listing.params,
            shape=(listing.shape, joins.shape),
            narrow=joins.narrow,
            count_statement=listing.count_statement(),
            related=lambda page: joins.rows(page, info.context.loaders),
        )


# The plain fields of a registration, read from its row (engine/rows.py's Fields): what `from_row` builds it
# from, and what a row plan answers a page's registrations from, with their sessions and trainings.
REGISTRATION_ROW = Fields(
    nested={
        "beneficiary_obj": Related("beneficiary", "beneficiary_id"),
        "session_obj": Related("session", "session_id"),
        "training_obj": Related("training", "training_id"),
    },
    id=lambda v: strawberry.ID(to_global_id("Registration", v["id"])),
    motivation="motivation",
    status="status",
    category=lambda v: rules.CATEGORY_OF[v["status"]],
    over_structure_cap="over_structure_cap",
    requested_at="requested_at",
    attendance_rate="attendance_rate",
)
Registration.ROW_FIELDS = REGISTRATION_ROW  # type: ignore[attr-defined]


def _asked_names(info: Info) -> set[str]:
    """Every field name requested below the current field (fragments included; a field under @skip or
    @include counts as asked), read from graphql-core's syntax tree: cheaper than strawberry's
    `selected_fields`, which converts the whole subtree into its own objects first."""
    raw = info._raw_info
    names: set[str] = set()

    def walk(selection_set: SelectionSetNode | None) -> None:
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                names.add(selection.name.value)
                walk(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                walk(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = raw.fragments.get(selection.name.value)
                walk(fragment.selection_set if fragment else None)

    for node in raw.field_nodes:
        walk(node.selection_set)
    return names


def preload(
    info: Info, found: Mapping[str, Mapping[int, Any]]
) -> Callable[[models.Registration], Registration]:
    """Builds the objects around each registration of a page from the rows joined to it (`found`, by
    `Joins.rows`, which primed the request's loaders with them too), so that every nested field reads a
    plain object: no statement and no task per row."""
    people: dict[int, Any] = {}
    for name in ("beneficiary", "employerDecision", "providerDecision", "cancellation"):
        for pk, row in found.get(name, {}).items():
            people[pk] = _either(people.get(pk), row)
    providers = {pk: Structure.from_row(row) for pk, row in found.get("provider", {}).items()}
    trainings = {
        pk: Training.from_row(row, providers.get(row.provider_structure_id))
        for pk, row in found.get("training", {}).items()
    }
    sessions = {
        pk: TrainingSession.from_row(row, trainings.get(row.training_id))
        for pk, row in found.get("session", {}).items()
    }
    accounts = {pk: Account.from_row(row) for pk, row in people.items()}
    deciders = Deciders(accounts, info.context.viewer)
    return lambda row: Registration.from_row(row, accounts, sessions, trainings, deciders)


def _either(known: Any, row: Any) -> Any:
    """One account read by two relations of a page (a beneficiary who cancelled himself): an entity if either
    read one, else the columns that both narrow reads took."""
    if known is None or known.__class__ is not NarrowRow:
        return known if known is not None else row
    if row.__class__ is not NarrowRow:
        return row
    return NarrowRow({**known, **row})


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
