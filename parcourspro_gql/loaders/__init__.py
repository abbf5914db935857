"""aiodataloader loaders, one per relation or batch query, built fresh for each request."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

from parcourspro_gql.db import Database
from parcourspro_gql.loaders.accounts import (
    AccountByIdLoader,
    QuotaByAccountYearLoader,
    RolesByAccountIdLoader,
    UnreadNotificationCountByAccountIdLoader,
)
from parcourspro_gql.loaders.catalogue import (
    FavouriteTrainingIdsByAccountIdLoader,
    RegistrationByIdLoader,
    SessionByIdLoader,
    SessionCountByTrainingIdLoader,
    SessionsByTrainingIdLoader,
    TrainingByIdLoader,
    WaitlistBySessionIdLoader,
)
from parcourspro_gql.loaders.decisions import DecisionFactsByKeyLoader
from parcourspro_gql.loaders.evaluations import (
    EvaluationByRegistrationIdLoader,
    EvaluationSummaryBySessionIdLoader,
)
from parcourspro_gql.loaders.reporting import ConventionsByStructureLoader, StatisticsLoader
from parcourspro_gql.loaders.structures import MembershipsByStructureIdLoader, StructureByIdLoader

L = TypeVar("L")


class _Lazy(Generic[L]):
    """A loader of the request, built on first use and then kept on the instance (a non-data descriptor:
    the instance attribute it sets takes precedence from then on)."""

    def __init__(self, kind: Callable[[Database], L]) -> None:
        self.kind = kind

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, loaders: Loaders, owner: type | None = None) -> L:
        loader = self.kind(loaders.db)
        for key, value in loaders.primed.pop(self.name, {}).items():
            loader.prime(key, value)  # type: ignore[attr-defined]
        loaders.__dict__[self.name] = loader
        return loader


class Loaders:
    """The loaders of one request, each built when first used (most requests use two or three)."""

    structure_by_id = _Lazy(StructureByIdLoader)
    memberships_by_structure_id = _Lazy(MembershipsByStructureIdLoader)
    account_by_id = _Lazy(AccountByIdLoader)
    roles_by_account_id = _Lazy(RolesByAccountIdLoader)
    quota_by_account_year = _Lazy(QuotaByAccountYearLoader)
    training_by_id = _Lazy(TrainingByIdLoader)
    session_by_id = _Lazy(SessionByIdLoader)
    sessions_by_training_id = _Lazy(SessionsByTrainingIdLoader)
    session_count_by_training_id = _Lazy(SessionCountByTrainingIdLoader)
    favourite_training_ids_by_account_id = _Lazy(FavouriteTrainingIdsByAccountIdLoader)
    evaluation_by_registration_id = _Lazy(EvaluationByRegistrationIdLoader)
    evaluation_summary_by_session_id = _Lazy(EvaluationSummaryBySessionIdLoader)
    registration_by_id = _Lazy(RegistrationByIdLoader)
    unread_notification_count_by_account_id = _Lazy(UnreadNotificationCountByAccountIdLoader)
    waitlist_by_session_id = _Lazy(WaitlistBySessionIdLoader)
    decision_facts_by_key = _Lazy(DecisionFactsByKeyLoader)
    conventions_by_structure = _Lazy(ConventionsByStructureLoader)
    statistics = _Lazy(StatisticsLoader)

    def __init__(self, db: Database) -> None:
        self.db = db
        # Values known before their loader is built, by loader name: handed to it when it is.
        self.primed: dict[str, dict[Hashable, Any]] = {}

    def prime(self, name: str, key: Hashable, value: Any) -> None:
        """What the loader `name` would prime (a value it then never reads again), kept as a plain entry until
        the loader is used: a request that reads what it was handed builds neither the loader nor a future
        per value. As DataLoader.prime, a key already known keeps its value."""
        if not isinstance(vars(Loaders).get(name), _Lazy):
            raise AttributeError(f"no loader named {name!r}")
        built = self.__dict__.get(name)
        if built is not None:
            built.prime(key, value)
        else:
            self.primed.setdefault(name, {}).setdefault(key, value)
