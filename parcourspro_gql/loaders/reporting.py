"""Reads of reporting: a structure's conventions (V2), a year's statistics and its export (V5)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, distinct, func, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Select

from parcourspro_gql.db import Database
from parcourspro_gql.loaders.base import Loader
from parcourspro_gql.models import (
    PARTICIPANT_STATUSES,
    Account,
    Evaluation,
    Registration,
    RegistrationStatus,
    Structure,
    Training,
    TrainingSession,
)


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


@dataclass(frozen=True)
class StatisticsKey:
    """A Paris year as UTC bounds, and a structure (None: all of them)."""

    start: datetime
    end: datetime
    structure_id: int | None = None


@dataclass(frozen=True)
class YearFigures:
    by_status: dict[RegistrationStatus, int]
    sessions: int
    seats_offered: int
    seats_taken: int
    attendance_rate: float | None
    average_rating: float | None
    beneficiaries: int
    structures: int


class StatisticsLoader(Loader[StatisticsKey, YearFigures]):
    """V5's figures of a year in three aggregate statements, whatever the number of registrations: counts by
    status; people, structures, participants, mean attendance and mean evaluation rating; sessions (not cancelled)
    and their seats. A registration
    belongs to the year of its session's start. With a structure, everything is about its people: the
    sessions are those where they hold a registration, and the seats taken theirs."""

    async def batch_load_fn(self, keys: Sequence[StatisticsKey]) -> list[YearFigures]:
        async with self.db.read() as session:
            return [await self._figures(session, key) for key in keys]

    async def _figures(self, session: Any, key: StatisticsKey) -> YearFigures:
        in_year = (TrainingSession.starts_at >= key.start, TrainingSession.starts_at < key.end)
        of_structure = () if key.structure_id is None else (Registration.structure_id == key.structure_id,)

        def registrations(*columns: Any) -> Select[Any]:
            return (
                select(*columns)
                .select_from(Registration)
                .join(TrainingSession, TrainingSession.id == Registration.session_id)
                .where(*in_year, *of_structure)
            )

        statuses = await session.execute(
            registrations(Registration.status, func.count()).group_by(Registration.status)
        )
        by_status = dict.fromkeys(RegistrationStatus, 0)
        for status, count in statuses.all():
            by_status[status] = count
        people = (
            await session.execute(
                registrations(
                    func.count(distinct(Registration.beneficiary_id)),
                    func.count(distinct(Registration.structure_id)),
                    func.count().filter(Registration.status.in_(PARTICIPANT_STATUSES)),
                    func.avg(Registration.attendance_rate),
                    func.avg(Evaluation.rating),
                ).outerjoin(Evaluation, Evaluation.registration_id == Registration.id)
            )
        ).one()
        # A cancelled session (T4) offered no seats: it is not one of the year's sessions.
        sessions = select(func.count(), func.coalesce(func.sum(TrainingSession.capacity), 0)).where(
            *in_year, TrainingSession.cancelled_at.is_(None)
        )
        if key.structure_id is not None:
            sessions = sessions.where(
                TrainingSession.id.in_(
                    select(Registration.session_id).where(Registration.structure_id == key.structure_id)
                )
            )
        session_count, seats = (await session.execute(sessions)).one()
        return YearFigures(
            by_status=by_status,
            sessions=int(session_count),
            seats_offered=int(seats),
            seats_taken=int(people[2]),
            attendance_rate=None if people[3] is None else float(people[3]),
            average_rating=None if people[4] is None else float(people[4]),
            beneficiaries=int(people[0]),
            structures=int(people[1]),
        )


# Registrations per statement of an export: about 1 MB of rows in memory at a time.
EXPORT_BATCH = 2000
_DECIDERS = {
    slot: aliased(Account, name=f"{slot}_by")
    for slot in ("employer_decision", "provider_decision", "cancelled")
}


def _export_statement(session_ids: Sequence[int], structure_id: int | None) -> Select[Any]:
    person = Account
    columns: list[Any] = [
        person.last_name,
        person.first_name,
        person.email,
        Structure.name.label("structure_name"),
        Structure.siret,
        Training.title.label("training_title"),
        TrainingSession.starts_at,
        TrainingSession.ends_at,
        TrainingSession.location,
        TrainingSession.half_days,
        Registration.status,
        Registration.requested_at,
        Registration.employer_decision_at,
        Registration.employer_decision_comment,
        Registration.provider_decision_at,
        Registration.provider_decision_comment,
        Registration.cancelled_at,
        Registration.cancellation_reason,
        Registration.half_days_attended,
        Registration.attendance_rate,
    ]
    for slot, alias in _DECIDERS.items():
        columns += [alias.first_name.label(f"{slot}_first_name"), alias.last_name.label(f"{slot}_last_name")]
    statement = (
        select(*columns)
        .select_from(Registration)
        .join(TrainingSession, TrainingSession.id == Registration.session_id)
        .join(Training, Training.id == Registration.training_id)
        .join(person, person.id == Registration.beneficiary_id)
        .join(Structure, Structure.id == Registration.structure_id)
    )
    for slot, alias in _DECIDERS.items():
        statement = statement.outerjoin(alias, alias.id == getattr(Registration, f"{slot}_by_id"))
    statement = statement.where(Registration.session_id.in_(session_ids))
    if structure_id is not None:
        statement = statement.where(Registration.structure_id == structure_id)
    return statement.order_by(
        TrainingSession.starts_at, TrainingSession.id, person.last_name, person.first_name, Registration.id
    )


async def export_rows(
    db: Database, key: StatisticsKey, batch: int | None = None
) -> AsyncIterator[list[Row[Any]]]:
    """The registrations of a year (of one structure, if the key names one), one row each with the person, his
    structure, the training and session, the decisions (their deciders' names) and attendance, ordered by
    session start then person; in batches of about `batch` rows, each read in its own short statement so that
    a slow download holds no connection and no transaction. Only the year's session ids and counts are kept
    between batches."""
    batch = batch or EXPORT_BATCH
    sessions = (
        select(TrainingSession.id, func.count(Registration.id))
        .join(Registration, Registration.session_id == TrainingSession.id)
        .where(TrainingSession.starts_at >= key.start, TrainingSession.starts_at < key.end)
        .group_by(TrainingSession.id, TrainingSession.starts_at)
        .order_by(TrainingSession.starts_at, TrainingSession.id)
    )
    if key.structure_id is not None:
        sessions = sessions.where(Registration.structure_id == key.structure_id)
    async with db.read() as session:
        counts = (await session.execute(sessions)).all()
    chunk: list[int] = []
    size = 0
    for index, (session_id, count) in enumerate(counts):
        chunk.append(session_id)
        size += count
        if size >= batch or index == len(counts) - 1:
            async with db.read() as session:
                rows = (await session.execute(_export_statement(chunk, key.structure_id))).all()
            yield list(rows)
            chunk, size = [], 0
