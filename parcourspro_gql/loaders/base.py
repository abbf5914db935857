"""Shared pieces of the per-request loaders: a short read session per batch, results aligned with keys."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any, TypeVar

from aiodataloader import DataLoader
from sqlalchemy.sql import Select

from parcourspro_gql.db import Database

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def index_by(rows: Iterable[V], key: Callable[[V], K], keys: Sequence[K]) -> list[V | None]:
    """One row (or None) per key, in the order of `keys`."""
    found = {key(row): row for row in rows}
    return [found.get(k) for k in keys]


def group_by(rows: Iterable[V], key: Callable[[V], K], keys: Sequence[K]) -> list[list[V]]:
    """The rows of each key (possibly none), in the order of `keys`; rows keep their query order."""
    groups: dict[K, list[V]] = {k: [] for k in keys}
    for row in rows:
        groups.setdefault(key(row), []).append(row)
    return [groups[k] for k in keys]


class Loader(DataLoader[K, V]):
    """A DataLoader that reads through its own short session (sibling fields resolve concurrently)."""

    def __init__(self, db: Database) -> None:
        super().__init__()
        self.db = db

    async def fetch_all(self, statement: Select[Any]) -> Sequence[Any]:
        async with self.db.read() as session:
            return (await session.scalars(statement)).all()
