"""Loaders of trainings, sessions and registrations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from operator import attrgetter
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.sql import Select

from parcourspro_gql.clock import clock
from parcourspro_gql.loaders.base import Loader, group_by, index_by
from parcourspro_gql.models import (
    Favourite,
    Registration,
    RegistrationStatus,
    Structure,
    Training,
    TrainingFormat,
    TrainingSession,
)
from parcourspro_gql.models._types import normalize_search

PARIS = ZoneInfo("Europe/Paris")


class TrainingByIdLoader(Loader[int, Training | None]):
    async def batch_load_fn(self, keys: Sequence[int]) -> list[Training | None]:
        return index_by(
            await self.fetch_all(select(Training).where(Training.id.in_(keys))), attrgetter("id"), keys
        )


class SessionByIdLoader(Loader[int, TrainingSession | None]):
    async def batch_load_fn(self, keys: Sequence[int]) -> list[TrainingSession | None]:
        rows = await self.fetch_all(select(TrainingSession).where(TrainingSession.id.in_(keys)))
        return index_by(rows, attrgetter("id"), keys)


class SessionsKey(NamedTuple):
    """The sessions of a training that a page needs: its first `limit`, or all of them when None."""

    training_id: int
    limit: int | None


class SessionsByTrainingIdLoader(Loader[SessionsKey, list[TrainingSession]]):
    """The sessions of each training, upcoming ones first (soonest first), then those that have started
    (latest first): what a catalogue reader looks for comes first, and a training with years of past
    sessions does not push them to the front. With a limit, a window function keeps only the first `limit`
    of each training, so a catalogue page costs one statement whatever the trainings' history."""

    async def batch_load_fn(self, keys: Sequence[SessionsKey]) -> list[list[TrainingSession]]:
        started = TrainingSession.starts_at < clock.now()
        order = (
            started,
            case((started, None), else_=TrainingSession.starts_at),
            TrainingSession.starts_at.desc(),
            TrainingSession.id,
        )
        found: dict[SessionsKey, list[TrainingSession]] = {}
        for limit in {key.limit for key in keys}:
            ids = [key.training_id for key in keys if key.limit == limit]
            if limit is None:
                statement = (
                    select(TrainingSession).where(TrainingSession.training_id.in_(ids)).order_by(*order)
                )
            else:
                rank = func.row_number().over(partition_by=TrainingSession.training_id, order_by=order)
                ranked = (
                    select(TrainingSession.id, rank.label("rank"))
                    .where(TrainingSession.training_id.in_(ids))
                    .subquery()
                )
                statement = (
                    select(TrainingSession)
                    .join(ranked, ranked.c.id == TrainingSession.id)
                    .where(ranked.c.rank <= limit)
                    .order_by(ranked.c.rank)
                )
            rows = await self.fetch_all(statement)
            for group_id, group in zip(ids, group_by(rows, attrgetter("training_id"), ids), strict=True):
                found[SessionsKey(group_id, limit)] = group
        return [found[key] for key in keys]


class SessionCountByTrainingIdLoader(Loader[int, int]):
    """How many sessions each training has (Training.sessions' totalCount), one statement for a page."""

    async def batch_load_fn(self, keys: Sequence[int]) -> list[int]:
        async with self.db.read() as session:
            counted = dict(
                (
                    await session.execute(
                        select(TrainingSession.training_id, func.count())
                        .where(TrainingSession.training_id.in_(keys))
                        .group_by(TrainingSession.training_id)
                    )
                ).all()
            )
        return [counted.get(key, 0) for key in keys]


class FavouriteTrainingIdsByAccountIdLoader(Loader[int, set[int]]):
    async def batch_load_fn(self, keys: Sequence[int]) -> list[set[int]]:
        rows = await self.fetch_all(select(Favourite).where(Favourite.account_id.in_(keys)))
        return [
            {row.training_id for row in group} for group in group_by(rows, attrgetter("account_id"), keys)
        ]


@dataclass(frozen=True)
class SessionFilters:
    """Query.sessions' filters (each optional): words of the training, its format, a date range of the start
    in Paris, a city in the place, seats still free, reserved to members or not, the provider."""

    search: str | None = None
    format: TrainingFormat | None = None
    starts_from: date | None = None
    starts_to: date | None = None
    city: str | None = None
    with_seats_left: bool = False
    reserved_to_members: bool | None = None
    provider_structure_id: int | None = None


def _paris_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=PARIS)


def upcoming_sessions(filters: SessionFilters, now: datetime) -> Select[Any]:
    """The session catalogue: sessions not cancelled that have not started, of trainings matching the filters;
    pages join their training (one statement per page, see SESSION_ORDER)."""
    statement = (
        select(TrainingSession)
        .join(Training, Training.id == TrainingSession.training_id)
        .where(TrainingSession.starts_at > now, TrainingSession.cancelled_at.is_(None))
    )
    for word in normalize_search(filters.search or "").split():
        statement = statement.where(Training.search_text.contains(word, autoescape=True))
    if filters.format is not None:
        statement = statement.where(Training.format == filters.format)
    if filters.starts_from is not None:
        statement = statement.where(TrainingSession.starts_at >= _paris_midnight(filters.starts_from))
    if filters.starts_to is not None:
        end = _paris_midnight(filters.starts_to + timedelta(days=1))
        statement = statement.where(TrainingSession.starts_at < end)
    city = normalize_search(filters.city or "")
    if city:
        statement = statement.where(TrainingSession.location_search.contains(city, autoescape=True))
    if filters.with_seats_left:
        statement = statement.where(TrainingSession.seats_taken < TrainingSession.capacity)
    if filters.reserved_to_members is not None:
        statement = statement.where(Training.reserved_to_members.is_(filters.reserved_to_members))
    if filters.provider_structure_id is not None:
        statement = statement.where(Training.provider_structure_id == filters.provider_structure_id)
    return statement


def provider_sessions(provider_structure_id: int, now: datetime, past: bool) -> Select[Any]:
    """A provider's own sessions, cancelled ones included: those still to end, or (past) those ended."""
    ended = TrainingSession.ends_at <= now
    return (
        select(TrainingSession)
        .join(Training, Training.id == TrainingSession.training_id)
        .where(Training.provider_structure_id == provider_structure_id, ended if past else ~ended)
    )


def with_training(statement: Select[Any]) -> Select[Any]:
    """Adds the (already joined) training of each session, and its provider, to the page's rows: a page of the
    catalogue is one statement whatever it shows of them."""
    return statement.join(Structure, Structure.id == Training.provider_structure_id).add_columns(
        Training, Structure
    )


SESSION_ORDER = (TrainingSession.starts_at, TrainingSession.id)


class RegistrationByIdLoader(Loader[int, Registration | None]):
    """Registrations that other objects point to (a notification's), one statement per batch."""

    async def batch_load_fn(self, keys: Sequence[int]) -> list[Registration | None]:
        rows = await self.fetch_all(select(Registration).where(Registration.id.in_(keys)))
        return index_by(rows, attrgetter("id"), keys)


class WaitlistBySessionIdLoader(Loader[int, list[int]]):
    """Each session's waiting list, in the order seats are offered (G7'): the waitlisted registrations within
    their structure's cap by request, then those over it by request; a person holding an offer has left the
    list (his seat is held). One statement for every session of a page."""

    async def batch_load_fn(self, keys: Sequence[int]) -> list[list[int]]:
        async with self.db.read() as session:
            rows = (
                await session.execute(
                    select(Registration.session_id, Registration.id)
                    .where(
                        Registration.session_id.in_(keys),
                        Registration.status == RegistrationStatus.WAITLISTED,
                        Registration.offer_expires_at.is_(None),
                    )
                    .order_by(Registration.over_structure_cap, Registration.requested_at, Registration.id)
                )
            ).all()
        return [[row.id for row in group] for group in group_by(rows, attrgetter("session_id"), keys)]
