"""The inbox: one row per thing a person must know or do (N1), written with the change that causes it."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from parcourspro_gql.db import Base, UTCDateTime
from parcourspro_gql.models._types import enum_column


class NotificationKind(enum.Enum):
    REGISTRATION_TO_DECIDE = "REGISTRATION_TO_DECIDE"
    REGISTRATION_TO_SELECT = "REGISTRATION_TO_SELECT"
    REGISTRATION_UPDATED = "REGISTRATION_UPDATED"
    SEAT_OFFERED = "SEAT_OFFERED"
    SESSION_CHANGED = "SESSION_CHANGED"
    SESSION_CANCELLED = "SESSION_CANCELLED"
    SESSION_REMINDER = "SESSION_REMINDER"
    SESSION_UNDER_MINIMUM = "SESSION_UNDER_MINIMUM"
    EVALUATION_REQUESTED = "EVALUATION_REQUESTED"
    AFFILIATION_TO_CONFIRM = "AFFILIATION_TO_CONFIRM"
    AFFILIATION_DECIDED = "AFFILIATION_DECIDED"
    STRUCTURE_TO_VALIDATE = "STRUCTURE_TO_VALIDATE"
    STRUCTURE_DECIDED = "STRUCTURE_DECIDED"
    ATTENDANCE_RECORDED = "ATTENDANCE_RECORDED"


class Notification(Base):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The owner: the only account that sees it. Erasure (GDPR) deletes an account's inbox with it.
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    kind: Mapped[NotificationKind] = mapped_column(enum_column(NotificationKind))
    message: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # What it is about, each optional: a client links the notification to its screen.
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("registrations.id", ondelete="SET NULL"))
    session_id: Mapped[int | None] = mapped_column(ForeignKey("training_sessions.id", ondelete="SET NULL"))
    structure_id: Mapped[int | None] = mapped_column(ForeignKey("structures.id", ondelete="SET NULL"))
    about_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))

    __table_args__ = (
        # The inbox page (newest first, by id) and its count; the unread count reads the partial index only.
        Index("ix_notifications_account_id", "account_id", "id"),
        Index(
            "ix_notifications_unread",
            "account_id",
            postgresql_where=text("read_at IS NULL"),
            sqlite_where=text("read_at IS NULL"),
        ),
    )
