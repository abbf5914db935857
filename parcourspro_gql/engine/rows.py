"""Building API objects from ORM rows (their column values read from the instance's dict), and the Fields that
describe how a type's plain fields are read from a row: what its objects are built from, and what a row plan
(engine/execution.py) answers a page from without building them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, Protocol, TypeVar

from parcourspro_gql.loaders.relations import NarrowRow

T = TypeVar("T")

# Whether `build` may read the instance dict: set per request from PARCOURSPRO_FAST_PATHS by the view (a
# context variable, not a global: two apps of one process, as the differential tests run, may differ).
ROW_SHORTCUT: ContextVar[bool] = ContextVar("parcourspro_row_shortcut", default=True)

# What a computed field holds when a narrow read did not take its columns (a session's seatsLeft when not
# asked): never answered, since only the fields whose columns were read are asked.
NOT_READ: Any = None


class Values(Protocol):
    """A row's column values by name: its instance dict, or its Attributes."""

    def __getitem__(self, name: str, /) -> Any: ...


class Attributes:
    """A row's column values by name, read through the ORM's attributes (which load what is not loaded)."""

    __slots__ = ("_row",)

    def __init__(self, row: Any) -> None:
        self._row = row

    def __getitem__(self, name: str) -> Any:
        return getattr(self._row, name)


def build(make: Callable[[Values], T], row: Any) -> T:
    """`make(values)` with the row's instance dict as the values: a loaded column is read there without the
    ORM's attribute descriptor, about four times faster (a page of 100 registrations reads some 5,000). When
    one of them is not in it (expired, deferred, never loaded), `make` runs again on the ORM's attributes.
    With the fast paths off, always through the ORM's attributes. A row that a page read narrow (a NarrowRow,
    loaders/relations.py: only with the fast paths on) is its values already."""
    if row.__class__ is NarrowRow:
        return make(row)
    if not ROW_SHORTCUT.get():
        return make(Attributes(row))
    try:
        return make(row.__dict__)
    except KeyError:
        return make(Attributes(row))


class Fields:
    """How the plain fields of an API type are read from a row's values: for each attribute, the column it
    copies as it is (a name) or a function of the values. It is the one description of those fields: the
    type's `from_row` builds its objects from it, and a row plan (engine/execution.py) answers from it
    straight from a page's rows, without building the objects. `nested` names the attached objects that a
    row plan may follow: for each attribute, how to find the row of the object (see Related and Itself).

    A type declares it as its class attribute ROW_FIELDS; a row plan answers only the fields it names."""

    __slots__ = ("leaves", "nested")

    def __init__(self, nested: dict[str, Nested] | None = None, **leaves: str | Callable[[Any], Any]) -> None:
        self.leaves: dict[str, Callable[[Any], Any]] = {
            name: itemgetter(read) if isinstance(read, str) else read for name, read in leaves.items()
        }
        self.nested: dict[str, Nested] = nested or {}

    def values(self, values: Values) -> dict[str, Any]:
        """Every leaf's value, by attribute (what `from_row` passes to the type)."""
        return {name: read(values) for name, read in self.leaves.items()}


class Nested(Protocol):
    def __call__(self, values: Any, related: Mapping[str, Mapping[Any, Any]], /) -> Any: ...


# What a Nested gives when the page did not read the row it looks for narrow: the row plan cannot answer.
NOT_JOINED: Any = object()


@dataclass(frozen=True, slots=True)
class Related:
    """The attached object is the row of `relation` (as loaders/relations.py's Joins.rows found them) whose id
    is the value of `column`; None when the link is null or the join found nothing, NOT_JOINED when the
    relation was not joined or not read narrow (an entity, which the Fields do not read)."""

    relation: str
    column: str

    def __call__(self, values: Any, related: Mapping[str, Mapping[Any, Any]]) -> Any:
        rows = related.get(self.relation)
        if rows is None:
            return NOT_JOINED
        key = values[self.column]
        row = None if key is None else rows.get(key)
        return NOT_JOINED if row is not None and row.__class__ is not NarrowRow else row


@dataclass(frozen=True, slots=True)
class Itself:
    """The attached object's row is the item at `index` of the row (an edge's node: its page row)."""

    index: int

    def __call__(self, values: Any, related: Mapping[str, Mapping[Any, Any]]) -> Any:
        return values[self.index]


@dataclass(frozen=True, slots=True)
class RowItems:
    """What a row plan answers the list `attribute` of an object from, instead of the objects: one item per
    object of the list (an edge's: its key and its page row, read narrow), and the rows joined to the page
    by relation name and id."""

    attribute: str
    items: list[Any]
    related: Mapping[str, Mapping[Any, Any]]
