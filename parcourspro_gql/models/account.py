"""Accounts (email is the login) and the roles granted on top of BENEFICIARY."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from parcourspro_gql.db import Base, UTCDateTime
from parcourspro_gql.models._types import enum_column


class Role(enum.Enum):
    BENEFICIARY = "BENEFICIARY"
    EMPLOYER = "EMPLOYER"
    REFERENT = "REFERENT"
    PROVIDER = "PROVIDER"
    MANAGER = "MANAGER"


class AffiliationStatus(enum.Enum):
    NONE = "NONE"
    PENDING = "PENDING"
    ACTIVE = "ACTIVE"
    REFUSED = "REFUSED"


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    # A1: trimmed and case-folded; the unique key of the login.
    email_normalized: Mapped[str] = mapped_column(String(254), unique=True)
    # Deferred: read by login alone (undefer), never by the lists and loaders that select accounts.
    password_hash: Mapped[str] = mapped_column(String(256), deferred=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    structure_id: Mapped[int | None] = mapped_column(ForeignKey("structures.id"), index=True)
    affiliation_status: Mapped[AffiliationStatus] = mapped_column(enum_column(AffiliationStatus))
    affiliation_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    affiliation_decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    affiliation_refusal_reason: Mapped[str | None] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Access tokens issued before this moment are refused (logout, password reset, disabling).
    tokens_valid_after: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # GDPR erasure: the identity is gone; the account row stays as the anchor of the legal evidence.
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_accounts_affiliation_pending", "affiliation_status", "affiliation_requested_at"),
    )


class AccountRole(Base):
    """A role beyond BENEFICIARY, which every account holds implicitly."""

    __tablename__ = "account_roles"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[Role] = mapped_column(enum_column(Role), primary_key=True)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))

    __table_args__ = (CheckConstraint("role != 'BENEFICIARY'", name="not_beneficiary"),)
