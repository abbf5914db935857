"""Registrations (G1-G8): the request with its checks, every transition, and who may see what."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import and_, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select

from parcourspro_gql.auth.viewer import Viewer
from parcourspro_gql.clock import clock
from parcourspro_gql.db import rows_changed
from parcourspro_gql.domain import audit
from parcourspro_gql.domain.base import get_or_refuse, required_reason, settings_of
from parcourspro_gql.domain.catalogue import acts_for_provider, provider_capacity
from parcourspro_gql.domain.errors import DomainError, ErrorCode
from parcourspro_gql.domain.notifications import About, notify
from parcourspro_gql.events import seats_changed
from parcourspro_gql.models import (
    LIVE_STATUSES,
    Account,
    AccountRole,
    AffiliationStatus,
    Membership,
    NotificationKind,
    Registration,
    Role,
    Structure,
    StructureStatus,
    Training,
    TrainingFormat,
    TrainingSession,
)
from parcourspro_gql.models import RegistrationStatus as S


class RegistrationCategory(enum.Enum):
    """The four lists a beneficiary keeps."""

    REQUESTED = "REQUESTED"
    FOLLOWED = "FOLLOWED"
    REFUSED = "REFUSED"
    CANCELLED = "CANCELLED"


CATEGORY_STATUSES = {
    RegistrationCategory.REQUESTED: (S.PENDING_EMPLOYER, S.PENDING_PROVIDER, S.WAITLISTED, S.ACCEPTED),
    RegistrationCategory.FOLLOWED: (S.ATTENDED, S.ABSENT),
    RegistrationCategory.REFUSED: (S.REFUSED_BY_EMPLOYER, S.REJECTED_BY_PROVIDER),
    RegistrationCategory.CANCELLED: (S.CANCELLED,),
}
CATEGORY_OF = {status: category for category, statuses in CATEGORY_STATUSES.items() for status in statuses}
CANCELLABLE = (S.PENDING_EMPLOYER, S.PENDING_PROVIDER, S.WAITLISTED, S.ACCEPTED)
MIN_MOTIVATION, MAX_MOTIVATION = 20, 2000


FORBIDDEN_MESSAGE = "Vous n'avez pas le droit d'agir sur cette inscription."


def _forbidden() -> DomainError:
    return DomainError(ErrorCode.FORBIDDEN, FORBIDDEN_MESSAGE)


def _transition(registration: Registration, allowed: Iterable[S]) -> None:
    if registration.status not in set(allowed):
        raise DomainError(
            ErrorCode.INVALID_TRANSITION,
            f"Impossible depuis l'état {registration.status.value} de cette inscription.",
            "registrationId",
        )


async def employers_of(session: AsyncSession, structure_id: int) -> list[Account]:
    return list(
        await session.scalars(
            select(Account)
            .join(AccountRole, AccountRole.account_id == Account.id)
            .where(
                Account.structure_id == structure_id,
                Account.affiliation_status == AffiliationStatus.ACTIVE,
                AccountRole.role == Role.EMPLOYER,
            )
            .order_by(Account.id)
        )
    )


async def _providers(session: AsyncSession, training: Training) -> list[Account]:
    return list(
        await session.scalars(
            select(Account)
            .join(AccountRole, AccountRole.account_id == Account.id)
            .where(
                Account.structure_id == training.provider_structure_id,
                Account.affiliation_status == AffiliationStatus.ACTIVE,
                AccountRole.role == Role.PROVIDER,
            )
            .order_by(Account.id)
        )
    )


async def _notify(
    session: AsyncSession,
    people: Iterable[Account],
    kind: NotificationKind,
    registration: Registration,
    template: str,
    **context: Any,
) -> None:
    """N1, G8: each person's inbox and email about `registration`."""
    about = About(registration_id=registration.id, session_id=registration.session_id)
    for person in people:
        await notify(session, person, kind, template=template, context=context, about=about)


def _count_live(*conditions: Any) -> Select[Any]:
    return (
        select(func.count())
        .select_from(Registration)
        .where(Registration.status.in_(LIVE_STATUSES), *conditions)
    )


async def request(session: AsyncSession, viewer: Viewer, session_id: int, motivation: str) -> Registration:
    """G1-G5: a beneficiary asks for a seat; employers are told (G8), or G6's self-validation applies."""
    settings = settings_of(session)
    now = clock.now()
    account = await get_or_refuse(
        session, Account, viewer.account_id or 0, "sessionId", "Compte introuvable.", for_update=True
    )
    if account.email_verified_at is None:
        raise DomainError(ErrorCode.EMAIL_NOT_VERIFIED, "Confirmez d'abord votre adresse e-mail.")
    if account.affiliation_status is not AffiliationStatus.ACTIVE or account.structure_id is None:
        code = (
            ErrorCode.AFFILIATION_PENDING
            if account.affiliation_status is AffiliationStatus.PENDING
            else ErrorCode.NOT_AFFILIATED
        )
        raise DomainError(code, "Il faut être rattaché (et confirmé) à une structure pour s'inscrire.")
    structure = await session.get(Structure, account.structure_id)
    if structure is None or structure.status is not StructureStatus.VALIDATED:
        raise DomainError(ErrorCode.NOT_AFFILIATED, "Votre structure n'est pas validée.")
    motivation = motivation.strip()
    if not MIN_MOTIVATION <= len(motivation) <= MAX_MOTIVATION:
        raise DomainError(
            ErrorCode.INVALID_INPUT,
            f"La motivation doit compter de {MIN_MOTIVATION} à {MAX_MOTIVATION} caractères.",
            "motivation",
        )
    item = await get_or_refuse(session, TrainingSession, session_id, "sessionId", "Session introuvable.")
    training = await session.get(Training, item.training_id)
    assert training is not None
    if item.cancelled_at is not None:
        raise DomainError(ErrorCode.SESSION_CANCELLED, "Cette session est annulée.", "sessionId")
    if not item.registration_opens_at <= now < item.registration_closes_at:
        raise DomainError(
            ErrorCode.REGISTRATION_CLOSED,
            "Les inscriptions à cette session ne sont pas ouvertes.",
            "sessionId",
        )
    year = item.starts_at.year
    if training.reserved_to_members and not await session.scalar(
        select(Membership.id).where(
            Membership.structure_id == structure.id, Membership.year == year, Membership.revoked_at.is_(None)
        )
    ):
        raise DomainError(
            ErrorCode.MEMBERSHIP_REQUIRED,
            f"Action réservée aux structures adhérentes : la vôtre ne l'est pas pour {year}.",
        )
    if await session.scalar(
        _count_live(Registration.beneficiary_id == account.id, Registration.training_id == training.id)
    ):
        raise DomainError(
            ErrorCode.ALREADY_REGISTERED_FOR_TRAINING,
            "Vous êtes déjà inscrit à une session de cette formation.",
            "sessionId",
        )
    if training.reserved_to_members:
        in_year = and_(
            Registration.beneficiary_id == account.id,
            Registration.session_id.in_(
                select(TrainingSession.id)
                .join(Training, Training.id == TrainingSession.training_id)
                .where(
                    Training.reserved_to_members.is_(True),
                    TrainingSession.starts_at >= datetime(year, 1, 1, tzinfo=now.tzinfo),
                    TrainingSession.starts_at < datetime(year + 1, 1, 1, tzinfo=now.tzinfo),
                )
            ),
        )
        used = await session.scalar(_count_live(in_year)) or 0
        if used >= settings.annual_quota:
            raise DomainError(
                ErrorCode.ANNUAL_QUOTA_EXCEEDED,
                f"Vous avez déjà {used} actions sur {year} (maximum {settings.annual_quota}).",
            )
        if training.format is TrainingFormat.FORMATION:
            formations = (
                await session.scalar(
                    _count_live(
                        in_year,
                        Registration.training_id.in_(
                            select(Training.id).where(Training.format == TrainingFormat.FORMATION)
                        ),
                    )
                )
                or 0
            )
            if formations >= settings.formation_quota:
                raise DomainError(
                    ErrorCode.TRAINING_QUOTA_EXCEEDED,
                    f"Vous avez déjà {formations} formations sur {year} "
                    f"(maximum {settings.formation_quota}).",
                )
    if settings.staggered_opening and item.second_phase_at is not None and now < item.second_phase_at:
        in_phase_one = await session.scalar(
            _count_live(
                Registration.beneficiary_id == account.id,
                Registration.session_id.in_(
                    select(TrainingSession.id).where(TrainingSession.second_phase_at > now)
                ),
            )
        )
        if in_phase_one:
            raise DomainError(
                ErrorCode.PHASE_LIMIT_REACHED,
                "Avant la seconde phase, une seule demande est possible parmi ces sessions.",
            )
    same_structure = (
        await session.scalar(
            _count_live(Registration.structure_id == structure.id, Registration.training_id == training.id)
        )
        or 0
    )
    registration = Registration(
        beneficiary_id=account.id,
        session_id=item.id,
        training_id=training.id,
        structure_id=structure.id,
        motivation=motivation,
        status=S.PENDING_EMPLOYER,
        over_structure_cap=same_structure >= settings.structure_cap,
        requested_at=now,
        updated_at=now,
    )
    session.add(registration)
    await session.flush()
    await audit.record(
        session,
        viewer,
        entity_type="Registration",
        entity_id=registration.id,
        action="registration.request",
        to_state=S.PENDING_EMPLOYER,
    )
    employers = [e for e in await employers_of(session, structure.id) if e.id != account.id]
    context = {
        "person_name": f"{account.first_name} {account.last_name}",
        "training_title": training.title,
        "starts_at": item.starts_at,
        "location": item.location,
    }
    if Role.EMPLOYER in viewer.roles and not employers:
        # G6: the structure's only employer asked for himself: validated automatically, and audited as such.
        await _after_employer_validation(
            session, viewer, registration, item, training, account, automatic=True
        )
    else:
        await _notify(
            session,
            employers,
            NotificationKind.REGISTRATION_TO_DECIDE,
            registration,
            "registration_to_validate",
            **context,
        )
    return registration


async def _load(
    session: AsyncSession, registration_id: int
) -> tuple[Registration, TrainingSession, Training, Account]:
    registration = await get_or_refuse(
        session, Registration, registration_id, "registrationId", "Inscription introuvable.", for_update=True
    )
    item = await session.get(TrainingSession, registration.session_id)
    training = await session.get(Training, registration.training_id)
    person = await session.get(Account, registration.beneficiary_id)
    assert item is not None
    assert training is not None
    assert person is not None
    return registration, item, training, person


def _employer_capacity(viewer: Viewer, registration: Registration) -> str:
    """An employer of the person's structure other than the person (G6), or a manager in his place (R5)."""
    if viewer.account_id == registration.beneficiary_id and not viewer.is_manager:
        raise DomainError(ErrorCode.FORBIDDEN, "Votre propre demande est validée par un autre employeur.")
    if viewer.has_role(Role.EMPLOYER) and viewer.active_structure_id == registration.structure_id:
        return Role.EMPLOYER.value
    if viewer.is_manager:
        return Role.MANAGER.value
    raise _forbidden()


def _change(registration: Registration, status: S) -> S:
    previous = registration.status
    registration.status, registration.updated_at = status, clock.now()
    return previous


async def _after_employer_validation(
    session: AsyncSession,
    viewer: Viewer,
    registration: Registration,
    item: TrainingSession,
    training: Training,
    person: Account,
    *,
    automatic: bool = False,
    acting: str | None = None,
) -> None:
    target = S.WAITLISTED if registration.over_structure_cap else S.PENDING_PROVIDER
    previous = _change(registration, target)
    registration.employer_decision_by_id, registration.employer_decision_at = viewer.account_id, clock.now()
    if automatic:
        registration.employer_decision_comment = "Validation automatique : seul employeur de la structure."
    await audit.record(
        session,
        viewer,
        entity_type="Registration",
        entity_id=registration.id,
        action="registration.validate_auto" if automatic else "registration.validate",
        from_state=previous,
        to_state=target,
        actor_role=acting or Role.EMPLOYER.value,
    )
    context = {
        "training_title": training.title,
        "starts_at": item.starts_at,
        "location": item.location,
        "person_name": f"{person.first_name} {person.last_name}",
    }
    await _notify(
        session,
        [person],
        NotificationKind.REGISTRATION_UPDATED,
        registration,
        "registration_decision",
        decision="validée par votre employeur",
        reason=None,
        **context,
    )
    await _notify(
        session,
        await _providers(session, training),
        NotificationKind.REGISTRATION_TO_SELECT,
        registration,
        "registration_to_select",
        **context,
    )


async def validate(session: AsyncSession, viewer: Viewer, registration_id: int) -> Registration:
    """G6: an employer of the person's structure (not the person) or a manager validates."""
    registration, item, training, person = await _load(session, registration_id)
    acting = _employer_capacity(viewer, registration)
    _transition(registration, [S.PENDING_EMPLOYER])
    await _after_employer_validation(session, viewer, registration, item, training, person, acting=acting)
    return registration


async def refuse(
    session: AsyncSession, viewer: Viewer, registration_id: int, reason: str | None
) -> Registration:
    """G6: the employer refuses, with a reason the person receives."""
    registration, item, training, person = await _load(session, registration_id)
    acting = _employer_capacity(viewer, registration)
    _transition(registration, [S.PENDING_EMPLOYER])
    reason = required_reason(reason)
    previous = _change(registration, S.REFUSED_BY_EMPLOYER)
    registration.employer_decision_by_id, registration.employer_decision_at = viewer.account_id, clock.now()
    registration.employer_decision_comment = reason
    await audit.record(
        session,
        viewer,
        entity_type="Registration",
        entity_id=registration.id,
        action="registration.refuse",
        from_state=previous,
        to_state=S.REFUSED_BY_EMPLOYER,
        reason=reason,
        actor_role=acting,
    )
    await _notify(
        session,
        [person],
        NotificationKind.REGISTRATION_UPDATED,
        registration,
        "registration_decision",
        decision="refusée par votre employeur",
        reason=reason,
        training_title=training.title,
        starts_at=item.starts_at,
        location=item.location,
    )
    return registration


async def select_participant(session: AsyncSession, viewer: Viewer, registration_id: int) -> Registration:
    """G4, G6: the provider accepts; the seat is taken atomically, so concurrent selections never overbook."""
    registration, item, training, person = await _load(session, registration_id)
    acting = provider_capacity(viewer, training, FORBIDDEN_MESSAGE)
    _transition(registration, [S.PENDING_PROVIDER, S.WAITLISTED])
    if registration.over_structure_cap:
        # G4: over the structure's cap, only a seat nobody else is waiting for.
        waiting = (
            await session.scalar(
                select(func.count())
                .select_from(Registration)
                .where(
                    Registration.session_id == item.id,
                    Registration.id != registration.id,
                    Registration.status.in_((S.PENDING_PROVIDER, S.WAITLISTED)),
                    Registration.over_structure_cap.is_(False),
                )
            )
            or 0
        )
        if item.capacity - item.seats_taken <= waiting:
            raise DomainError(
                ErrorCode.SESSION_FULL,
                "Places réservées aux demandes des structures sous leur quota.",
                "registrationId",
            )
    taken = await session.execute(
        update(TrainingSession)
        .where(TrainingSession.id == item.id, TrainingSession.seats_taken < TrainingSession.capacity)
        .values(seats_taken=TrainingSession.seats_taken + 1)
    )
    if rows_changed(taken) != 1:
        raise DomainError(ErrorCode.SESSION_FULL, "La session est complète.", "registrationId")
    await seats_changed(session, item.id)
    previous = _change(registration, S.ACCEPTED)
    registration.provider_decision_by_id, registration.provider_decision_at = viewer.account_id, clock.now()
    await audit.record(
        session,
        viewer,
        entity_type="Registration",
        entity_id=registration.id,
        action="registration.select",
        from_state=previous,
        to_state=S.ACCEPTED,
        actor_role=acting,
    )
    await _notify(
        session,
        [person],
        NotificationKind.REGISTRATION_UPDATED,
        registration,
        "registration_decision",
        decision="acceptée : votre place est confirmée",
        reason=None,
        training_title=training.title,
        starts_at=item.starts_at,
        location=item.location,
    )
    return registration


async def waitlist(session: AsyncSession, viewer: Viewer, registration_id: int) -> Registration:
    """G6: the provider puts a request on the waiting list."""
    registration, item, training, person = await _load(session, registration_id)
    acting = provider_capacity(viewer, training, FORBIDDEN_MESSAGE)
    _transition(registration, [S.PENDING_PROVIDER])
    previous = _change(registration, S.WAITLISTED)
    registration.provider_decision_by_id, registration.provider_decision_at = viewer.account_id, clock.now()
    await audit.record(
        session,
        viewer,
        entity_type="Registration",
        entity_id=registration.id,
        action="registration.waitlist",
        from_state=previous,
        to_state=S.WAITLISTED,
        actor_role=acting,
    )
    await _notify(
        session,
        [person],
        NotificationKind.REGISTRATION_UPDATED,
        registration,
        "registration_decision",
        decision="placée en liste d'attente",
        reason=None,
        training_title=training.title,
        starts_at=item.starts_at,
        location=item.location,
    )
    return registration


async def reject(
    session: AsyncSession, viewer: Viewer, registration_id: int, reason: str | None
) -> Registration:
    """G6: the provider rejects a request, with a reason."""
    registration, item, training, person = await _load(session, registration_id)
    acting = provider_capacity(viewer, training, FORBIDDEN_MESSAGE)
    _transition(registration, [S.PENDING_PROVIDER, S.WAITLISTED])
    reason = required_reason(reason)
    previous = _change(registration, S.REJECTED_BY_PROVIDER)
    registration.provider_decision_by_id, registration.provider_decision_at = viewer.account_id, clock.now()
    registration.provider_decision_comment = reason
    await audit.record(
        session,
        viewer,
        entity_type="Registration",
        entity_id=registration.id,
        action="registration.reject",
        from_state=previous,
        to_state=S.REJECTED_BY_PROVIDER,
        reason=reason,
        actor_role=acting,
    )
    await _notify(
        session,
        [person],
        NotificationKind.REGISTRATION_UPDATED,
        registration,
        "registration_decision",
        decision="non retenue par l'organisme",
        reason=reason,
        training_title=training.title,
        starts_at=item.starts_at,
        location=item.location,
    )
    return registration


async def cancel(
    session: AsyncSession, viewer: Viewer, registration_id: int, reason: str | None
) -> Registration:
    """G6, G7: the person, his employer, the provider or a manager cancels before the session starts; a freed
    seat is offered to the first person on the waiting list."""
    registration, item, training, person = await _load(session, registration_id)
    if viewer.account_id == registration.beneficiary_id:
        acting = Role.BENEFICIARY.value
    elif viewer.has_role(Role.EMPLOYER) and viewer.active_structure_id == registration.structure_id:
        acting = Role.EMPLOYER.value
    else:
        acting = provider_capacity(viewer, training, FORBIDDEN_MESSAGE)
    _transition(registration, CANCELLABLE)
    if clock.now() >= item.starts_at:
        raise DomainError(
            ErrorCode.SESSION_STARTED, "La session a commencé : l'inscription ne peut plus être annulée."
        )
    reason = required_reason(reason, "de l'annulation")
    previous = _change(registration, S.CANCELLED)
    registration.cancelled_by_id, registration.cancelled_at, registration.cancellation_reason = (
        viewer.account_id,
        clock.now(),
        reason,
    )
    await audit.record(
        session,
        viewer,
        entity_type="Registration",
        entity_id=registration.id,
        action="registration.cancel",
        from_state=previous,
        to_state=S.CANCELLED,
        reason=reason,
        actor_role=acting,
    )
    context = {
        "training_title": training.title,
        "starts_at": item.starts_at,
        "location": item.location,
        "person_name": f"{person.first_name} {person.last_name}",
    }
    if viewer.account_id != person.id:
        await _notify(
            session,
            [person],
            NotificationKind.REGISTRATION_UPDATED,
            registration,
            "registration_decision",
            decision="annulée",
            reason=reason,
            **context,
        )
    if previous is S.ACCEPTED:
        await session.execute(
            update(TrainingSession)
            .where(TrainingSession.id == item.id)
            .values(seats_taken=TrainingSession.seats_taken - 1)
        )
        await seats_changed(session, item.id)
        await _notify(
            session,
            await _providers(session, training),
            NotificationKind.REGISTRATION_UPDATED,
            registration,
            "registration_cancelled",
            reason=reason,
            **context,
        )
        await _offer_seat(session, item, training)
    return registration


async def _offer_seat(session: AsyncSession, item: TrainingSession, training: Training) -> None:
    """G7: the oldest waiting request (structure cap respected: within-cap requests first) is offered the seat."""
    waiting = await session.scalar(
        select(Registration)
        .where(Registration.session_id == item.id, Registration.status == S.WAITLISTED)
        .order_by(Registration.over_structure_cap, Registration.requested_at, Registration.id)
        .limit(1)
    )
    if waiting is None:
        return
    waiting.offered_seat_at = clock.now()
    person = await session.get(Account, waiting.beneficiary_id)
    assert person is not None
    context = {
        "training_title": training.title,
        "starts_at": item.starts_at,
        "location": item.location,
        "person_name": f"{person.first_name} {person.last_name}",
    }
    await _notify(session, [person], NotificationKind.SEAT_OFFERED, waiting, "seat_offered_person", **context)
    await _notify(
        session,
        await _providers(session, training),
        NotificationKind.REGISTRATION_TO_SELECT,
        waiting,
        "seat_offered_provider",
        **context,
    )


def can_view(viewer: Viewer, registration: Registration, provider_structure_id: int) -> bool:
    """The person, his structure's employers, the session's provider, managers (object scope everywhere)."""
    if viewer.account_id is None:
        return False
    if viewer.is_manager or viewer.account_id == registration.beneficiary_id:
        return True
    if viewer.has_role(Role.EMPLOYER) and viewer.active_structure_id == registration.structure_id:
        return True
    return acts_for_provider(viewer, provider_structure_id)


def can_view_history_of(viewer: Viewer, account: Account) -> bool:
    """Account.registrations: the account itself, its structure's employers, managers."""
    if viewer.account_id is None:
        return False
    if viewer.is_manager or viewer.account_id == account.id:
        return True
    return viewer.has_role(Role.EMPLOYER) and account.structure_id == viewer.active_structure_id


@dataclass(frozen=True)
class Listing:
    """A list of registrations: those whose `column` is `owner`, of some statuses (all when None).

    Its statement is built once per shape (column and statuses), with `owner` as a bound parameter: SQLAlchemy
    then finds its compiled SQL without walking a newly built statement at every request.
    """

    column: str
    owner: int
    statuses: tuple[S, ...] | None = None

    @property
    def shape(self) -> tuple[str, tuple[S, ...] | None]:
        return self.column, self.statuses

    @property
    def params(self) -> dict[str, Any]:
        return {"owner": self.owner}

    def statement(self) -> Select[Any]:
        return _listing_statement(self.column, self.statuses)


@lru_cache(maxsize=64)
def _listing_statement(column: str, statuses: tuple[S, ...] | None) -> Select[Any]:
    statement = select(Registration).where(getattr(Registration, column) == bindparam("owner"))
    return statement if statuses is None else statement.where(Registration.status.in_(statuses))


def history(account_id: int, category: RegistrationCategory | None) -> Listing:
    return Listing("beneficiary_id", account_id, None if category is None else CATEGORY_STATUSES[category])


def of_session(session_id: int, status: S | None) -> Listing:
    return Listing("session_id", session_id, None if status is None else (status,))


def of_structure(structure_id: int, status: S | None) -> Listing:
    return Listing("structure_id", structure_id, None if status is None else (status,))


async def overview_counts(session: AsyncSession, structure_id: int) -> dict[str, int]:
    """What the employer has to decide, validated and refused, in one statement."""
    decided = Registration.employer_decision_at.is_not(None)
    row = (
        await session.execute(
            select(
                func.count().filter(Registration.status == S.PENDING_EMPLOYER),
                func.count().filter(decided, Registration.status != S.REFUSED_BY_EMPLOYER),
                func.count().filter(Registration.status == S.REFUSED_BY_EMPLOYER),
            ).where(Registration.structure_id == structure_id)
        )
    ).one()
    return {"pending": row[0], "validated": row[1], "refused": row[2]}


def employer_structure(viewer: Viewer, structure_id: int | None) -> int:
    """employerOverview's structure: the employer's own, or the one a manager names."""
    if viewer.is_manager and structure_id is not None:
        return structure_id
    own = viewer.active_structure_id if viewer.has_role(Role.EMPLOYER) else None
    if own is not None and structure_id in (None, own):
        return own
    raise _forbidden()
