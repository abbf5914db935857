"""Evaluations (Q1): what an attended participant thought of the session (Qualiopi indicator 30)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from parcourspro_gql.db import Base, UTCDateTime


class Evaluation(Base):
    __tablename__ = "evaluations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # One evaluation per registration: the unique constraint is what makes ALREADY_EVALUATED hold when the
    # same person submits twice at once from two devices.
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE"), unique=True
    )
    # Denormalised from the registration: the session's summary is one grouped statement without a join.
    session_id: Mapped[int] = mapped_column(ForeignKey("training_sessions.id"), index=True)
    rating: Mapped[int] = mapped_column(Integer)
    would_recommend: Mapped[bool] = mapped_column(Boolean)
    comment: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),)
