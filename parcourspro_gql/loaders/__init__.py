"""aiodataloader loaders, one per relation or batch query, built fresh for each request."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from parcourspro_gql.db import Database
from parcourspro_gql.loaders.accounts import AccountByIdLoader, RolesByAccountIdLoader
from parcourspro_gql.loaders.catalogue import (
    FavouriteTrainingIdsByAccountIdLoader,
    SessionByIdLoader,
    SessionsByTrainingIdLoader,
    TrainingByIdLoader,
)
from parcourspro_gql.loaders.structures import MembershipsByStructureIdLoader, StructureByIdLoader
from parcourspro_gql.models import Training, TrainingSession


class Loaders:
    """The loaders of one request."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.structure_by_id = StructureByIdLoader(db)
        self.memberships_by_structure_id = MembershipsByStructureIdLoader(db)
        self.account_by_id = AccountByIdLoader(db)
        self.roles_by_account_id = RolesByAccountIdLoader(db)
        self.training_by_id = TrainingByIdLoader(db)
        self.session_by_id = SessionByIdLoader(db)
        self.sessions_by_training_id = SessionsByTrainingIdLoader(db)
        self.favourite_training_ids_by_account_id = FavouriteTrainingIdsByAccountIdLoader(db)

    async def sessions_with_trainings(
        self, ids: Sequence[int]
    ) -> tuple[dict[int, TrainingSession], dict[int, Training]]:
        """Sessions and their trainings in one JOIN, primed into both loaders for the rest of the request."""
        async with self.db.read() as session:
            rows = (
                await session.execute(
                    select(TrainingSession, Training)
                    .join(Training, Training.id == TrainingSession.training_id)
                    .where(TrainingSession.id.in_(ids))
                )
            ).all()
        sessions: dict[int, TrainingSession] = {}
        trainings: dict[int, Training] = {}
        for training_session, training in rows:
            sessions[training_session.id] = training_session
            trainings[training.id] = training
            self.session_by_id.prime(training_session.id, training_session)
            self.training_by_id.prime(training.id, training)
        return sessions, trainings
