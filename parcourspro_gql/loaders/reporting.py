"""Reads of reporting: a structure's conventions (V2), a year's statistics and its export (V5)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from parcourspro_gql.loaders.base import Loader
from parcourspro_gql.models import PARTICIPANT_STATUSES, Registration, Training, TrainingSession


@dataclass(frozen=True)
class ConventionsKey:
    """A structure, and the UTC bounds of the year its sessions start in (None: every year)."""

    structure_id: int
    start: datetime | None = None
    end: datetime | None = None


@dataclass(frozen=True)
class Convention:
    """D1: one per session and structure once one of its people is accepted."""

    session_id: int
    starts_at: datetime
    training_title: str


class ConventionsByStructureLoader(Loader[ConventionsKey, list[Convention]]):
    """The sessions where a structure has participants, newest first: one statement per structure asked."""

    async def batch_load_fn(self, keys: Sequence[ConventionsKey]) -> list[list[Convention]]:
        found = []
        async with self.db.read() as session:
            for key in keys:
                statement = (
                    select(TrainingSession.id, TrainingSession.starts_at, Training.title)
                    .join(Training, Training.id == TrainingSession.training_id)
                    .where(
                        TrainingSession.id.in_(
                            select(Registration.session_id).where(
                                Registration.structure_id == key.structure_id,
                                Registration.status.in_(PARTICIPANT_STATUSES),
                            )
                        )
                    )
                    .order_by(TrainingSession.starts_at.desc(), TrainingSession.id.desc())
                )
                if key.start is not None and key.end is not None:
                    statement = statement.where(
                        TrainingSession.starts_at >= key.start, TrainingSession.starts_at < key.end
                    )
                rows = (await session.execute(statement)).all()
                found.append([Convention(row.id, row.starts_at, row.title) for row in rows])
        return found
