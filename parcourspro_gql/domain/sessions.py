"""Sessions as providers run them: changes (T3) and cancellation (T4), told to everyone concerned.

Lock order, as every use case that touches seats: the session row first, then its registrations (by id).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parcourspro_gql.auth.viewer import Viewer
from parcourspro_gql.clock import clock
from parcourspro_gql.db import Database
from parcourspro_gql.domain import attendance, audit, registrations, reminders, scheduling
from parcourspro_gql.domain.base import get_or_refuse, required_reason
from parcourspro_gql.domain.catalogue import (
    check_capacity,
    check_contact,
    check_min_participants,
    check_schedule,
    checked_text,
    provider_capacity,
)
from parcourspro_gql.domain.errors import DomainError, ErrorCode
from parcourspro_gql.domain.notifications import About, notify
from parcourspro_gql.domain.registrations import employers_of
from parcourspro_gql.events import seats_changed
from parcourspro_gql.models import Account, NotificationKind, Registration, Training, TrainingSession
from parcourspro_gql.models import RegistrationStatus as S

PROVIDER_ONLY = "Seul l'organisme de cette formation (ou un gestionnaire) modifie ses sessions."
# Registrations still in play: their people are told of a change and lose their seat at a cancellation.
LIVE = (S.PENDING_EMPLOYER, S.PENDING_PROVIDER, S.WAITLISTED, S.ACCEPTED)
# A change of these is told to everyone registered, with its reason (T3).
TOLD = ("starts_at", "ends_at", "location", "capacity")
# A change of these makes the documents already sent wrong: convocations go out again (T3).
REISSUED = ("starts_at", "ends_at", "location")


@dataclass(frozen=True)
class SessionChanges:
    """trainingSessionUpdate's input: None leaves a value as it is (an empty contact clears it)."""

    starts_at: datetime | None = None
    ends_at: datetime | None = None
    location: str | None = None
    capacity: int | None = None
    registration_opens_at: datetime | None = None
    registration_closes_at: datetime | None = None
    second_phase_at: datetime | None = None
    min_participants: int | None = None
    contact: str | None = None
    reason: str | None = None


async def _lock(
    session: AsyncSession, viewer: Viewer, session_id: int
) -> tuple[TrainingSession, Training, str]:
    """The session under lock (first in the lock order), its training, and the capacity the caller acts in;
    refused once it started or was cancelled."""
    item = await get_or_refuse(
        session, TrainingSession, session_id, "sessionId", "Session introuvable.", for_update=True
    )
    training = await session.get(Training, item.training_id)
    assert training is not None
    acting = provider_capacity(viewer, training, PROVIDER_ONLY)
    if item.cancelled_at is not None:
        raise DomainError(ErrorCode.SESSION_CANCELLED, "Cette session est annulée.", "sessionId")
    if clock.now() >= item.starts_at:
        raise DomainError(
            ErrorCode.SESSION_STARTED, "La session a commencé : elle ne change plus.", "sessionId"
        )
    return item, training, acting


async def _live(session: AsyncSession, session_id: int) -> list[Registration]:
    """The session's live registrations, locked in id order (after the session row)."""
    return list(
        await session.scalars(
            select(Registration)
            .where(Registration.session_id == session_id, Registration.status.in_(LIVE))
            .order_by(Registration.id)
            .with_for_update()
        )
    )


def _wanted(item: TrainingSession, changes: SessionChanges) -> dict[str, Any]:
    """The new value of each field given, checked; those equal to the current value are left out."""
    wanted: dict[str, Any] = {}
    for change in fields(SessionChanges):
        value = getattr(changes, change.name)
        if change.name == "reason" or value is None:
            continue
        if change.name == "location":
            value = checked_text(value, "location", 300)
        elif change.name == "contact":
            value = check_contact(value)
        elif change.name == "min_participants":
            value = check_min_participants(value)
        elif change.name == "capacity":
            check_capacity(value)
        elif change.name == "second_phase_at" and value.tzinfo is None:
            raise DomainError(
                ErrorCode.INVALID_INPUT,
                "Indiquez le fuseau horaire (par exemple +01:00).",
                "secondPhaseOpensAt",
            )
        if value != getattr(item, change.name):
            wanted[change.name] = value
    return wanted


async def _apply(
    session: AsyncSession, viewer: Viewer, session_id: int, changes: SessionChanges
) -> tuple[TrainingSession, bool]:
    """The change itself, in one transaction; whether convocations already sent must go out again."""
    item, training, acting = await _lock(session, viewer, session_id)
    wanted = _wanted(item, changes)
    moments = {
        name: wanted.get(name, getattr(item, name))
        for name in ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at")
    }
    if wanted.keys() & moments.keys():
        check_schedule(
            moments["starts_at"],
            moments["ends_at"],
            moments["registration_opens_at"],
            moments["registration_closes_at"],
            clock.now(),
        )
    phase = wanted.get("second_phase_at", item.second_phase_at)
    if phase is not None and not moments["registration_opens_at"] < phase < moments["registration_closes_at"]:
        raise DomainError(
            ErrorCode.INVALID_INPUT,
            "La seconde phase s'ouvre pendant la période d'inscription.",
            "secondPhaseOpensAt",
        )
    if "capacity" in wanted and wanted["capacity"] < item.seats_taken:
        raise DomainError(
            ErrorCode.INVALID_INPUT,
            f"La capacité ne peut pas descendre sous les {item.seats_taken} places déjà attribuées.",
            "capacity",
        )
    told = [name for name in TOLD if name in wanted]
    reason = required_reason(changes.reason, "du changement") if told else None
    if not wanted:
        return item, False
    before = {name: getattr(item, name) for name in wanted}
    for name, value in wanted.items():
        setattr(item, name, value)
    if "starts_at" in wanted:  # G9: the closing of undecided requests follows the start
        await scheduling.schedule_session_start(session, item.id, item.starts_at)
        await reminders.schedule_for(session, item)  # T5: reminders and the minimum check follow it too
    if wanted.get("capacity", 0) > before.get("capacity", item.capacity):
        # T3, G7': seats added are offered to the waiting list (the session row is locked: lock order step 2).
        await session.flush()
        await registrations.offer_free_seats(session, item, training)
    reissue = any(name in wanted for name in REISSUED)
    live = await _live(session, item.id)
    resent = False
    if reissue:
        item.revision += 1
        for registration in live:
            if registration.status is S.ACCEPTED and registration.convocation_sent_at is not None:
                registration.convocation_sent_at = None
                resent = True
    await audit.record(
        session,
        viewer,
        entity_type="TrainingSession",
        entity_id=item.id,
        action="session.update",
        reason=reason,
        actor_role=acting,
        data={name: {"from": _plain(before[name]), "to": _plain(value)} for name, value in wanted.items()},
    )
    if "capacity" in wanted:
        await seats_changed(session, item.id)
    if told:
        await _tell(session, item, training, live, "session_changed", reason or "", changed=told)
    return item, resent


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


async def change(db: Database, viewer: Viewer, session_id: int, changes: SessionChanges) -> TrainingSession:
    """T3: the training's provider or a manager changes a session before it starts. A change of dates, place or
    capacity needs a reason and is told to every live registration's person and employers; capacity never
    below the seats given. Convocations already sent go out again, updated (rendered after the change is
    committed, as convocationsSend does: a failure there leaves them due for the next convocationsSend)."""
    async with db.transaction() as session:
        item, reissue = await _apply(session, viewer, session_id, changes)
    if reissue:
        try:
            item = await attendance.send_convocations(db, viewer, session_id)
        except DomainError as error:
            if error.code is not ErrorCode.NO_PARTICIPANTS:
                raise  # every participant left meanwhile: then there is nothing to send again
    return item


async def cancel(
    session: AsyncSession, viewer: Viewer, session_id: int, reason: str | None
) -> TrainingSession:
    """T4: the training's provider or a manager cancels a session that has not started, with a reason. Every
    live registration becomes CANCELLED (seats freed); people, their employers and (for the accepted) their
    calendars are told; later requests get SESSION_CANCELLED."""
    item, training, acting = await _lock(session, viewer, session_id)
    reason = required_reason(reason, "de l'annulation")
    now = clock.now()
    item.cancelled_at, item.cancellation_reason = now, reason
    live = await _live(session, item.id)
    accepted = {registration.id for registration in live if registration.status is S.ACCEPTED}
    for registration in live:
        previous = registration.status
        registration.status, registration.updated_at = S.CANCELLED, now
        registration.cancelled_by_id, registration.cancelled_at = viewer.account_id, now
        registration.cancellation_reason = f"Session annulée : {reason}"
        await audit.record(
            session,
            viewer,
            entity_type="Registration",
            entity_id=registration.id,
            action="registration.cancel",
            from_state=previous,
            to_state=S.CANCELLED,
            reason=registration.cancellation_reason,
            actor_role=acting,
            data={"sessionCancelled": True},
        )
    item.seats_taken = 0
    for registration in live:
        registration.offer_expires_at = None  # a seat held by an offer goes with the session
    # G4': the structures' caps for this training are counted again (their other sessions' over-cap requests).
    pairs = {(registration.structure_id, registration.training_id) for registration in live}
    await registrations.lock_pairs(session, pairs)
    for structure_id, training_id in sorted(pairs):
        await registrations.recompute_cap(session, structure_id, training_id)
    await seats_changed(session, item.id)
    await audit.record(
        session,
        viewer,
        entity_type="TrainingSession",
        entity_id=item.id,
        action="session.cancel",
        reason=reason,
        actor_role=acting,
        data={"registrationsCancelled": len(live)},
    )
    await _tell(session, item, training, live, "session_cancelled", reason, calendars=accepted)
    return item


async def _tell(
    session: AsyncSession,
    item: TrainingSession,
    training: Training,
    registrations: Sequence[Registration],
    template: str,
    reason: str,
    *,
    changed: Sequence[str] = (),
    calendars: set[int] | None = None,
) -> None:
    """One e-mail to each registered person, and one to each employer of their structures listing his people.
    `calendars` names the registrations whose calendar event is withdrawn (METHOD:CANCEL)."""
    people = {
        account.id: account
        for account in await session.scalars(
            select(Account).where(Account.id.in_([r.beneficiary_id for r in registrations]))
        )
    }
    context = {"training_title": training.title, "item": item, "reason": reason, "changed": list(changed)}
    kind = (
        NotificationKind.SESSION_CANCELLED
        if template == "session_cancelled"
        else NotificationKind.SESSION_CHANGED
    )
    by_structure: dict[int, list[Account]] = {}
    for registration in registrations:
        person = people[registration.beneficiary_id]
        by_structure.setdefault(registration.structure_id, []).append(person)
        attachments = []
        if calendars is not None and registration.id in calendars:
            attachments.append(
                attendance.calendar_invitation(session, registration, person, item, training, "CANCEL")
            )
        await notify(
            session,
            person,
            kind,
            template=template,
            context={**context, "people": []},
            attachments=attachments,
            about=About(registration_id=registration.id, session_id=item.id),
        )
    for structure_id, persons in sorted(by_structure.items()):
        names = [f"{person.first_name} {person.last_name}" for person in persons]
        for employer in await employers_of(session, structure_id):
            if employer.id in {person.id for person in persons} and len(persons) == 1:
                continue  # his own registration: told above already
            await notify(
                session,
                employer,
                kind,
                template=template,
                context={**context, "people": names},
                about=About(session_id=item.id, structure_id=structure_id),
            )
