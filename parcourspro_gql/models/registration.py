"""Registrations: a person's request for a session, and every decision taken on it."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from parcourspro_gql.db import Base, UTCDateTime
from parcourspro_gql.models._types import enum_column


class RegistrationStatus(enum.Enum):
    PENDING_EMPLOYER = "PENDING_EMPLOYER"
    REFUSED_BY_EMPLOYER = "REFUSED_BY_EMPLOYER"
    PENDING_PROVIDER = "PENDING_PROVIDER"
    WAITLISTED = "WAITLISTED"
    ACCEPTED = "ACCEPTED"
    REJECTED_BY_PROVIDER = "REJECTED_BY_PROVIDER"
    CANCELLED = "CANCELLED"
    ATTENDED = "ATTENDED"
    ABSENT = "ABSENT"
    # G7', G9: closed without an answer (an offer's deadline passed, or still undecided at the start).
    EXPIRED = "EXPIRED"


DEAD_STATUSES = frozenset(
    {
        RegistrationStatus.REFUSED_BY_EMPLOYER,
        RegistrationStatus.REJECTED_BY_PROVIDER,
        RegistrationStatus.CANCELLED,
        RegistrationStatus.EXPIRED,
    }
)
LIVE_STATUSES = frozenset(set(RegistrationStatus) - DEAD_STATUSES)
# Accepted onto the session, before or after it ran: its participants (convocations, attendance, documents).
PARTICIPANT_STATUSES = frozenset(
    {RegistrationStatus.ACCEPTED, RegistrationStatus.ATTENDED, RegistrationStatus.ABSENT}
)
_LIVE_SQL = text("status NOT IN ('REFUSED_BY_EMPLOYER', 'REJECTED_BY_PROVIDER', 'CANCELLED', 'EXPIRED')")


class Registration(Base):
    __tablename__ = "registrations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    beneficiary_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    session_id: Mapped[int] = mapped_column(ForeignKey("training_sessions.id"))
    # Denormalised from the session and the beneficiary at request time: the rules (G2, G4) and the
    # employer's and provider's lists filter on them without joins.
    training_id: Mapped[int] = mapped_column(ForeignKey("trainings.id"))
    structure_id: Mapped[int] = mapped_column(ForeignKey("structures.id"))
    motivation: Mapped[str] = mapped_column(Text)
    status: Mapped[RegistrationStatus] = mapped_column(enum_column(RegistrationStatus))
    over_structure_cap: Mapped[bool] = mapped_column(default=False)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    employer_decision_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    employer_decision_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    employer_decision_comment: Mapped[str | None] = mapped_column(Text)
    provider_decision_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    provider_decision_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    provider_decision_comment: Mapped[str | None] = mapped_column(Text)
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancellation_reason: Mapped[str | None] = mapped_column(Text)
    half_days_attended: Mapped[int | None] = mapped_column(Integer)
    attendance_rate: Mapped[float | None] = mapped_column(Float)
    convocation_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # G7': when a seat was offered (set once: nobody is offered a seat twice) and until when it is held. The
    # held seat is counted in the session's seats_taken from the offer until the answer or the deadline.
    offered_seat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    offer_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    source: Mapped[str] = mapped_column(String(20), default="platform")

    __table_args__ = (
        # At most one live registration per person and session, and (G2) per person and training.
        Index(
            "uq_registrations_live_session",
            "beneficiary_id",
            "session_id",
            unique=True,
            sqlite_where=_LIVE_SQL,
            postgresql_where=_LIVE_SQL,
        ),
        Index(
            "uq_registrations_live_training",
            "beneficiary_id",
            "training_id",
            unique=True,
            sqlite_where=_LIVE_SQL,
            postgresql_where=_LIVE_SQL,
        ),
        # Every list of registrations is a keyset page in (requested_at, id) order under one owner (a
        # structure, a session, a person), with or without a status: each index below makes such a page an
        # index range scan that stops after `first + 1` rows, whatever the plan (custom or generic) and
        # however many registrations the owner has (issue 19: EXPLAIN at a million registrations).
        Index("ix_registrations_structure_requested", "structure_id", "requested_at", "id"),
        Index("ix_registrations_structure_status_requested", "structure_id", "status", "requested_at", "id"),
        Index("ix_registrations_session_requested", "session_id", "requested_at", "id"),
        Index("ix_registrations_session_status_requested", "session_id", "status", "requested_at", "id"),
        Index("ix_registrations_beneficiary_requested", "beneficiary_id", "requested_at", "id"),
        CheckConstraint(
            "attendance_rate IS NULL OR (attendance_rate >= 0 AND attendance_rate <= 1)", name="rate_range"
        ),
    )


class RegistrationCount(Base):
    """How many registrations of a structure are in a status, employer-decided or not: the employer
    overview's counts and its lists' `totalCount` read a handful of these rows instead of counting the
    structure's whole history. Kept by database triggers on `registrations` (migration 0011), so that every
    writer (the domain, the scheduler, purges, bulk loads) keeps it right in the same transaction."""

    __tablename__ = "registration_counts"

    structure_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(32), primary_key=True)
    employer_decided: Mapped[bool] = mapped_column(primary_key=True)
    n: Mapped[int] = mapped_column(Integer)
