"""The many-to-one relations a page of rows may read in its own statement, declared once per listing.

A listing's relations are a table: each names the entity it joins, how, which relation it needs joined
first, the request loader its rows prime, and the GraphQL fields whose selection asks for it. Given the
field names a query selects, the table says what to join (`RelationTable.joins`); the page loader
(pagination.paginate with `Joins.widen`) reads the page and everything joined in one statement, and
`Joins.rows` hands back each relation's rows by id, with the request's loaders primed. Adding a relation is
one line of the table; schema/ builds no SQL.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Select

from parcourspro_gql import models

if TYPE_CHECKING:
    from parcourspro_gql.loaders import Loaders
    from parcourspro_gql.loaders.pagination import Page


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

    def join(self, statement: Select[Any]) -> Select[Any]:
        return statement.join(self.target, self.on, isouter=self.outer).add_columns(self.target)


@dataclass(frozen=True)
class Joins:
    """The relations chosen for one page, in the table's order (which is the join order)."""

    relations: tuple[Relation, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """What shapes the statement (paginate's `shape`)."""
        return tuple(relation.name for relation in self.relations)

    def widen(self, statement: Select[Any]) -> Select[Any]:
        """The page's statement with every chosen relation joined and selected."""
        for relation in self.relations:
            statement = relation.join(statement)
        return statement

    def rows(self, page: Page[Any], loaders: Loaders) -> dict[str, dict[int, Any]]:
        """Each relation's rows by id, as the page read them; the request's loaders are primed with them so
        that any other field asking for one reads it without a statement."""
        found: dict[str, dict[int, Any]] = {relation.name: {} for relation in self.relations}
        for joined in page.joined:
            for relation, row in zip(self.relations, joined, strict=True):
                if row is not None:
                    found[relation.name][row.id] = row
        for relation in self.relations:
            if relation.primes is not None:
                for pk, row in found[relation.name].items():
                    loaders.prime(relation.primes, pk, row)
        return found


class RelationTable:
    """The relations of one listing, in join order (a relation comes after those it needs)."""

    def __init__(self, *relations: Relation) -> None:
        self.relations = relations
        self._by_name = {relation.name: relation for relation in relations}
        for position, relation in enumerate(relations):
            for needed in relation.needs:
                if needed not in self._by_name or relations.index(self._by_name[needed]) > position:
                    raise ValueError(f"{relation.name} needs {needed}, which must come before it")
        self._cache: dict[frozenset[str], Joins] = {}

    def joins(self, asked: Iterable[str]) -> Joins:
        """The relations that the selected field names ask for, with those they need."""
        key = frozenset(asked)
        found = self._cache.get(key)
        if found is not None:
            return found
        wanted: set[str] = set()
        for relation in self.relations:
            if relation.asked_by & key and (relation.with_field is None or relation.with_field in key):
                wanted.add(relation.name)
        for relation in reversed(self.relations):  # needs point backwards: one pass from the end suffices
            if relation.name in wanted:
                wanted.update(relation.needs)
        joins = Joins(tuple(relation for relation in self.relations if relation.name in wanted))
        if len(self._cache) < 256:  # the selections of a listing are few; never grow without bound
            self._cache[key] = joins
        return joins


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
    )


# A page of registrations: its session, the training (for `training`, `documents` and the provider), the
# training's provider, the beneficiary and the account behind each decision asked with its `by`.
REGISTRATION_RELATIONS = RelationTable(
    Relation(
        "session",
        models.TrainingSession,
        models.TrainingSession.id == models.Registration.session_id,
        asked_by=frozenset({"session"}),
        primes="session_by_id",
    ),
    Relation(
        "training",
        models.Training,
        models.Training.id == models.Registration.training_id,
        asked_by=frozenset({"training", "documents"}),
        primes="training_by_id",
    ),
    Relation(
        "provider",
        models.Structure,
        models.Structure.id == models.Training.provider_structure_id,
        asked_by=frozenset({"provider"}),
        needs=("training",),
        primes="structure_by_id",
    ),
    Relation(
        "beneficiary",
        models.Account,
        models.Account.id == models.Registration.beneficiary_id,
        asked_by=frozenset({"beneficiary"}),
        primes="account_by_id",
    ),
    _decision("employerDecision", models.Registration.employer_decision_by_id),
    _decision("providerDecision", models.Registration.provider_decision_by_id),
    _decision("cancellation", models.Registration.cancelled_by_id),
)
