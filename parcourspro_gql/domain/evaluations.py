"""Evaluations (Q1): each participant who attended rates the session once; its provider and managers read
the summary (Qualiopi indicator 30)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parcourspro_gql.auth.viewer import Viewer
from parcourspro_gql.clock import clock
from parcourspro_gql.domain import audit
from parcourspro_gql.domain.base import get_or_refuse, settings_of
from parcourspro_gql.domain.catalogue import acts_for_provider
from parcourspro_gql.domain.errors import DomainError, ErrorCode
from parcourspro_gql.models import Evaluation, Registration, Role, TrainingSession
from parcourspro_gql.models import RegistrationStatus as S

MAX_COMMENT = 2000


@dataclass(frozen=True)
class EvaluationData:
    rating: int
    would_recommend: bool
    comment: str | None


async def submit(
    session: AsyncSession, viewer: Viewer, registration_id: int, data: EvaluationData
) -> Registration:
    """Q1: the participant himself, once he attended, within the window after the session's end, once."""
    # The registration's row lock serialises two submissions of the same person (two devices at once).
    registration = await get_or_refuse(
        session, Registration, registration_id, "registrationId", "Inscription introuvable.", for_update=True
    )
    if viewer.account_id != registration.beneficiary_id:
        raise DomainError(ErrorCode.FORBIDDEN, "Seul le participant évalue sa session.", "registrationId")
    if registration.status is not S.ATTENDED:
        raise DomainError(
            ErrorCode.FORBIDDEN, "L'évaluation est réservée aux participants présents.", "registrationId"
        )
    item = await session.get(TrainingSession, registration.session_id)
    assert item is not None
    days = settings_of(session).evaluation_days
    if clock.now() > item.ends_at + timedelta(days=days):
        raise DomainError(
            ErrorCode.FORBIDDEN,
            f"L'évaluation se donne dans les {days} jours qui suivent la session.",
            "registrationId",
        )
    if await session.scalar(select(Evaluation.id).where(Evaluation.registration_id == registration.id)):
        raise DomainError(ErrorCode.ALREADY_EVALUATED, "Vous avez déjà évalué cette session.")
    if not 1 <= data.rating <= 5:
        raise DomainError(ErrorCode.INVALID_INPUT, "La note va de 1 à 5.", "rating")
    comment = " ".join((data.comment or "").split()) or None
    if comment is not None and len(comment) > MAX_COMMENT:
        raise DomainError(
            ErrorCode.INVALID_INPUT, f"Le commentaire compte au plus {MAX_COMMENT} caractères.", "comment"
        )
    evaluation = Evaluation(
        registration_id=registration.id,
        session_id=registration.session_id,
        rating=data.rating,
        would_recommend=data.would_recommend,
        comment=comment,
        submitted_at=clock.now(),
    )
    session.add(evaluation)
    await session.flush()
    await audit.record(
        session,
        viewer,
        entity_type="Registration",
        entity_id=registration.id,
        action="evaluation.submit",
        actor_role=Role.BENEFICIARY.value,
        data={"rating": data.rating, "wouldRecommend": data.would_recommend},
    )
    return registration


def can_read_evaluation(viewer: Viewer, registration: Registration, provider_structure_id: int) -> bool:
    """Registration.evaluation: the participant, the session's provider, managers (not the employer: what a
    person thought of a training is his own, Qualiopi asks the provider to collect it)."""
    if viewer.account_id is None:
        return False
    return (
        viewer.account_id == registration.beneficiary_id
        or viewer.is_manager
        or acts_for_provider(viewer, provider_structure_id)
    )


def can_read_summary(viewer: Viewer, provider_structure_id: int) -> bool:
    """TrainingSession.evaluationSummary: its provider and managers."""
    return viewer.is_manager or acts_for_provider(viewer, provider_structure_id)
