"""Running a session without paper: convocations (D1, D2) and attendance (D3, D4)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from email.utils import parseaddr
from typing import Literal
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parcourspro_gql.auth.viewer import Viewer
from parcourspro_gql.clock import clock
from parcourspro_gql.db import Database
from parcourspro_gql.documents import calendar
from parcourspro_gql.documents.calendar import Invitation
from parcourspro_gql.documents.render import render_pdf
from parcourspro_gql.domain import audit, documents
from parcourspro_gql.domain.base import get_or_refuse, settings_of
from parcourspro_gql.domain.catalogue import provider_capacity
from parcourspro_gql.domain.documents import DocumentKind, DocumentRef
from parcourspro_gql.domain.errors import DomainError, ErrorCode
from parcourspro_gql.domain.notifications import About, notify
from parcourspro_gql.domain.registrations import employers_of
from parcourspro_gql.mail.outbox import Attachment, enqueue
from parcourspro_gql.models import (
    PARTICIPANT_STATUSES,
    Account,
    NotificationKind,
    Registration,
    Structure,
    Training,
    TrainingSession,
)
from parcourspro_gql.models import RegistrationStatus as S

PDF = "application/pdf"


def calendar_invitation(
    session: AsyncSession,
    registration: Registration,
    person: Account,
    item: TrainingSession,
    training: Training,
    method: Literal["REQUEST", "CANCEL"],
) -> Attachment:
    """T5: the participant's calendar event for his seat (its UID stays the registration's), as an .ics part."""
    settings = settings_of(session)
    organizer_name, organizer_email = parseaddr(settings.mail_from)
    host = urlsplit(settings.public_url).hostname or "parcourspro"
    invitation = Invitation(
        uid=f"registration-{registration.id}@{host}",
        sequence=item.revision + (1 if method == "CANCEL" else 0),
        title=training.title,
        starts_at=item.starts_at,
        ends_at=item.ends_at,
        location=item.location,
        description=f"ParcoursPro — {training.title}. Contact : {item.contact or 'l’organisme de formation'}.",
        organizer_name=organizer_name or "ParcoursPro",
        organizer_email=organizer_email,
        attendee_name=f"{person.first_name} {person.last_name}",
        attendee_email=person.email,
    )
    name = "annulation.ics" if method == "CANCEL" else "invitation.ics"
    return Attachment(name, calendar.CONTENT_TYPE, calendar.render_ics(invitation, method, clock.now()))


PROVIDER_ONLY = "Seul l'organisme de formation de la session peut faire cela."
MAX_HALF_DAYS = 40


async def _session_and_training(
    session: AsyncSession, session_id: int, *, for_update: bool = False
) -> tuple[TrainingSession, Training]:
    item = await get_or_refuse(
        session, TrainingSession, session_id, "sessionId", "Session introuvable.", for_update=for_update
    )
    training = await session.get(Training, item.training_id)
    assert training is not None
    return item, training


async def _accounts(session: AsyncSession, ids: Sequence[int]) -> dict[int, Account]:
    """The accounts of `ids`, by id, in one statement."""
    return {
        account.id: account for account in await session.scalars(select(Account).where(Account.id.in_(ids)))
    }


@dataclass(frozen=True)
class _Rendered:
    ref: DocumentRef
    file_name: str
    content: bytes


async def _render_all(session: AsyncSession, viewer: Viewer, refs: Sequence[DocumentRef]) -> list[_Rendered]:
    """Reads what each document says (one session, so one after the other), then renders them all at once:
    render_pdf bounds how many run together."""
    files = []
    for ref in refs:
        document = await documents.load(session, viewer, ref)
        if document is not None:  # None: the participant left since the list was read (sent to nobody)
            files.append(document)
    pdfs = await asyncio.gather(*(render_pdf(file.template, file.context) for file in files))
    return [_Rendered(file.ref, file.file_name, pdf) for file, pdf in zip(files, pdfs, strict=True)]


async def send_convocations(db: Database, viewer: Viewer, session_id: int) -> TrainingSession:
    """Emails each accepted participant his convocation (PDF attached) once, and each structure's employers
    the convention listing its participants.

    The PDFs are rendered before the write transaction opens (a session of 30 takes seconds, which must not
    hold the database's write lock); the transaction then re-checks each participant under lock, so two
    concurrent calls send each convocation once.
    """
    async with db.read() as session:
        item, training = await _session_and_training(session, session_id)
        acting = provider_capacity(viewer, training, PROVIDER_ONLY)
        if clock.now() >= item.starts_at:
            raise DomainError(
                ErrorCode.SESSION_STARTED, "La session a commencé : les convocations sont closes."
            )
        accepted = list(
            await session.scalars(
                select(Registration)
                .where(Registration.session_id == item.id, Registration.status == S.ACCEPTED)
                .order_by(Registration.id)
            )
        )
        if not accepted:
            raise DomainError(
                ErrorCode.NO_PARTICIPANTS, "Aucun participant retenu pour cette session.", "sessionId"
            )
        due = [registration for registration in accepted if registration.convocation_sent_at is None]
        structures = sorted({registration.structure_id for registration in due})
        rendered = await _render_all(
            session,
            viewer,
            [DocumentRef(DocumentKind.CONVOCATION, item.id, registration_id=r.id) for r in due]
            + [DocumentRef(DocumentKind.CONVENTION, item.id, structure_id=s) for s in structures],
        )
        # A participant who cancelled meanwhile has no convocation: documents are told apart by kind, not place.
        convocations = [file for file in rendered if file.ref.kind is DocumentKind.CONVOCATION]
        conventions = [file for file in rendered if file.ref.kind is DocumentKind.CONVENTION]
    async with db.transaction() as session:
        item, training = await _session_and_training(session, session_id, for_update=True)
        still_due = {
            registration.id: registration
            for registration in await session.scalars(
                select(Registration)
                .where(
                    Registration.id.in_([r.id for r in due]),
                    Registration.status == S.ACCEPTED,
                    Registration.convocation_sent_at.is_(None),
                )
                .with_for_update()
            )
        }
        people = await _accounts(
            session, [registration.beneficiary_id for registration in still_due.values()]
        )
        now = clock.now()
        sent_structures: set[int] = set()
        for convocation in convocations:
            registration = still_due.get(convocation.ref.registration_id or 0)
            if registration is None:
                continue  # sent meanwhile by another call, or cancelled
            person = people[registration.beneficiary_id]
            registration.convocation_sent_at = now
            sent_structures.add(registration.structure_id)
            # Sent once per version of the session: a change of dates or place (T3) sends it again.
            revision = f":r{item.revision}" if item.revision else ""
            await enqueue(
                session,
                to=person.email,
                template="convocation",
                context={
                    "first_name": person.first_name,
                    "training_title": training.title,
                    "item": item,
                    "updated": bool(item.revision),
                },
                dedup_key=f"convocation:{registration.id}{revision}",
                attachments=[
                    Attachment(convocation.file_name, PDF, convocation.content),
                    calendar_invitation(session, registration, person, item, training, "REQUEST"),
                ],
            )
            await audit.record(
                session,
                viewer,
                entity_type="Registration",
                entity_id=registration.id,
                action="registration.convocation_sent",
                actor_role=acting,
            )
        for convention in conventions:
            structure_id = convention.ref.structure_id or 0
            if structure_id not in sent_structures:
                continue
            structure = await session.get(Structure, structure_id)
            assert structure is not None
            for employer in await employers_of(session, structure_id):
                await enqueue(
                    session,
                    to=employer.email,
                    template="convention",
                    context={
                        "first_name": employer.first_name,
                        "structure_name": structure.name,
                        "training_title": training.title,
                        "item": item,
                    },
                    attachments=[Attachment(convention.file_name, PDF, convention.content)],
                )
            await audit.record(
                session,
                viewer,
                entity_type="Structure",
                entity_id=structure_id,
                action="session.convention_sent",
                actor_role=acting,
                data={"sessionId": item.id},
            )
        if sent_structures:
            item.convocations_sent_at = now
            await audit.record(
                session,
                viewer,
                entity_type="TrainingSession",
                entity_id=item.id,
                action="session.convocations_sent",
                actor_role=acting,
                data={"sent": len([c for c in convocations if c.ref.registration_id in still_due])},
            )
        return item


@dataclass(frozen=True)
class AttendanceEntry:
    registration_id: int
    half_days_attended: int


async def record_attendance(
    session: AsyncSession, viewer: Viewer, session_id: int, half_days: int, entries: Sequence[AttendanceEntry]
) -> tuple[TrainingSession, list[Registration]]:
    """D3, D4: once the session has started, the provider records how many half-days each participant
    attended: ATTENDED (at least one) or ABSENT, and the rate. A later call corrects earlier figures. The
    employers of each structure concerned are told of their people's attendance."""
    item, training = await _session_and_training(session, session_id, for_update=True)
    acting = provider_capacity(viewer, training, PROVIDER_ONLY)
    if clock.now() < item.starts_at:
        raise DomainError(
            ErrorCode.SESSION_NOT_STARTED, "La présence se saisit une fois la session commencée.", "sessionId"
        )
    if not 1 <= half_days <= MAX_HALF_DAYS:
        raise DomainError(
            ErrorCode.INVALID_INPUT,
            f"Le nombre de demi-journées doit être compris entre 1 et {MAX_HALF_DAYS}.",
            "halfDays",
        )
    if not entries:
        raise DomainError(
            ErrorCode.INVALID_INPUT, "Indiquez la présence d'au moins un participant.", "entries"
        )
    ids = [entry.registration_id for entry in entries]
    if len(set(ids)) != len(ids):
        raise DomainError(ErrorCode.INVALID_INPUT, "Un participant figure deux fois.", "entries")
    rows = {
        row.id: row
        for row in await session.scalars(
            select(Registration)
            .where(Registration.session_id == item.id, Registration.status.in_(PARTICIPANT_STATUSES))
            .with_for_update()
        )
    }
    for index, entry in enumerate(entries):
        field = f"entries.{index}"
        if entry.registration_id not in rows:
            raise DomainError(
                ErrorCode.NOT_FOUND,
                "Cette inscription n'est pas celle d'un participant de la session.",
                field,
            )
        if not 0 <= entry.half_days_attended <= half_days:
            raise DomainError(
                ErrorCode.INVALID_INPUT,
                f"Les demi-journées suivies vont de 0 à {half_days}.",
                f"{field}.halfDaysAttended",
            )
    for row in rows.values():
        if row.id not in ids and row.half_days_attended is not None and row.half_days_attended > half_days:
            raise DomainError(
                ErrorCode.INVALID_INPUT,
                "Une présence déjà saisie dépasse ce nombre de demi-journées : corrigez-la dans la même saisie.",
                "halfDays",
            )
    now = clock.now()
    item.half_days, item.attendance_recorded_at = half_days, now
    recorded: list[Registration] = []
    newly_attended: list[Registration] = []
    attended = {entry.registration_id: entry.half_days_attended for entry in entries}
    for row in rows.values():
        if row.id not in attended and row.half_days_attended is None:
            continue
        count = attended.get(row.id, row.half_days_attended or 0)
        status = S.ATTENDED if count > 0 else S.ABSENT
        rate = round(count / half_days, 4)
        previous = row.status
        changed = (previous, row.half_days_attended, row.attendance_rate) != (status, count, rate)
        row.status, row.half_days_attended, row.attendance_rate, row.updated_at = status, count, rate, now
        if row.id in attended:
            recorded.append(row)
        if status is S.ATTENDED and previous is not S.ATTENDED:
            newly_attended.append(row)
        if changed:
            await audit.record(
                session,
                viewer,
                entity_type="Registration",
                entity_id=row.id,
                action="registration.attendance",
                from_state=previous,
                to_state=status,
                actor_role=acting,
                data={"halfDaysAttended": count, "halfDays": half_days},
            )
    await _tell_employers(session, item, training, recorded)
    await _ask_evaluations(session, item, training, newly_attended)
    recorded.sort(key=lambda row: ids.index(row.id))
    return item, recorded


async def _tell_employers(
    session: AsyncSession, item: TrainingSession, training: Training, recorded: Sequence[Registration]
) -> None:
    """The seed's "il est informé de la présence effective": one email per employer of each structure."""
    by_structure: dict[int, list[Registration]] = {}
    for row in recorded:
        by_structure.setdefault(row.structure_id, []).append(row)
    people = await _accounts(session, [row.beneficiary_id for row in recorded])
    for structure_id, rows in sorted(by_structure.items()):
        lines = [
            {
                "name": f"{people[row.beneficiary_id].first_name} {people[row.beneficiary_id].last_name}",
                "present": row.status is S.ATTENDED,
                "half_days": row.half_days_attended,
                "rate": round(100 * (row.attendance_rate or 0)),
            }
            for row in rows
        ]
        for employer in await employers_of(session, structure_id):
            await notify(
                session,
                employer,
                NotificationKind.ATTENDANCE_RECORDED,
                template="attendance_recorded",
                context={"training_title": training.title, "item": item, "lines": lines},
                about=About(session_id=item.id, structure_id=structure_id),
            )


async def _ask_evaluations(
    session: AsyncSession, item: TrainingSession, training: Training, attended: Sequence[Registration]
) -> None:
    """Q1: each participant asked once for his evaluation, when he is first recorded as present (a later
    correction of his figures does not ask again)."""
    deadline = item.ends_at + timedelta(days=settings_of(session).evaluation_days)
    people = await _accounts(session, [row.beneficiary_id for row in attended])
    for row in attended:
        person = people[row.beneficiary_id]
        await notify(
            session,
            person,
            NotificationKind.EVALUATION_REQUESTED,
            template="evaluation_requested",
            context={"training_title": training.title, "starts_at": item.starts_at, "deadline": deadline},
            about=About(registration_id=row.id, session_id=item.id),
        )
