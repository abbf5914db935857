"""The many-to-one relations a page of rows may read in its own statement, declared once per listing.

A listing's relations are a table: each names the entity it joins, how, which relation it needs joined
first, the request loader its rows prime, and the GraphQL fields whose selection asks for it. Given the
field names a query selects, the table says what to join (`RelationTable.joins`); the page loader
(pagination.paginate with `Joins.widen`) reads the page and everything joined in one statement, and
`Joins.rows` hands back each relation's rows by id, with the request's loaders primed. Adding a relation is
one line of the table; schema/ builds no SQL.

A relation that declares which columns each GraphQL field of its type reads (`Relation.fields`) may be read
narrow, with the fast paths on: only the columns that the asked fields read, as a `NarrowRow` rather than an
ORM entity. On SQLite most of a page's cost is converting columns nobody asked for (a page of 100
registrations with their beneficiary, session and training is 72 columns a row, 25 of them dates), and an ORM
instance costs more than the dict it fills. A narrow row never primes a loader: a loader must hand back whole
rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Select

from parcourspro_gql import models

if TYPE_CHECKING:
    from parcourspro_gql.loaders import Loaders
    from parcourspro_gql.loaders.pagination import Page


class NarrowRow(dict[str, Any]):
    """The columns of one row that a narrow read took, by attribute name, as items and as attributes. A column
    that was not read is None: only the fields whose columns were read may be answered from it, which is what
    `Relation.fields` declares (and tests/registrations/test_narrow_reads.py checks against the schema)."""

    __slots__ = ()

    def __missing__(self, name: str) -> None:
        return None

    def __getattr__(self, name: str) -> Any:
        return self[name]


@dataclass(frozen=True)
class Relation:
    """One many-to-one relation: `target` (an entity or an alias) joined `on` (outer when the relation may be
    absent). Joined when one of `asked_by` is selected, and `with_field` too when given (the account behind
    a decision is joined only when the decision's `by` is asked). `needs` is joined first; `primes` names the
    request loader that its rows fill (by id)."""

    name: str
    target: Any
    on: ColumnElement[bool]
    asked_by: frozenset[str]
    outer: bool = False
    needs: tuple[str, ...] = ()
    with_field: str | None = None
    primes: str | None = None
    # For narrow reads: the columns (attribute names) that each GraphQL field of the target's type reads, every
    # field of the type named; None: always read as an entity. `keys` are read whatever is asked: the id, and
    # what links the row to the other relations and to the permission checks.
    fields: Mapping[str, tuple[str, ...]] | None = None
    keys: tuple[str, ...] = ("id",)
    # Columns read by fields of the listing's own type (a registration's documents read its training's title).
    read_by: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def columns(self, asked: frozenset[str]) -> tuple[str, ...] | None:
        """The columns a narrow read of this relation takes for these asked field names, or None when it is
        read as an entity."""
        if self.fields is None:
            return None
        return _narrow(self.keys, (self.fields, self.read_by), asked)

    def join(self, statement: Select[Any], columns: tuple[str, ...] | None = None) -> Select[Any]:
        joined = statement.join(self.target, self.on, isouter=self.outer)
        if columns is None:
            return joined.add_columns(self.target)
        return joined.add_columns(*[getattr(self.target, name) for name in columns])


@dataclass(frozen=True)
class OwnRows:
    """How a listing's own rows may be read narrow: the columns that each GraphQL field of their type reads
    (every field of the type named), and `keys`, read whatever is asked: the id first, the order columns, and
    every column that the rules read from the row (who may see what, which documents exist)."""

    entity: Any
    fields: Mapping[str, tuple[str, ...]]
    keys: tuple[str, ...]

    def columns(self, asked: frozenset[str]) -> tuple[str, ...]:
        return _narrow(self.keys, (self.fields,), asked)


def _narrow(
    keys: tuple[str, ...], tables: tuple[Mapping[str, tuple[str, ...]], ...], asked: frozenset[str]
) -> tuple[str, ...]:
    """The keys and the columns of the asked names (names of other types only add columns: a superset is
    read), in the tables' order, so that a selection always gives the same statement text."""
    wanted = dict.fromkeys(keys)
    for table in tables:
        for name, read in table.items():
            if name in asked:
                wanted.update(dict.fromkeys(read))
    return tuple(wanted)


@dataclass(frozen=True)
class Joins:
    """The relations chosen for one page, in the table's order (which is the join order), each with the
    columns of its narrow read (None: read as an entity)."""

    relations: tuple[Relation, ...]
    columns: tuple[tuple[str, ...] | None, ...]
    # The listing's own rows read narrow (paginate's `narrow`): their entity and columns; None: as entities.
    own: tuple[Any, tuple[str, ...]] | None
    # Where each relation's values start in a row of `Page.joined`, and where they end.
    _spans: tuple[tuple[int, int], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        spans: list[tuple[int, int]] = []
        start = 0
        for columns in self.columns:
            end = start + (1 if columns is None else len(columns))
            spans.append((start, end))
            start = end
        object.__setattr__(self, "_spans", tuple(spans))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(relation.name for relation in self.relations)

    @property
    def shape(self) -> tuple[Any, ...]:
        """What shapes the statement (paginate's `shape`): the own rows' columns, each relation with its."""
        return (self.narrow, *zip(self.names, self.columns, strict=True))

    @property
    def narrow(self) -> tuple[str, ...] | None:
        """The columns of the listing's own rows (paginate's `narrow`), None when they are read as entities."""
        return self.own[1] if self.own is not None else None

    def widen(self, statement: Select[Any]) -> Select[Any]:
        """The page's statement with every chosen relation joined and selected (after the own rows' columns
        when they are read narrow)."""
        if self.own is not None:
            entity, own = self.own
            statement = statement.with_only_columns(
                *[getattr(entity, name) for name in own], maintain_column_froms=True
            )
        for relation, columns in zip(self.relations, self.columns, strict=True):
            statement = relation.join(statement, columns)
        return statement

    def rows(self, page: Page[Any], loaders: Loaders) -> dict[str, dict[int, Any]]:
        """Each relation's rows by id, as the page read them (a NarrowRow when read narrow); the request's
        loaders are primed with the entities so that any other field asking for one reads it without a
        statement."""
        found: dict[str, dict[int, Any]] = {relation.name: {} for relation in self.relations}
        layout = [
            (found[relation.name], start, end, columns)
            for relation, columns, (start, end) in zip(self.relations, self.columns, self._spans, strict=True)
        ]
        for joined in page.joined:
            for rows, start, end, columns in layout:
                if columns is None:
                    row = joined[start]
                    if row is not None:
                        rows[row.id] = row
                elif joined[start] is not None:  # the id comes first; None: an outer join found nothing
                    rows[joined[start]] = NarrowRow(zip(columns, joined[start:end], strict=True))
        for relation, columns in zip(self.relations, self.columns, strict=True):
            if relation.primes is not None and columns is None:
                for pk, row in found[relation.name].items():
                    loaders.prime(relation.primes, pk, row)
        return found


class RelationTable:
    """The relations of one listing, in join order (a relation comes after those it needs)."""

    def __init__(self, *relations: Relation, own: OwnRows | None = None) -> None:
        self.relations = relations
        self.own = own
        narrow = [("own rows", own.keys)] if own is not None else []
        narrow += [(relation.name, relation.keys) for relation in relations if relation.fields is not None]
        for name, keys in narrow:
            if keys[:1] != ("id",):
                raise ValueError(f"{name}: a narrow read's keys start with the id")
        self._by_name = {relation.name: relation for relation in relations}
        for position, relation in enumerate(relations):
            for needed in relation.needs:
                if needed not in self._by_name or relations.index(self._by_name[needed]) > position:
                    raise ValueError(f"{relation.name} needs {needed}, which must come before it")
        self._cache: dict[tuple[frozenset[str], bool], Joins] = {}

    def joins(self, asked: Iterable[str], narrow: bool = False) -> Joins:
        """The relations that the selected field names ask for, with those they need; with `narrow`, those
        that can be are read narrow (the columns the names read)."""
        names = frozenset(asked)
        found = self._cache.get((names, narrow))
        if found is not None:
            return found
        wanted: set[str] = set()
        for relation in self.relations:
            if relation.asked_by & names and (relation.with_field is None or relation.with_field in names):
                wanted.add(relation.name)
        for relation in reversed(self.relations):  # needs point backwards: one pass from the end suffices
            if relation.name in wanted:
                wanted.update(relation.needs)
        chosen = tuple(relation for relation in self.relations if relation.name in wanted)
        joins = Joins(
            chosen,
            tuple(relation.columns(names) if narrow else None for relation in chosen),
            (self.own.entity, self.own.columns(names)) if narrow and self.own is not None else None,
        )
        if len(self._cache) < 256:  # the selections of a listing are few; never grow without bound
            self._cache[(names, narrow)] = joins
        return joins


# The columns that each field of the API's types reads when it is built from a row (schema/'s `from_row`), for
# narrow reads. Every field of the type is named: a field resolved from the object's id reads nothing more.
ACCOUNT_FIELDS: dict[str, tuple[str, ...]] = {
    "id": (),
    "affiliationRequestedAt": ("affiliation_requested_at",),
    "affiliationStatus": ("affiliation_status",),
    "disabledAt": ("disabled_at",),
    "email": ("email",),
    "emailVerified": ("email_verified_at",),
    "favourites": (),
    "firstName": ("first_name",),
    "lastName": ("last_name",),
    "notifications": (),
    "quota": (),
    "registrations": (),
    "roles": (),
    "structure": (),
    "unreadNotificationCount": (),
}
SESSION_FIELDS: dict[str, tuple[str, ...]] = {
    "id": (),
    "cancellationReason": ("cancellation_reason",),
    "capacity": ("capacity",),
    "contact": ("contact",),
    "days": ("starts_at", "ends_at"),
    "endsAt": ("ends_at",),
    "evaluationSummary": (),
    "halfDays": ("half_days",),
    "location": ("location",),
    "minParticipants": ("min_participants",),
    "registrationClosesAt": ("registration_closes_at",),
    "registrationOpensAt": ("registration_opens_at",),
    "registrations": (),
    "seatsLeft": ("capacity", "seats_taken"),
    "secondPhaseOpensAt": ("second_phase_at",),
    "startsAt": ("starts_at",),
    "status": ("cancelled_at",),
    "training": (),
    "waitlistCount": (),
}
TRAINING_FIELDS: dict[str, tuple[str, ...]] = {
    "id": (),
    "assessment": ("assessment",),
    "content": ("content",),
    "description": ("description",),
    "durationHours": ("duration_hours",),
    "format": ("format",),
    "isFavourite": (),
    "objectives": ("objectives",),
    "provider": (),
    "reservedToMembers": ("reserved_to_members",),
    "sessions": (),
    "title": ("title",),
}
STRUCTURE_FIELDS: dict[str, tuple[str, ...]] = {
    "id": (),
    "accounts": (),
    "address": ("street", "postal_code", "city"),
    "apeCode": ("ape_code",),
    "apeLabel": ("ape_code",),
    "changes": (),
    "conventions": (),
    "isMember": (),
    "memberships": (),
    "name": ("name",),
    "rejectionReason": ("rejection_reason",),
    "requestedAt": ("requested_at",),
    "siret": ("siret",),
    "status": ("status",),
}
# An account's keys: its structure (permission checks) and affiliation (whether a decider may be shown, V1).
_ACCOUNT_KEYS = ("id", "structure_id", "affiliation_status")


def _decision(name: str, decided_by: Any) -> Relation:
    """The account that took one of a registration's decisions, under its own alias (built once: SQLAlchemy
    caches the SQL of each shape)."""
    account = aliased(models.Account, name=f"{name}_by")
    return Relation(
        name,
        account,
        account.id == decided_by,
        asked_by=frozenset({name}),
        outer=True,
        with_field="by",
        primes="account_by_id",
        fields=ACCOUNT_FIELDS,
        keys=_ACCOUNT_KEYS,
    )


# A page of registrations: its session, the training (for `training`, `documents` and the provider), the
# training's provider, the beneficiary and the account behind each decision asked with its `by`.
# A registration's fields. Its keys: the id and the order (cursors), and what the rules read from the row:
# the category, the documents (domain/documents.py), who may read the evaluation, a decision's parties.
REGISTRATION_FIELDS: dict[str, tuple[str, ...]] = {
    "id": (),
    "attendanceRate": ("attendance_rate",),
    "beneficiary": (),
    "cancellation": ("cancelled_by_id", "cancelled_at", "cancellation_reason"),
    "category": (),
    "documents": (),
    "employerDecision": ("employer_decision_by_id", "employer_decision_at", "employer_decision_comment"),
    "evaluation": (),
    "motivation": ("motivation",),
    "overStructureCap": ("over_structure_cap",),
    "providerDecision": ("provider_decision_by_id", "provider_decision_at", "provider_decision_comment"),
    "requestedAt": (),
    "seatOffer": ("offered_seat_at", "offer_expires_at"),
    "session": (),
    "status": (),
    # Null while the person holds a seat offer.
    "waitlistPosition": ("offered_seat_at", "offer_expires_at"),
}
REGISTRATION_KEYS = (
    "id",
    "requested_at",
    "status",
    "beneficiary_id",
    "session_id",
    "training_id",
    "structure_id",
)

REGISTRATION_RELATIONS = RelationTable(
    Relation(
        "session",
        models.TrainingSession,
        models.TrainingSession.id == models.Registration.session_id,
        asked_by=frozenset({"session"}),
        primes="session_by_id",
        fields=SESSION_FIELDS,
        keys=("id", "training_id"),
    ),
    Relation(
        "training",
        models.Training,
        models.Training.id == models.Registration.training_id,
        asked_by=frozenset({"training", "documents"}),
        primes="training_by_id",
        fields=TRAINING_FIELDS,
        read_by={"documents": ("title",)},
        keys=("id", "provider_structure_id"),
    ),
    Relation(
        "provider",
        models.Structure,
        models.Structure.id == models.Training.provider_structure_id,
        asked_by=frozenset({"provider"}),
        needs=("training",),
        primes="structure_by_id",
        fields=STRUCTURE_FIELDS,
    ),
    Relation(
        "beneficiary",
        models.Account,
        models.Account.id == models.Registration.beneficiary_id,
        asked_by=frozenset({"beneficiary"}),
        primes="account_by_id",
        fields=ACCOUNT_FIELDS,
        keys=_ACCOUNT_KEYS,
    ),
    _decision("employerDecision", models.Registration.employer_decision_by_id),
    _decision("providerDecision", models.Registration.provider_decision_by_id),
    _decision("cancellation", models.Registration.cancelled_by_id),
    own=OwnRows(models.Registration, REGISTRATION_FIELDS, REGISTRATION_KEYS),
)
