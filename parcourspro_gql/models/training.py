"""Trainings (the catalogue) and their dated sessions."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, validates

from parcourspro_gql.db import Base, UTCDateTime
from parcourspro_gql.models._types import enum_column, normalize_search


class TrainingFormat(enum.Enum):
    FORMATION = "FORMATION"
    AUTOFORMATION = "AUTOFORMATION"
    LAB_INNOV = "LAB_INNOV"
    WEBINAR = "WEBINAR"


class Training(Base):
    __tablename__ = "trainings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    objectives: Mapped[str] = mapped_column(Text)
    # D1: what the convention says of the content and of how the action runs and is assessed.
    content: Mapped[str] = mapped_column(Text, default="")
    assessment: Mapped[str] = mapped_column(Text, default="")
    format: Mapped[TrainingFormat] = mapped_column(enum_column(TrainingFormat), index=True)
    reserved_to_members: Mapped[bool] = mapped_column(Boolean)
    duration_hours: Mapped[float] = mapped_column(Float)
    provider_structure_id: Mapped[int] = mapped_column(ForeignKey("structures.id"), index=True)
    # Deferred: only searched, never read back (it repeats title, description and objectives: half the row).
    search_text: Mapped[str] = mapped_column(Text, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))

    __table_args__ = (
        CheckConstraint("duration_hours > 0", name="duration_positive"),
        # The catalogue's order: a page without search is an index range scan, not a sort of every training.
        Index("ix_trainings_title", "title", "id"),
        # The catalogue's search is `search_text LIKE '%word%'` per word: on PostgreSQL a trigram GIN index
        # answers it without reading every training (pg_trgm). SQLite has no such index type; there it is a
        # plain index, which its planner leaves alone for LIKE '%...%' (the catalogue is small there).
        Index(
            "ix_trainings_search_text_trgm",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        ),
    )


class TrainingSession(Base):
    __tablename__ = "training_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    training_id: Mapped[int] = mapped_column(ForeignKey("trainings.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    location: Mapped[str] = mapped_column(String(300))
    # The location lower-cased and without accents: Query.sessions' `city` filter compares it.
    location_search: Mapped[str] = mapped_column(String(300), default="")
    capacity: Mapped[int] = mapped_column(Integer)
    # Accepted registrations. The CHECK makes over-selling impossible whatever the code does: selection is
    # `UPDATE ... SET seats_taken = seats_taken + 1 WHERE seats_taken < capacity`, atomic on both databases.
    seats_taken: Mapped[int] = mapped_column(Integer, default=0)
    registration_opens_at: Mapped[datetime] = mapped_column(UTCDateTime())
    registration_closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # G5: staggered opening; before this moment a person may hold one request among phase-one sessions.
    second_phase_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    half_days: Mapped[int | None] = mapped_column(Integer)
    contact: Mapped[str] = mapped_column(String(300), default="")
    # T5: below this many accepted participants a week before the start, the provider and managers are warned.
    min_participants: Mapped[int | None] = mapped_column(Integer)
    # T4: a cancelled session keeps its row (registrations, audit and documents point at it).
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancellation_reason: Mapped[str | None] = mapped_column(Text)
    # T3: how many times its dates or place changed; the calendar invitations' SEQUENCE (RFC 5545) and the key
    # that lets a convocation be sent again once per change.
    revision: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    convocations_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attendance_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @validates("location")
    def _index_location(self, _key: str, value: str) -> str:
        # Wherever a location is set (creation, change, seed, tests), its search form follows.
        self.location_search = normalize_search(value)
        return value

    __table_args__ = (
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint("seats_taken >= 0 AND seats_taken <= capacity", name="seats_within_capacity"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("registration_closes_at > registration_opens_at", name="window_ordered"),
        CheckConstraint("half_days IS NULL OR half_days > 0", name="half_days_positive"),
        CheckConstraint("min_participants IS NULL OR min_participants > 0", name="min_participants_positive"),
        # The session catalogue's order (soonest first) and its "not started yet" bound.
        Index("ix_training_sessions_starts_at_id", "starts_at", "id"),
    )


class Favourite(Base):
    """A training an account keeps an eye on."""

    __tablename__ = "favourites"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    training_id: Mapped[int] = mapped_column(ForeignKey("trainings.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
