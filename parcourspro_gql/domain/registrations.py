"""Registrations (G1-G8): the request with its checks, every transition, and who may see what."""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select

from parcourspro_gql.auth.viewer import Viewer
from parcourspro_gql.clock import clock
from parcourspro_gql.db import rows_changed
from parcourspro_gql.domain import audit, scheduling, years
from parcourspro_gql.domain.base import get_or_refuse, required_reason, settings_of
from parcourspro_gql.domain.catalogue import acts_for_provider, provider_capacity
from parcourspro_gql.domain.errors import DomainError, ErrorCode
from parcourspro_gql.domain.notifications import About, notify
from parcourspro_gql.events import seats_changed
from parcourspro_gql.loaders.accounts import quota_statement
from parcourspro_gql.models import (
    LIVE_STATUSES,
    Account,
    AccountRole,
    AffiliationStatus,
    Membership,
    NotificationKind,
    Registration,
    RegistrationCount,
    Role,
    ScheduledTask,
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
    RegistrationCategory.CANCELLED: (S.CANCELLED, S.EXPIRED),
}
CATEGORY_OF = {status: category for category, statuses in CATEGORY_STATUSES.items() for status in statuses}
CANCELLABLE = (S.PENDING_EMPLOYER, S.PENDING_PROVIDER, S.WAITLISTED, S.ACCEPTED)
# G9: still waiting for a decision; closed without an answer (EXPIRED) when the session starts.
UNDECIDED = (S.PENDING_EMPLOYER, S.PENDING_PROVIDER, S.WAITLISTED)
SYSTEM = "SYSTEM"  # audit capacity of the moves the scheduler makes
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


# ---------------------------------------------------------------------------------------------------------------
# ONE lock order for every use case that touches seats or the structure cap (selection, cancellation, offers and
# their answers, expiry, the closing at the start, attendance, session changes). Whoever follows it cannot
# deadlock with another who does:
#
#   1. the structure-training pairs whose cap may change (PostgreSQL advisory locks, in ascending order);
#   2. the session row (SELECT ... FOR UPDATE): every change of seats_taken happens under it;
#   3. the registrations of that session, the one decided on first, then the candidates of an offer;
#   4. (cap recomputation) over-cap registrations of the same structure and training in other sessions;
#   5. the scheduler's task rows (upserts of domain.scheduling, the scheduler's "done" mark), last.
#
# A use case that knows only a registration reads it first WITHOUT a lock to learn its session, structure and
# training, then takes the locks in that order (`lock_registration`). An accepted request locks the requester's
# account before the pair. Database.transact retries whatever still meets a deadlock or serialization failure.
# ---------------------------------------------------------------------------------------------------------------


def _pair_key(structure_id: int, training_id: int) -> int:
    """A stable signed 64-bit key for the advisory lock of a structure-training pair."""
    digest = hashlib.blake2b(f"structure-cap:{structure_id}:{training_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


async def lock_pairs(session: AsyncSession, pairs: Iterable[tuple[int, int]]) -> None:
    """Step 1: the structure-training pairs, in ascending order, until the transaction ends (PostgreSQL; SQLite
    serialises writers already). Counting a structure's requests for a training and changing them is then
    done by one transaction at a time (G4')."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for structure_id, training_id in sorted(set(pairs)):
        await session.execute(select(func.pg_advisory_xact_lock(_pair_key(structure_id, training_id))))


async def lock_session(session: AsyncSession, session_id: int) -> TrainingSession:
    """Step 2: the session row, read again under lock (its seats as committed now)."""
    item = await session.get(TrainingSession, session_id, with_for_update=True, populate_existing=True)
    if item is None:
        raise DomainError(ErrorCode.NOT_FOUND, "Session introuvable.", "sessionId")
    return item


async def lock_registration(
    session: AsyncSession, registration_id: int
) -> tuple[Registration, TrainingSession]:
    """Steps 1 to 3 for one registration: its pair, its session, then itself, read again under lock."""
    peek = (
        await session.execute(
            select(Registration.session_id, Registration.structure_id, Registration.training_id).where(
                Registration.id == registration_id
            )
        )
    ).first()
    if peek is None:
        raise DomainError(ErrorCode.NOT_FOUND, "Inscription introuvable.", "registrationId")
    await lock_pairs(session, [(peek.structure_id, peek.training_id)])
    item = await lock_session(session, peek.session_id)
    registration = await session.get(
        Registration, registration_id, with_for_update=True, populate_existing=True
    )
    assert registration is not None  # registrations are never deleted
    return registration, item


def holds_offer(registration: Registration) -> bool:
    """G7': a seat is held for this waitlisted person (counted in the session's seats_taken)."""
    return registration.status is S.WAITLISTED and registration.offer_expires_at is not None


def holds_seat(registration: Registration) -> bool:
    """Counted in seats_taken: accepted, or holding an offer."""
    return registration.status is S.ACCEPTED or holds_offer(registration)


async def _release_seat(session: AsyncSession, item: TrainingSession) -> None:
    """A seat counted in seats_taken is given back (the session row is locked: step 2)."""
    await session.execute(
        update(TrainingSession)
        .where(TrainingSession.id == item.id)
        .values(seats_taken=TrainingSession.seats_taken - 1)
        .execution_options(synchronize_session=False)
    )
    item.seats_taken -= 1


async def _take_seat(session: AsyncSession, item: TrainingSession) -> bool:
    """One more seat taken if one is left, atomically: concurrent selections never exceed the capacity."""
    taken = await session.execute(
        update(TrainingSession)
        .where(TrainingSession.id == item.id, TrainingSession.seats_taken < TrainingSession.capacity)
        .values(seats_taken=TrainingSession.seats_taken + 1)
        .execution_options(synchronize_session=False)
    )
    if rows_changed(taken) != 1:
        return False
    item.seats_taken += 1
    return True


def _context(item: TrainingSession, training: Training, person: Account | None = None) -> dict[str, Any]:
    context: dict[str, Any] = {
        "training_title": training.title,
        "starts_at": item.starts_at,
        "location": item.location,
    }
    if person is not None:
        context["person_name"] = f"{person.first_name} {person.last_name}"
    return context


async def offer_free_seats(
    session: AsyncSession, item: TrainingSession, training: Training
) -> list[Registration]:
    """G7': each free seat of the session is offered to the first waitlisted request, in request order, that is
    within its structure's cap and was never offered a seat: the seat is held (seats_taken) until the answer or
    the deadline (PARCOURSPRO_SEAT_OFFER_HOURS, never past the registration's close), the person and the
    provider are told, and the deadline is scheduled. After the close no offer is made: the provider selects
    from the waiting list himself.

    The caller holds the session's lock (step 2 of the lock order): a cancellation, a decline, an expiry, a
    capacity raised.
    """
    settings = settings_of(session)
    now = clock.now()
    offered: list[Registration] = []
    await session.flush()  # the ending that freed the seat is seen by the candidates' query
    if now >= item.registration_closes_at or now >= item.starts_at:
        return offered
    deadline = min(now + timedelta(hours=settings.seat_offer_hours), item.registration_closes_at)
    providers: list[Account] | None = None
    while item.capacity - item.seats_taken > 0:
        candidate = await session.scalar(
            select(Registration)
            .where(
                Registration.session_id == item.id,
                Registration.status == S.WAITLISTED,
                Registration.over_structure_cap.is_(False),
                Registration.offered_seat_at.is_(None),
            )
            .order_by(Registration.requested_at, Registration.id)
            .limit(1)
            .with_for_update()
        )
        if candidate is None or not await _take_seat(session, item):
            break
        candidate.offered_seat_at, candidate.offer_expires_at = now, deadline
        candidate.updated_at = now
        await audit.record(
            session,
            None,
            entity_type="Registration",
            entity_id=candidate.id,
            action="registration.seat_offer",
            from_state=S.WAITLISTED,
            to_state=S.WAITLISTED,
            actor_role=SYSTEM,
            data={"expiresAt": deadline.isoformat()},
        )
        await scheduling.schedule(
            session,
            scheduling.OFFER_EXPIRY,
            f"{scheduling.OFFER_EXPIRY}:{candidate.id}",
            deadline,
            session_id=item.id,
            registration_id=candidate.id,
        )
        person = await session.get(Account, candidate.beneficiary_id)
        assert person is not None
        context = {**_context(item, training, person), "expires_at": deadline}
        await _notify(
            session, [person], NotificationKind.SEAT_OFFERED, candidate, "seat_offered_person", **context
        )
        providers = providers if providers is not None else await _providers(session, training)
        await _notify(
            session,
            providers,
            NotificationKind.REGISTRATION_TO_SELECT,
            candidate,
            "seat_offered_provider",
            **context,
        )
        offered.append(candidate)
    return offered


async def recompute_cap(session: AsyncSession, structure_id: int, training_id: int) -> list[Registration]:
    """G4': the cap is a fact of the moment. Once a registration of the structure for the training has ended,
    the oldest over-cap requests fill the places under the cap again; one that was WAITLISTED only because of
    the cap (no provider decision yet) returns to PENDING_PROVIDER and the provider is told.

    The caller holds the pair's lock (step 1), so two endings, or an ending and a new request, never count at
    once.
    """
    settings = settings_of(session)
    await session.flush()  # the ending that called us is counted
    within = (
        await session.scalar(
            _count_live(
                Registration.structure_id == structure_id,
                Registration.training_id == training_id,
                Registration.over_structure_cap.is_(False),
            )
        )
        or 0
    )
    room = settings.structure_cap - within
    if room <= 0:
        return []
    lifted = list(
        await session.scalars(
            select(Registration)
            .where(
                Registration.structure_id == structure_id,
                Registration.training_id == training_id,
                Registration.status.in_(LIVE_STATUSES),
                Registration.over_structure_cap.is_(True),
            )
            .order_by(Registration.requested_at, Registration.id)
            .limit(room)
            .with_for_update()
        )
    )
    for registration in lifted:
        registration.over_structure_cap = False
        registration.updated_at = clock.now()
        back = registration.status is S.WAITLISTED and registration.provider_decision_at is None
        previous = _change(registration, S.PENDING_PROVIDER) if back else registration.status
        await audit.record(
            session,
            None,
            entity_type="Registration",
            entity_id=registration.id,
            action="registration.cap_lifted",
            from_state=previous,
            to_state=registration.status,
            actor_role=SYSTEM,
        )
        if back:
            item = await session.get(TrainingSession, registration.session_id)
            training = await session.get(Training, registration.training_id)
            person = await session.get(Account, registration.beneficiary_id)
            assert item is not None
            assert training is not None
            assert person is not None
            await _notify(
                session,
                await _providers(session, training),
                NotificationKind.REGISTRATION_TO_SELECT,
                registration,
                "registration_to_select",
                **_context(item, training, person),
            )
    return lifted


async def _after_ending(
    session: AsyncSession,
    registration: Registration,
    item: TrainingSession,
    training: Training,
    *,
    held_seat: bool,
) -> None:
    """What follows any ending (refused, rejected, cancelled, declined, expired): the seat it held goes back and
    is offered (G7'), and the structure's cap is counted again (G4')."""
    if held_seat:
        await _release_seat(session, item)
        await offer_free_seats(session, item, training)
    await recompute_cap(session, registration.structure_id, registration.training_id)


def _not_started(item: TrainingSession, message: str) -> None:
    """G9: decisions on a request stop at the session's start (requests still undecided then have expired)."""
    if clock.now() >= item.starts_at:
        raise DomainError(ErrorCode.SESSION_STARTED, message, "registrationId")


async def quota_counts(session: AsyncSession, account_ids: list[int], year: int) -> list[tuple[int, int]]:
    """(used, formations used) of each account in `year` (G3), in the order of `account_ids`."""
    rows = await session.execute(quota_statement(year).where(Registration.beneficiary_id.in_(account_ids)))
    found = {row[0]: (int(row[1]), int(row[2])) for row in rows}
    return [found.get(pk, (0, 0)) for pk in account_ids]


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
    year = years.year_of(item.starts_at)  # G11: the session's year is its start's year in Paris
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
        [(used, formations)] = await quota_counts(session, [account.id], year)
        if used >= settings.annual_quota:
            raise DomainError(
                ErrorCode.ANNUAL_QUOTA_EXCEEDED,
                f"Vous avez déjà {used} actions sur {year} (maximum {settings.annual_quota}).",
            )
        if training.format is TrainingFormat.FORMATION and formations >= settings.formation_quota:
            raise DomainError(
                ErrorCode.TRAINING_QUOTA_EXCEEDED,
                f"Vous avez déjà {formations} formations sur {year} (maximum {settings.formation_quota}).",
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
    # G4': colleagues requesting the training at once are counted one after the other (the pair's lock).
    await lock_pairs(session, [(structure.id, training.id)])
    same_structure = (
        await session.scalar(
            _count_live(
                Registration.structure_id == structure.id,
                Registration.training_id == training.id,
                Registration.over_structure_cap.is_(False),
            )
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
    if Role.EMPLOYER in viewer.roles and not employers:
        # G6: the structure's only employer asked for himself: validated automatically, and audited as such.
        await _after_employer_validation(
            session, viewer, registration, item, training, account, automatic=True
        )
    else:
        await _alert_deciders(
            session, account, registration, structure.id, employers, _context(item, training, account)
        )
    return registration


async def _alert_deciders(
    session: AsyncSession,
    person: Account,
    registration: Registration,
    structure_id: int,
    employers: list[Account],
    context: dict[str, Any],
) -> None:
    """G10: a request always alerts someone: the structure's employers; without any, its referents (who
    designate an employer); without any other, the managers (who may validate in their place, R5)."""
    if employers:
        await _notify(
            session,
            employers,
            NotificationKind.REGISTRATION_TO_DECIDE,
            registration,
            "registration_to_validate",
            audience="employer",
            **context,
        )
        return
    referents = [r for r in await _with_role(session, Role.REFERENT, structure_id) if r.id != person.id]
    if referents:
        await _notify(
            session,
            referents,
            NotificationKind.REGISTRATION_TO_DECIDE,
            registration,
            "registration_to_validate",
            audience="referent",
            **context,
        )
        return
    await _notify(
        session,
        await _with_role(session, Role.MANAGER, None),
        NotificationKind.REGISTRATION_TO_DECIDE,
        registration,
        "registration_to_validate",
        audience="manager",
        **context,
    )


async def _with_role(session: AsyncSession, role: Role, structure_id: int | None) -> list[Account]:
    """Active accounts with `role` in the structure (any account for managers, who belong to none)."""
    statement = (
        select(Account)
        .join(AccountRole, AccountRole.account_id == Account.id)
        .where(AccountRole.role == role, Account.anonymised_at.is_(None))
        .order_by(Account.id)
    )
    if structure_id is not None:
        statement = statement.where(
            Account.structure_id == structure_id, Account.affiliation_status == AffiliationStatus.ACTIVE
        )
    return list(await session.scalars(statement))


async def _load(
    session: AsyncSession, registration_id: int
) -> tuple[Registration, TrainingSession, Training, Account]:
    registration, item = await lock_registration(session, registration_id)
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
    _not_started(item, "La session a commencé : cette demande est close.")
    await _after_employer_validation(session, viewer, registration, item, training, person, acting=acting)
    return registration


async def refuse(
    session: AsyncSession, viewer: Viewer, registration_id: int, reason: str | None
) -> Registration:
    """G6: the employer refuses, with a reason the person receives."""
    registration, item, training, person = await _load(session, registration_id)
    acting = _employer_capacity(viewer, registration)
    _transition(registration, [S.PENDING_EMPLOYER])
    _not_started(item, "La session a commencé : cette demande est close.")
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
    await _after_ending(session, registration, item, training, held_seat=False)
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
    _not_started(item, "La session a commencé : cette demande est close.")
    held = holds_offer(registration)
    if registration.over_structure_cap and not held:
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
                    Registration.offer_expires_at.is_(None),  # an offer's seat is counted already
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
    # A person holding an offer has his seat already (G7'); anyone else takes one if one is left.
    if not held and not await _take_seat(session, item):
        raise DomainError(ErrorCode.SESSION_FULL, "La session est complète.", "registrationId")
    await seats_changed(session, item.id)
    registration.offer_expires_at = None
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
        **_context(item, training),
    )
    return registration


async def waitlist(session: AsyncSession, viewer: Viewer, registration_id: int) -> Registration:
    """G6: the provider puts a request on the waiting list."""
    registration, item, training, person = await _load(session, registration_id)
    acting = provider_capacity(viewer, training, FORBIDDEN_MESSAGE)
    _transition(registration, [S.PENDING_PROVIDER])
    _not_started(item, "La session a commencé : cette demande est close.")
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
    _not_started(item, "La session a commencé : cette demande est close.")
    reason = required_reason(reason)
    held = holds_offer(registration)
    registration.offer_expires_at = None
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
    await _after_ending(session, registration, item, training, held_seat=held)
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
    held = holds_seat(registration)
    previous = await _cancelled_by(session, viewer, registration, reason, "registration.cancel", acting)
    context = _context(item, training, person)
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
    await _after_ending(session, registration, item, training, held_seat=held)
    return registration


def _offer_of(viewer: Viewer, registration: Registration) -> None:
    """G7': only the person answers the offer made to him, and only while it runs."""
    if viewer.account_id != registration.beneficiary_id:
        raise DomainError(ErrorCode.FORBIDDEN, "Seule la personne à qui la place est proposée répond.")
    if registration.offered_seat_at is not None and (
        registration.status is S.EXPIRED
        or (holds_offer(registration) and clock.now() >= registration.offer_expires_at)  # type: ignore[operator]
    ):
        raise DomainError(
            ErrorCode.OFFER_EXPIRED,
            "Le délai pour répondre à cette proposition de place est dépassé.",
            "registrationId",
        )
    if not holds_offer(registration):
        raise DomainError(
            ErrorCode.INVALID_TRANSITION,
            "Aucune place n'est proposée pour cette inscription.",
            "registrationId",
        )


async def accept_offer(session: AsyncSession, viewer: Viewer, registration_id: int) -> Registration:
    """G7': the person takes the seat held for him before its deadline: ACCEPTED, the provider is told."""
    registration, item, training, person = await _load(session, registration_id)
    _offer_of(viewer, registration)
    registration.offer_expires_at = None
    previous = _change(registration, S.ACCEPTED)
    await audit.record(
        session,
        viewer,
        entity_type="Registration",
        entity_id=registration.id,
        action="registration.seat_offer_accept",
        from_state=previous,
        to_state=S.ACCEPTED,
        actor_role=Role.BENEFICIARY.value,
    )
    context = _context(item, training, person)
    await _notify(
        session,
        [person],
        NotificationKind.REGISTRATION_UPDATED,
        registration,
        "registration_decision",
        decision="acceptée : votre place est confirmée",
        reason=None,
        **context,
    )
    await _tell_provider_answer(session, training, registration, "accepté la place", context)
    return registration


async def decline_offer(
    session: AsyncSession, viewer: Viewer, registration_id: int, reason: str | None
) -> Registration:
    """G7': the person lets the seat go: his registration is CANCELLED, the seat is offered to the next one."""
    registration, item, training, person = await _load(session, registration_id)
    _offer_of(viewer, registration)
    why = required_reason(reason, "du refus") if reason and reason.strip() else "Place proposée déclinée."
    await _cancelled_by(
        session, viewer, registration, why, "registration.seat_offer_decline", Role.BENEFICIARY.value
    )
    await _tell_provider_answer(
        session, training, registration, "décliné la place", _context(item, training, person)
    )
    await _after_ending(session, registration, item, training, held_seat=True)
    return registration


async def _cancelled_by(
    session: AsyncSession, viewer: Viewer, registration: Registration, reason: str, action: str, acting: str
) -> S:
    """The registration CANCELLED by the caller for `reason` (an offer it held ends with it), audited as
    `action` in the capacity `acting`; its status before."""
    registration.offer_expires_at = None
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
        action=action,
        from_state=previous,
        to_state=S.CANCELLED,
        reason=reason,
        actor_role=acting,
    )
    return previous


async def _tell_provider_answer(
    session: AsyncSession,
    training: Training,
    registration: Registration,
    outcome: str,
    context: dict[str, Any],
) -> None:
    """G7': the training's providers learn how a seat offer ended (accepted, declined, or let pass)."""
    await _notify(
        session,
        await _providers(session, training),
        NotificationKind.REGISTRATION_UPDATED,
        registration,
        "seat_offer_answered",
        outcome=outcome,
        **context,
    )


@scheduling.handler(scheduling.OFFER_EXPIRY)
async def expire_offer(session: AsyncSession, task: ScheduledTask) -> datetime | None:
    """G7' (scheduler): an offer unanswered at its deadline: EXPIRED, the person and the provider are told, the
    seat goes to the next person."""
    assert task.registration_id is not None
    registration, item = await lock_registration(session, task.registration_id)
    if not holds_offer(registration):
        return None  # answered, cancelled or closed meanwhile
    deadline = registration.offer_expires_at
    assert deadline is not None
    if clock.now() < deadline:
        return deadline
    training = await session.get(Training, registration.training_id)
    person = await session.get(Account, registration.beneficiary_id)
    assert training is not None
    assert person is not None
    registration.offer_expires_at = None
    previous = _change(registration, S.EXPIRED)
    await audit.record(
        session,
        None,
        entity_type="Registration",
        entity_id=registration.id,
        action="registration.seat_offer_expire",
        from_state=previous,
        to_state=S.EXPIRED,
        actor_role=SYSTEM,
    )
    context = _context(item, training, person)
    await _notify(
        session,
        [person],
        NotificationKind.REGISTRATION_UPDATED,
        registration,
        "seat_offer_expired",
        **context,
    )
    await _tell_provider_answer(session, training, registration, "laissé passer le délai", context)
    await _after_ending(session, registration, item, training, held_seat=True)
    return None


@scheduling.handler(scheduling.SESSION_START)
async def close_at_start(session: AsyncSession, task: ScheduledTask) -> datetime | None:
    """G9 (scheduler): at the session's start every request still undecided becomes EXPIRED ("clôturée sans
    suite"), freeing G2 and the quota; each person is told. A session moved later is looked at again then."""
    assert task.session_id is not None
    peek = await session.get(TrainingSession, task.session_id)
    if peek is None:
        return None
    if clock.now() < peek.starts_at:
        return peek.starts_at
    pairs = (
        await session.execute(
            select(Registration.structure_id, Registration.training_id)
            .where(Registration.session_id == peek.id, Registration.status.in_(UNDECIDED))
            .distinct()
        )
    ).all()
    if not pairs:
        return None
    await lock_pairs(session, [(row.structure_id, row.training_id) for row in pairs])
    item = await lock_session(session, peek.id)
    training = await session.get(Training, item.training_id)
    assert training is not None
    undecided = list(
        await session.scalars(
            select(Registration)
            .where(Registration.session_id == item.id, Registration.status.in_(UNDECIDED))
            .order_by(Registration.id)
            .with_for_update()
        )
    )
    people = {
        account.id: account
        for account in await session.scalars(
            select(Account).where(Account.id.in_([r.beneficiary_id for r in undecided]))
        )
    }
    for registration in undecided:
        if holds_offer(registration):  # an offer the scheduler had not closed yet: its seat goes back
            await _release_seat(session, item)
        registration.offer_expires_at = None
        previous = _change(registration, S.EXPIRED)
        await audit.record(
            session,
            None,
            entity_type="Registration",
            entity_id=registration.id,
            action="registration.expire_at_start",
            from_state=previous,
            to_state=S.EXPIRED,
            actor_role=SYSTEM,
        )
        await _notify(
            session,
            [people[registration.beneficiary_id]],
            NotificationKind.REGISTRATION_UPDATED,
            registration,
            "registration_expired",
            **_context(item, training),
        )
    for row in pairs:
        await recompute_cap(session, row.structure_id, row.training_id)
    return None


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

    def count_statement(self) -> Select[Any] | None:
        """How many registrations the list holds, when a maintained counter knows it (a structure's lists,
        which grow with its whole history); None when counting the list's own rows is cheap (a person's
        or a session's registrations, bounded by quotas and capacity)."""
        return _count_statement(self.column, self.statuses)


@lru_cache(maxsize=64)
def _listing_statement(column: str, statuses: tuple[S, ...] | None) -> Select[Any]:
    statement = select(Registration).where(getattr(Registration, column) == bindparam("owner"))
    return statement if statuses is None else statement.where(Registration.status.in_(statuses))


@lru_cache(maxsize=64)
def _count_statement(column: str, statuses: tuple[S, ...] | None) -> Select[Any] | None:
    if column != "structure_id":
        return None
    statement = select(func.coalesce(func.sum(RegistrationCount.n), 0)).where(
        RegistrationCount.structure_id == bindparam("owner")
    )
    if statuses is not None:
        statement = statement.where(RegistrationCount.status.in_([status.value for status in statuses]))
    return statement


def history(account_id: int, category: RegistrationCategory | None) -> Listing:
    return Listing("beneficiary_id", account_id, None if category is None else CATEGORY_STATUSES[category])


def of_session(session_id: int, status: S | None) -> Listing:
    return Listing("session_id", session_id, None if status is None else (status,))


def of_structure(structure_id: int, status: S | None) -> Listing:
    return Listing("structure_id", structure_id, None if status is None else (status,))


async def overview_counts(session: AsyncSession, structure_id: int) -> dict[str, int]:
    """What the employer has to decide, validated and refused, in one statement over the structure's
    maintained counters (`registration_counts`: one row per status, decided or not), so that it reads a
    dozen rows whether the structure has ten registrations or ten thousand."""
    counts = RegistrationCount
    refused = S.REFUSED_BY_EMPLOYER.value

    def total(*conditions: Any) -> Any:
        return func.coalesce(func.sum(counts.n).filter(*conditions), 0)

    row = (
        await session.execute(
            select(
                total(counts.status == S.PENDING_EMPLOYER.value),
                total(counts.employer_decided.is_(True), counts.status != refused),
                total(counts.status == refused),
            ).where(counts.structure_id == structure_id)
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
