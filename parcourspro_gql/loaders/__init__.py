"""aiodataloader loaders, one per relation or batch query, built fresh for each request."""

from __future__ import annotations

from parcourspro_gql.db import Database
from parcourspro_gql.loaders.accounts import AccountByIdLoader, RolesByAccountIdLoader
from parcourspro_gql.loaders.catalogue import (
    FavouriteTrainingIdsByAccountIdLoader,
    SessionByIdLoader,
    SessionsByTrainingIdLoader,
    TrainingByIdLoader,
)
from parcourspro_gql.loaders.structures import MembershipsByStructureIdLoader, StructureByIdLoader


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
