"""Trainings and sessions (T1, T2): who creates them, their checks, and the public catalogue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select

from parcourspro_gql.auth.viewer import Viewer
from parcourspro_gql.clock import clock
from parcourspro_gql.domain import audit, reminders, scheduling
from parcourspro_gql.domain.base import get_or_refuse, require_manager
from parcourspro_gql.domain.errors import DomainError, ErrorCode
from parcourspro_gql.domain.search import search_words
from parcourspro_gql.models import (
    Favourite,
    Role,
    Structure,
    StructureStatus,
    Training,
    TrainingFormat,
    TrainingSession,
)
from parcourspro_gql.models._types import distinct_words, normalize_search


@dataclass(frozen=True)
class TrainingData:
    title: str
    description: str
    objectives: str
    format: TrainingFormat
    reserved_to_members: bool
    duration_hours: float
    provider_structure_id: int
    content: str | None = None
    assessment: str | None = None


@dataclass(frozen=True)
class TrainingChanges:
    """trainingUpdate's input: None leaves a value as it is."""

    title: str | None = None
    description: str | None = None
    objectives: str | None = None
    content: str | None = None
    assessment: str | None = None
    duration_hours: float | None = None
    reserved_to_members: bool | None = None


@dataclass(frozen=True)
class SessionData:
    training_id: int
    starts_at: datetime
    ends_at: datetime
    location: str
    capacity: int
    registration_opens_at: datetime
    registration_closes_at: datetime
    min_participants: int | None = None
    contact: str | None = None
    second_phase_at: datetime | None = None


def check_schedule(
    starts_at: datetime, ends_at: datetime, opens_at: datetime, closes_at: datetime, now: datetime
) -> None:
    """T2: a session's moments, at its creation or at a change (T3): zoned, ordered, in the future, and the
    registrations closed by the start."""
    moments = {
        "startsAt": starts_at,
        "endsAt": ends_at,
        "registrationOpensAt": opens_at,
        "registrationClosesAt": closes_at,
    }
    for field, moment in moments.items():
        if moment.tzinfo is None:
            raise DomainError(
                ErrorCode.INVALID_INPUT, "Indiquez le fuseau horaire (par exemple +01:00).", field
            )
    if ends_at <= starts_at:
        raise DomainError(ErrorCode.INVALID_INPUT, "La fin doit suivre le début.", "endsAt")
    if starts_at <= now:
        raise DomainError(ErrorCode.INVALID_INPUT, "La session doit commencer dans le futur.", "startsAt")
    if closes_at <= opens_at:
        raise DomainError(
            ErrorCode.INVALID_INPUT,
            "La clôture des inscriptions doit suivre leur ouverture.",
            "registrationClosesAt",
        )
    if closes_at > starts_at:
        raise DomainError(
            ErrorCode.INVALID_INPUT,
            "Les inscriptions doivent se clore avant le début.",
            "registrationClosesAt",
        )


def check_capacity(capacity: int) -> None:
    if not 1 <= capacity <= 1000:
        raise DomainError(ErrorCode.INVALID_INPUT, "Capacité attendue entre 1 et 1 000 places.", "capacity")


def check_min_participants(value: int | None) -> int | None:
    """T5: the headcount below which the provider and managers are warned a week before the start."""
    if value is not None and not 1 <= value <= 1000:
        raise DomainError(
            ErrorCode.INVALID_INPUT, "Le minimum de participants va de 1 à 1 000.", "minParticipants"
        )
    return value


def check_contact(value: str | None) -> str:
    """Who to contact about the session (printed on convocations); empty for the provider itself."""
    contact = " ".join((value or "").split())
    if len(contact) > 300:
        raise DomainError(ErrorCode.INVALID_INPUT, "Le contact compte au plus 300 caractères.", "contact")
    return contact


def checked_text(value: str, field: str, maximum: int, minimum: int = 1) -> str:
    value = value.strip()
    if not minimum <= len(value) <= maximum:
        raise DomainError(
            ErrorCode.INVALID_INPUT, f"Ce champ doit compter de {minimum} à {maximum} caractères.", field
        )
    return value


def acts_for_provider(viewer: Viewer, provider_structure_id: int) -> bool:
    """A provider acts for his own (active) structure."""
    return viewer.has_role(Role.PROVIDER) and viewer.active_structure_id == provider_structure_id


def is_provider_of(viewer: Viewer, training: Training) -> bool:
    """A provider acts on the trainings of his own (active) structure."""
    return acts_for_provider(viewer, training.provider_structure_id)


def provider_capacity(viewer: Viewer, training: Training, refusal: str) -> str:
    """The role in which the caller acts on a training's sessions: its provider, or a manager in his place;
    anyone else is refused with `refusal`."""
    if is_provider_of(viewer, training):
        return Role.PROVIDER.value
    if viewer.is_manager:
        return Role.MANAGER.value
    raise DomainError(ErrorCode.FORBIDDEN, refusal)


async def create_training(session: AsyncSession, viewer: Viewer, data: TrainingData) -> Training:
    """T1: managers create trainings, each run by a validated provider structure."""
    require_manager(viewer)
    provider = await get_or_refuse(
        session, Structure, data.provider_structure_id, "providerStructureId", "Structure introuvable."
    )
    if provider.status is not StructureStatus.VALIDATED:
        raise DomainError(
            ErrorCode.STRUCTURE_NOT_VALIDATED, "La structure n'est pas validée.", "providerStructureId"
        )
    check_duration(data.duration_hours)
    title = checked_text(data.title, "title", 200, 3)
    description = checked_text(data.description, "description", 10_000)
    objectives = checked_text(data.objectives, "objectives", 5_000)
    content = checked_text(data.content or "", "content", 10_000, 0)
    assessment = checked_text(data.assessment or "", "assessment", 5_000, 0)
    training = Training(
        title=title,
        description=description,
        objectives=objectives,
        format=data.format,
        reserved_to_members=data.reserved_to_members,
        duration_hours=data.duration_hours,
        provider_structure_id=provider.id,
        search_text=distinct_words(normalize_search(f"{title} {description} {objectives}")),
        created_at=clock.now(),
        created_by_id=viewer.account_id,
        content=content,
        assessment=assessment,
    )
    session.add(training)
    await session.flush()
    await audit.record(
        session,
        viewer,
        entity_type="Training",
        entity_id=training.id,
        action="training.create",
        actor_role=Role.MANAGER.value,
    )
    return training


def check_duration(hours: float) -> None:
    if not 0.5 <= hours <= 1000:
        raise DomainError(
            ErrorCode.INVALID_INPUT, "Durée attendue entre 0,5 et 1 000 heures.", "durationHours"
        )


# trainingUpdate's text fields: (GraphQL name, longest, shortest).
TRAINING_TEXTS = {
    "title": ("title", 200, 3),
    "description": ("description", 10_000, 1),
    "objectives": ("objectives", 5_000, 1),
    "content": ("content", 10_000, 0),
    "assessment": ("assessment", 5_000, 0),
}


async def update_training(
    session: AsyncSession, viewer: Viewer, training_id: int, changes: TrainingChanges
) -> Training:
    """T1: managers correct a training (its content and assessment feed the convention, D1); audited with
    each field's former and new value."""
    require_manager(viewer)
    training = await get_or_refuse(
        session, Training, training_id, "trainingId", "Formation introuvable.", for_update=True
    )
    wanted: dict[str, Any] = {}
    for name, (field, longest, shortest) in TRAINING_TEXTS.items():
        value = getattr(changes, name)
        if value is not None:
            wanted[name] = checked_text(value, field, longest, shortest)
    if changes.duration_hours is not None:
        check_duration(changes.duration_hours)
        wanted["duration_hours"] = changes.duration_hours
    if changes.reserved_to_members is not None:
        wanted["reserved_to_members"] = changes.reserved_to_members
    wanted = {name: value for name, value in wanted.items() if value != getattr(training, name)}
    if not wanted:
        return training
    before = {name: getattr(training, name) for name in wanted}
    for name, value in wanted.items():
        setattr(training, name, value)
    training.search_text = distinct_words(
        normalize_search(f"{training.title} {training.description} {training.objectives}")
    )
    await audit.record(
        session,
        viewer,
        entity_type="Training",
        entity_id=training.id,
        action="training.update",
        actor_role=Role.MANAGER.value,
        data={name: {"from": before[name], "to": value} for name, value in wanted.items()},
    )
    return training


async def create_session(session: AsyncSession, viewer: Viewer, data: SessionData) -> TrainingSession:
    """T1, T2: the training's provider (or a manager) opens a dated session with a registration window."""
    training = await get_or_refuse(
        session, Training, data.training_id, "trainingId", "Formation introuvable."
    )
    if not (viewer.is_manager or is_provider_of(viewer, training)):
        raise DomainError(ErrorCode.FORBIDDEN, "Seul l'organisme de cette formation crée ses sessions.")
    now = clock.now()
    check_schedule(data.starts_at, data.ends_at, data.registration_opens_at, data.registration_closes_at, now)
    check_capacity(data.capacity)
    min_participants = check_min_participants(data.min_participants)
    contact = check_contact(data.contact)
    if data.second_phase_at is not None and (
        data.second_phase_at.tzinfo is None
        or not data.registration_opens_at < data.second_phase_at < data.registration_closes_at
    ):
        raise DomainError(
            ErrorCode.INVALID_INPUT,
            "La seconde phase doit s'ouvrir pendant la période d'inscription (avec son fuseau horaire).",
            "secondPhaseOpensAt",
        )
    item = TrainingSession(
        training_id=training.id,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        location=checked_text(data.location, "location", 300),
        capacity=data.capacity,
        seats_taken=0,
        registration_opens_at=data.registration_opens_at,
        registration_closes_at=data.registration_closes_at,
        second_phase_at=data.second_phase_at,
        created_at=now,
        contact=contact,
        min_participants=min_participants,
    )
    session.add(item)
    await session.flush()
    await scheduling.schedule_session_start(session, item.id, item.starts_at)
    await reminders.schedule_for(session, item)
    await audit.record(
        session,
        viewer,
        entity_type="TrainingSession",
        entity_id=item.id,
        action="session.create",
        actor_role=Role.MANAGER.value if viewer.is_manager else Role.PROVIDER.value,
    )
    return item


def catalogue(search: str | None, format: TrainingFormat | None) -> Select[Any]:
    """The public catalogue: every training, filtered by words of its title, description or objectives."""
    statement = select(Training)
    if format is not None:
        statement = statement.where(Training.format == format)
    for word in search_words(search):
        statement = statement.where(Training.search_text.contains(word, autoescape=True))
    return statement


async def add_favourite(session: AsyncSession, viewer: Viewer, training_id: int) -> Training:
    """Keeps a training in the caller's favourites (idempotent)."""
    training = await get_or_refuse(session, Training, training_id, "trainingId", "Formation introuvable.")
    # One statement that ignores a duplicate: two simultaneous adds (two tabs, a double click) both succeed.
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    await session.execute(
        insert(Favourite)
        .values(account_id=viewer.account_id, training_id=training.id, created_at=clock.now())
        .on_conflict_do_nothing()
    )
    return training


async def remove_favourite(session: AsyncSession, viewer: Viewer, training_id: int) -> Training:
    """Takes a training out of the caller's favourites (idempotent)."""
    training = await get_or_refuse(session, Training, training_id, "trainingId", "Formation introuvable.")
    # A plain DELETE: removing what a simultaneous call removed already is not an error.
    await session.execute(
        delete(Favourite).where(
            Favourite.account_id == viewer.account_id, Favourite.training_id == training.id
        )
    )
    return training


def favourites_of(account_id: int) -> Select[Any]:
    return select(Training).where(
        Training.id.in_(select(Favourite.training_id).where(Favourite.account_id == account_id))
    )
