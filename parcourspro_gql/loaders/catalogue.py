"""Loaders of trainings, sessions and registrations."""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter

from sqlalchemy import select

from parcourspro_gql.loaders.base import Loader, group_by, index_by
from parcourspro_gql.models import Favourite, Training, TrainingSession


class TrainingByIdLoader(Loader[int, Training | None]):
    async def batch_load_fn(self, keys: Sequence[int]) -> list[Training | None]:
        return index_by(
            await self.fetch_all(select(Training).where(Training.id.in_(keys))), attrgetter("id"), keys
        )


class SessionByIdLoader(Loader[int, TrainingSession | None]):
    async def batch_load_fn(self, keys: Sequence[int]) -> list[TrainingSession | None]:
        rows = await self.fetch_all(select(TrainingSession).where(TrainingSession.id.in_(keys)))
        return index_by(rows, attrgetter("id"), keys)


class SessionsByTrainingIdLoader(Loader[int, list[TrainingSession]]):
    """Every session of each training, by start date: a catalogue page costs one statement for all."""

    async def batch_load_fn(self, keys: Sequence[int]) -> list[list[TrainingSession]]:
        rows = await self.fetch_all(
            select(TrainingSession)
            .where(TrainingSession.training_id.in_(keys))
            .order_by(TrainingSession.starts_at, TrainingSession.id)
        )
        return group_by(rows, attrgetter("training_id"), keys)


class FavouriteTrainingIdsByAccountIdLoader(Loader[int, set[int]]):
    async def batch_load_fn(self, keys: Sequence[int]) -> list[set[int]]:
        rows = await self.fetch_all(select(Favourite).where(Favourite.account_id.in_(keys)))
        return [
            {row.training_id for row in group} for group in group_by(rows, attrgetter("account_id"), keys)
        ]
