"""Loaders of structures."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from parcourspro_gql.loaders.base import Loader, index_by
from parcourspro_gql.models import Structure


class StructureByIdLoader(Loader[int, Structure | None]):
    async def batch_load_fn(self, keys: Sequence[int]) -> list[Structure | None]:
        rows = await self.fetch_all(select(Structure).where(Structure.id.in_(keys)))
        return index_by(rows, lambda row: row.id, keys)
