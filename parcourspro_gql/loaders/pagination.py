"""Keyset (cursor) pagination for Relay connections: stable under inserts, fast on large tables."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, NamedTuple, TypeVar

from sqlalchemy import ColumnElement, Integer, String, bindparam, func, select, tuple_
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql import Select, Subquery

from parcourspro_gql.db import Database, UTCDateTime
from parcourspro_gql.loaders.relations import NarrowRow

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100

T = TypeVar("T")


class PaginationError(ValueError):
    """A bad `first` or `after` argument; the message is French, for the client."""


class Total(NamedTuple):
    """A list's number of rows, or (`estimate`) an estimate of it: a search with too many matches to count."""

    value: int
    estimate: bool = False


@dataclass(frozen=True)
class Keyed:
    """A filter whose page is read from an index of its own (a search's terms), by statements the domain
    builds: paginate only fetches the page's rows by primary key.

    `page(limit, after, total)` selects at most `limit + 1` rows of the primary key and order columns (named
    as theirs), in order, after the cursor when `after` (`past_cursor` gives the condition); with `total`,
    each row also carries the filter's `total_count`. `total()` selects that count alone, for a page past the
    end or of no rows. `estimate(count)` tells whether such a count is an estimate."""

    page: Callable[[int, bool, bool], Select[Any]]
    total: Callable[[], Select[Any]]
    estimate: Callable[[int], bool] = lambda _count: False


@dataclass
class Page(Generic[T]):
    rows: list[T]
    # Each row's values of the order columns: its cursor is encoded only if the client asks for it.
    keys: list[tuple[Any, ...]]
    has_next_page: bool
    has_previous_page: bool
    count: Callable[[], Awaitable[Total]]
    # For each row, the entities that `widen` joined to it (empty tuples without `widen`).
    joined: list[tuple[Any, ...]] = field(default_factory=list)


def page_size(first: int | None) -> int:
    if first is None:
        return DEFAULT_PAGE_SIZE
    if first < 0 or first > MAX_PAGE_SIZE:
        raise PaginationError(f"« first » doit être compris entre 0 et {MAX_PAGE_SIZE}.")
    return first


def encode_cursor(values: Sequence[Any]) -> str:
    plain = [value.isoformat() if isinstance(value, datetime) else value for value in values]
    raw = json.dumps(plain, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# Values a cursor may hold for a column: what the database accepts for it (X3), never an object or a list,
# an integer outside INTEGER's range, a naive time or a NUL character (PostgreSQL refuses each of them).
_INT_RANGE = range(-(2**31), 2**31)
_MAX_CURSOR_CHARS = 2_000


def _cursor_value(value: Any, column: InstrumentedAttribute[Any]) -> Any:
    if isinstance(column.type, UTCDateTime):
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
        if moment is None or moment.tzinfo is None:
            raise ValueError
        return moment
    if isinstance(column.type, Integer):
        if isinstance(value, bool) or not isinstance(value, int) or value not in _INT_RANGE:
            raise ValueError
        return value
    if isinstance(column.type, String):
        if not isinstance(value, str) or "\x00" in value or len(value) > 1_000:
            raise ValueError
        value.encode()  # a lone surrogate cannot be sent: UnicodeEncodeError, a ValueError
        return value
    raise ValueError


def decode_cursor(cursor: str, columns: Sequence[InstrumentedAttribute[Any]]) -> list[Any]:
    """The order columns' values of a cursor, each of its column's type; PaginationError for anything else."""
    try:
        if len(cursor) > _MAX_CURSOR_CHARS:
            raise ValueError
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
        if not isinstance(values, list) or len(values) != len(columns):
            raise ValueError
        return [_cursor_value(value, column) for value, column in zip(values, columns, strict=True)]
    except (ValueError, binascii.Error, TypeError, RecursionError) as error:
        raise PaginationError("Curseur « after » invalide.") from error


# Paged statements by shape (see paginate's `shape`): built once, found again by SQLAlchemy's compiled cache
# without walking a new statement. Bounded: the shapes are few (a listing, its joins, a page size).
_PAGED: dict[Hashable, Select[Any]] = {}
_PAGED_MAX = 1024


def past_cursor(
    columns: Sequence[Any], order_by: Sequence[InstrumentedAttribute[Any]], descending: bool = False
) -> ColumnElement[bool]:
    """`columns` (the order columns, or their copies in a subquery) after the cursor's values, which paginate
    binds as `after_0`, `after_1`, ... (before them when `descending`)."""
    marks = [bindparam(f"after_{i}", type_=column.type) for i, column in enumerate(order_by)]
    row, mark = tuple_(*columns), tuple_(*marks)
    return row < mark if descending else row > mark


def _paged(
    statement: Select[Any],
    order_by: Sequence[InstrumentedAttribute[Any]],
    limit: int,
    after: bool,
    descending: bool = False,
    total: bool = False,
    keyed: Keyed | None = None,
    widen: Callable[[Select[Any]], Select[Any]] | None = None,
) -> Select[Any]:
    if keyed is not None or total:
        if keyed is not None:
            narrow = keyed.page(limit, after, total)
        else:
            pk = statement.column_descriptions[0]["entity"].__mapper__.primary_key[0]
            columns = {column.key: column for column in (*order_by, pk)}
            keys = statement.with_only_columns(*columns.values(), maintain_column_froms=True)
            narrow = windowed_page(keys, order_by, limit, after, descending)
        return _joined(statement, narrow.subquery(), order_by, descending, total, widen)
    if widen is not None:
        statement = widen(statement)
    if after:
        statement = statement.where(past_cursor(order_by, order_by, descending))
    order = [column.desc() for column in order_by] if descending else order_by
    return statement.order_by(*order).limit(limit + 1)


def windowed_page(
    keys: Select[Any],
    order_by: Sequence[InstrumentedAttribute[Any]],
    limit: int,
    after: bool,
    descending: bool = False,
) -> Select[Any]:
    """A page of a filter's keys (its primary key and order columns) with the filter's exact number of rows:
    innermost the keys with `count(*) OVER ()`, computed before any outer WHERE, so the count is the filter's,
    not what follows the cursor; then the cursor, the order and `limit + 1` rows, each carrying `total_count`.
    It reads every row of the filter: for a search, once."""
    counted = keys.add_columns(func.count().over().label("total_count")).subquery()
    ordered = [counted.c[column.key] for column in order_by]
    narrow = select(counted)
    if after:
        narrow = narrow.where(past_cursor(ordered, order_by, descending))
    return narrow.order_by(*[c.desc() for c in ordered] if descending else ordered).limit(limit + 1)


def _joined(
    statement: Select[Any],
    page: Subquery,
    order_by: Sequence[InstrumentedAttribute[Any]],
    descending: bool,
    total: bool,
    widen: Callable[[Select[Any]], Select[Any]] | None = None,
) -> Select[Any]:
    """The page's rows, fetched by primary key from its narrow keys, with the total last. With `widen`, the
    rows come from the widened statement (its joins, and its filters again, on the page's rows alone)."""
    entity = statement.column_descriptions[0]["entity"]
    pk = entity.__mapper__.primary_key[0]
    carried = (page.c.total_count,) if total else ()
    outer = [page.c[column.key] for column in order_by]
    rows = select(entity) if widen is None else widen(statement)
    return (
        rows.join(page, pk == page.c[pk.key])
        .add_columns(*carried)
        .order_by(*[c.desc() for c in outer] if descending else outer)
    )


async def paginate(
    db: Database,
    statement: Select[Any],
    order_by: Sequence[InstrumentedAttribute[Any]],
    *,
    first: int | None,
    after: str | None,
    widen: Callable[[Select[Any]], Select[Any]] | None = None,
    params: Mapping[str, Any] | None = None,
    shape: Hashable | None = None,
    descending: bool = False,
    count_statement: Select[Any] | None = None,
    total_in_page: bool = False,
    keyed: Keyed | None = None,
    narrow: tuple[str, ...] | None = None,
) -> Page[Any]:
    """One page of `statement` (a select of one entity) in ascending `order_by`, whose last column is unique.

    `widen` may join related entities to each row (a many-to-one relation: one row each), read in the same
    statement and handed back in `Page.joined`. `params` are the values of the statement's bound parameters.
    `shape`, when given, names everything that shapes `statement` and `widen` (not the values of `params`):
    the paged statement is then built once per shape and page size. `descending` reverses the order (every
    column), the most recent first. The total count is run only if the client asks for `totalCount`, and not
    at all when the first page holds every row: then it is that page's length. Otherwise it is
    `count_statement` when given (one integer, from the same `params`: a maintained counter, say), else a
    count of `statement` alone (the filter, without order, joins or limit).

    `total_in_page` (for searches, which have no maintained count: the caller passes it when the client asks
    for `totalCount`) reads the count with the page, in the same statement: the search is run once. Only a
    page past the end (a cursor after the last row: no row to carry the total) then counts on its own.
    `keyed`, when given, reads the page's keys and its total from somewhere cheaper than `statement` (a
    search's own index; see Keyed): its total may then be an estimate (`Total.estimate`).
    `narrow`, given with a `widen` that selects these columns of the entity first (Joins.widen), hands back
    each row as a NarrowRow of them rather than an entity.
    """
    limit = page_size(first)
    values = decode_cursor(after, order_by) if after is not None else []
    total = total_in_page and count_statement is None and limit > 0
    key = None if shape is None else (shape, tuple(order_by), limit, after is not None, descending, total)
    paged = _PAGED.get(key) if key is not None else None
    if paged is None:
        paged = _paged(statement, order_by, limit, after is not None, descending, total, keyed, widen)
        if key is not None:
            if len(_PAGED) >= _PAGED_MAX:
                _PAGED.clear()
            _PAGED[key] = paged
    arguments = {**(params or {}), **{f"after_{i}": value for i, value in enumerate(values)}}
    if not limit:
        found = []
    elif narrow is None:
        async with db.read() as session:
            found = (await session.execute(paged, arguments)).all()
    else:  # columns only: a Core read, without the ORM's session and its loading of entities
        async with db.read_rows() as connection:
            found = list((await connection.execute(paged, arguments)).all())
    has_next = len(found) > limit
    found = found[:limit]
    if narrow is None:
        width = 1
        rows = [row[0] for row in found]
        row_keys = [tuple([getattr(row, column.key) for column in order_by]) for row in rows]
    else:  # the order columns are among the narrow ones: read by position
        width = len(narrow)
        rows = [NarrowRow(zip(narrow, row[:width], strict=True)) for row in found]
        at = [narrow.index(column.key) for column in order_by]
        row_keys = [tuple([row[i] for i in at]) for row in found]

    complete = after is None and limit > 0 and not has_next
    # With `total`, each row's last column is the filter's total.
    carried = found[0][-1] if total and found else None
    if total:
        found = [row[:-1] for row in found]

    async def count() -> Total:
        if complete:
            return Total(len(rows))
        if carried is not None:
            counted: int = carried
        else:
            counting = (
                keyed.total()
                if keyed is not None
                else count_statement
                if count_statement is not None
                else select(func.count()).select_from(statement.subquery())
            )
            async with db.read() as session:
                counted = (await session.execute(counting, dict(params or {}))).scalar_one()
        return Total(counted, keyed is not None and keyed.estimate(counted))

    return Page(
        rows=rows,
        keys=row_keys,
        has_next_page=has_next,
        has_previous_page=after is not None,
        count=count,
        joined=[tuple(row[width:]) for row in found],
    )
