"""Relay: global ids, the Node interface, connections with cursors and totalCount."""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from typing import Any, Generic, TypeVar

import strawberry
from graphql import GraphQLError
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql import Select
from strawberry.types.nodes import SelectedField

from parcourspro_gql.domain.errors import DomainError, ErrorCode
from parcourspro_gql.domain.ids import global_id
from parcourspro_gql.domain.structures import EXACT_COUNT_LIMIT
from parcourspro_gql.engine.rows import Fields, Itself, RowItems
from parcourspro_gql.loaders.pagination import Keyed, Page, PaginationError, Total, encode_cursor, paginate
from parcourspro_gql.schema.context import Info

to_global_id = global_id


# Primary keys are INTEGER columns (int4 on PostgreSQL): a larger number can name nothing, and asyncpg
# refuses to send it (X3).
MAX_PK = 2**31 - 1


def from_global_id(global_id: str) -> tuple[str, int]:
    """(type name, primary key); ValueError when the id is not one of ours (its number included: digits
    only, 1 to MAX_PK)."""
    try:
        if len(global_id) > 200:
            raise ValueError
        type_name, _, pk = base64.b64decode(global_id, validate=True).decode().partition(":")
        if not (pk.isascii() and pk.isdigit()) or not 1 <= int(pk) <= MAX_PK:
            raise ValueError
        return type_name, int(pk)
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise ValueError(f"not a global id: {global_id[:50]!r}") from error


@strawberry.interface(description="An object with a global id.")
class Node:
    # A plain attribute, set once per object: no resolver runs for `id`.
    id: strawberry.ID


NodeT = TypeVar("NodeT")


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    # The first and last rows' keys: their cursors are encoded only when asked, as the edges' are.
    first_key: strawberry.Private[tuple[Any, ...] | None]
    last_key: strawberry.Private[tuple[Any, ...] | None]

    @strawberry.field
    def start_cursor(self) -> str | None:
        return None if self.first_key is None else encode_cursor(self.first_key)

    @strawberry.field
    def end_cursor(self) -> str | None:
        return None if self.last_key is None else encode_cursor(self.last_key)


@strawberry.type
class Edge(Generic[NodeT]):
    node: NodeT
    key: strawberry.Private[tuple[Any, ...]]

    @strawberry.field
    def cursor(self) -> str:
        # Encoded when asked (most screens ask only pageInfo's): a computed leaf, see engine/execution.py.
        return encode_cursor(self.key)


# An edge read from its row (RowItems' item: the key and the page row), as `cursor` and `node` read it.
Edge.ROW_FIELDS = Fields(  # type: ignore[attr-defined]
    nested={"node": Itself(1)}, cursor=lambda item: encode_cursor(item[0])
)


@strawberry.type
class Connection(Generic[NodeT]):
    page_info: PageInfo
    edges: list[Edge[NodeT]]
    _count: strawberry.Private[Callable[[], Awaitable[Total]]]
    # The page's rows, when a row plan may answer the edges from them (engine/execution.py): the edges are
    # then built only when something reads them (see __getattr__).
    row_items: strawberry.Private[RowItems | None] = None
    build_nodes: strawberry.Private[Callable[[], Callable[[Any], Any]] | None] = None

    @strawberry.field(description="Number of objects over all pages (one more statement, only when asked).")
    async def total_count(self) -> int:
        return (await self._count()).value

    @strawberry.field(
        description="Whether `totalCount` is an estimate rather than an exact count: only for a search of "
        f"structures by one word that finds more than {EXACT_COUNT_LIMIT:,} (the count stops there; the "
        "estimate is above it). False for every other list."
    )
    async def total_count_is_estimate(self) -> bool:
        return (await self._count()).estimate

    @classmethod
    def from_page(cls, page: Page[Any], to_node: Callable[[Any], NodeT]) -> Connection[NodeT]:
        return cls(page_info=_page_info(page), edges=_edges(page, to_node), _count=once(page.count))

    @classmethod
    def of_rows(
        cls, page: Page[Any], nodes: Callable[[], Callable[[Any], NodeT]], related: Mapping[str, Any]
    ) -> Connection[NodeT]:
        """The connection of a page read narrow whose edges a row plan may answer from the rows (with the
        rows `related` to them): its edges are built, with the nodes that `nodes()` builds, only when read."""
        connection = cls(
            page_info=_page_info(page),
            edges=[],
            _count=once(page.count),
            row_items=RowItems("edges", list(zip(page.keys, page.rows, strict=True)), related),
            build_nodes=nodes,
        )
        del connection.edges  # built by __getattr__ when first read
        return connection

    def __getattr__(self, name: str) -> Any:
        """Only called for an attribute the object does not hold: the edges of a connection made by
        `of_rows` that nothing read yet, built now (once)."""
        if name != "edges" or self.build_nodes is None or self.row_items is None:
            raise AttributeError(name)
        to_node = self.build_nodes()
        self.edges = [Edge(node=to_node(row), key=key) for key, row in self.row_items.items]
        return self.edges


def _page_info(page: Page[Any]) -> PageInfo:
    return PageInfo(
        has_next_page=page.has_next_page,
        has_previous_page=page.has_previous_page,
        first_key=page.keys[0] if page.keys else None,
        last_key=page.keys[-1] if page.keys else None,
    )


def _edges(page: Page[Any], to_node: Callable[[Any], NodeT]) -> list[Edge[NodeT]]:
    return [Edge(node=to_node(row), key=key) for key, row in zip(page.keys, page.rows, strict=True)]


def once(count: Callable[[], Awaitable[Total]]) -> Callable[[], Awaitable[Total]]:
    """`count` run at most once, however many fields await it (totalCount and totalCountIsEstimate, resolved
    side by side)."""
    task: asyncio.Future[Total] | None = None

    def counted() -> Awaitable[Total]:
        nonlocal task
        if task is None:
            task = asyncio.ensure_future(count())
        return task

    return counted


def asks_total_count(info: Info) -> bool:
    """Whether the connection field being resolved selects `totalCount` (through fragments too)."""

    def asks(selections: Sequence[Any]) -> bool:
        for selection in selections:
            if isinstance(selection, SelectedField):
                if selection.name == "totalCount":
                    return True
            elif asks(selection.selections):  # a fragment, spread or inline
                return True
        return False

    return any(asks(field.selections) for field in info.selected_fields)


def bad_argument(error: PaginationError | ValueError) -> GraphQLError:
    """A top-level error for a malformed argument (cursor, page size, id)."""
    return GraphQLError(str(error), extensions={"code": "INVALID_INPUT"})


def refused(error: DomainError) -> GraphQLError:
    """A query's refusal (a search too long, say) as a top-level error with its code and field."""
    return GraphQLError(error.message, extensions={"code": error.code.value, "field": error.field})


# Node types register how `node(id)` fetches one of theirs, with the same visibility rules as elsewhere.
NodeResolver = Callable[[Info, int], Awaitable[Node | None]]
_NODE_RESOLVERS: dict[str, NodeResolver] = {}


def node_resolver(type_name: str) -> Callable[[NodeResolver], NodeResolver]:
    def register(resolver: NodeResolver) -> NodeResolver:
        _NODE_RESOLVERS[type_name] = resolver
        return resolver

    return register


async def resolve_node(info: Info, global_id: str) -> Node | None:
    """The object behind a global id, or None when it does not exist or the caller may not see it."""
    try:
        type_name, pk = from_global_id(global_id)
    except ValueError:
        return None
    resolver = _NODE_RESOLVERS.get(type_name)
    return await resolver(info, pk) if resolver else None


async def connection(
    info: Info,
    statement: Select[Any],
    order_by: Sequence[InstrumentedAttribute[Any]],
    to_node: Callable[[Any], NodeT],
    first: int | None,
    after: str | None,
    preload: Callable[[Page[Any], Mapping[str, Any]], Callable[[Any], NodeT]] | None = None,
    widen: Callable[[Select[Any]], Select[Any]] | None = None,
    params: Mapping[str, Any] | None = None,
    shape: Hashable | None = None,
    descending: bool = False,
    count_statement: Select[Any] | None = None,
    search: bool = False,
    keyed: Keyed | None = None,
    narrow: tuple[str, ...] | None = None,
    related: Callable[[Page[Any]], Mapping[str, Any]] | None = None,
) -> Connection[NodeT]:
    """One page of `statement` as a connection; a bad `first` or `after` is a top-level INVALID_INPUT error.

    `widen`, `params`, `shape`, `descending` and `count_statement` are paginate's. `related`, given the page
    (with what `widen` joined), returns the rows joined to it by relation name and id; `preload`, given the
    page and those rows, returns the function that builds each node with its relations attached, so nested
    fields read plain objects instead of each awaiting a loader. `search` marks a filter that has no
    maintained count (a search): its `totalCount`, when asked, comes with the page (see paginate's
    `total_in_page`) instead of running the search again; `keyed` and `narrow` are paginate's. A page read
    `narrow` with its `related` rows may have its edges answered from the rows by a row plan: they are built
    (with `preload`) only when read.
    """
    try:
        page = await paginate(
            info.context.db,
            statement,
            order_by,
            first=first,
            after=after,
            widen=widen,
            params=params,
            shape=shape,
            descending=descending,
            count_statement=count_statement,
            total_in_page=search and asks_total_count(info),
            keyed=keyed,
            narrow=narrow,
        )
    except PaginationError as error:
        raise bad_argument(error) from error
    found = related(page) if related is not None else {}
    if narrow is not None and related is not None:
        nodes = (lambda: preload(page, found)) if preload is not None else (lambda: to_node)
        return Connection.of_rows(page, nodes, found)
    if preload is not None:
        to_node = preload(page, found)
    return Connection.from_page(page, to_node)


def pk_of(global_id: str, type_name: str, field: str) -> int:
    """The primary key behind a global id of `type_name`; a refusal (NOT_FOUND) for anything else."""
    try:
        found_type, pk = from_global_id(global_id)
    except ValueError:
        found_type, pk = "", 0
    if found_type != type_name:
        raise DomainError(ErrorCode.NOT_FOUND, "Identifiant inconnu.", field)
    return pk
