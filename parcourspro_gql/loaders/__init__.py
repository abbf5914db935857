"""aiodataloader loaders, one per relation or batch query, built fresh for each request."""

from __future__ import annotations

from functools import cached_property

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
    """The loaders of one request, each built when first used (most requests use two or three)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @cached_property
    def structure_by_id(self) -> StructureByIdLoader:
        return StructureByIdLoader(self.db)

    @cached_property
    def memberships_by_structure_id(self) -> MembershipsByStructureIdLoader:
        return MembershipsByStructureIdLoader(self.db)

    @cached_property
    def account_by_id(self) -> AccountByIdLoader:
        return AccountByIdLoader(self.db)

    @cached_property
    def roles_by_account_id(self) -> RolesByAccountIdLoader:
        return RolesByAccountIdLoader(self.db)

    @cached_property
    def training_by_id(self) -> TrainingByIdLoader:
        return TrainingByIdLoader(self.db)

    @cached_property
    def session_by_id(self) -> SessionByIdLoader:
        return SessionByIdLoader(self.db)

    @cached_property
    def sessions_by_training_id(self) -> SessionsByTrainingIdLoader:
        return SessionsByTrainingIdLoader(self.db)

    @cached_property
    def favourite_training_ids_by_account_id(self) -> FavouriteTrainingIdsByAccountIdLoader:
        return FavouriteTrainingIdsByAccountIdLoader(self.db)
