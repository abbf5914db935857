"""Loaders of structures."""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter

from sqlalchemy import select

from parcourspro_gql.loaders.base import Loader, group_by, index_by
from parcourspro_gql.models import Membership, Structure


class StructureByIdLoader(Loader[int, Structure | None]):
    async def batch_load_fn(self, keys: Sequence[int]) -> list[Structure | None]:
        rows = await self.fetch_all(select(Structure).where(Structure.id.in_(keys)))
        return index_by(rows, lambda row: row.id, keys)


class MembershipsByStructureIdLoader(Loader[int, list[Membership]]):
    """Live (not revoked) memberships of each structure, by year."""

    async def batch_load_fn(self, keys: Sequence[int]) -> list[list[Membership]]:
        rows = await self.fetch_all(
            select(Membership)
            .where(Membership.structure_id.in_(keys), Membership.revoked_at.is_(None))
            .order_by(Membership.year)
        )
        return group_by(rows, attrgetter("structure_id"), keys)
