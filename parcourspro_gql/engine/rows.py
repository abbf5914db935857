"""Building API objects from ORM rows: their column values read from the instance's dict."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
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


def columns(values: Values, *names: str) -> dict[str, Any]:
    """The values of the columns that a field of the same name copies as they are."""
    return {name: values[name] for name in names}


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
