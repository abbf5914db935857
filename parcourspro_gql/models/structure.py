"""Structures (organisations) and their yearly Cap Métiers membership."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from parcourspro_gql.db import Base, UTCDateTime
from parcourspro_gql.models._types import enum_column


class StructureStatus(enum.Enum):
    PENDING = "PENDING"
    VALIDATED = "VALIDATED"
    REJECTED = "REJECTED"


class Structure(Base):
    __tablename__ = "structures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    siret: Mapped[str] = mapped_column(String(14))
    ape_code: Mapped[str] = mapped_column(String(6))
    street: Mapped[str] = mapped_column(String(200))
    postal_code: Mapped[str] = mapped_column(String(10))
    city: Mapped[str] = mapped_column(String(100))
    status: Mapped[StructureStatus] = mapped_column(enum_column(StructureStatus), index=True)
    # name + SIRET + city, lower-cased and without accents: what the public picker searches.
    # Deferred: only searched (and written with the terms), never read back by lists.
    search_text: Mapped[str] = mapped_column(String(400), deferred=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", use_alter=True))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", use_alter=True))
    rejection_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        # S1: one live structure per SIRET; a rejected request does not block a new one.
        Index(
            "uq_structures_siret_live",
            "siret",
            unique=True,
            sqlite_where=text("status != 'REJECTED'"),
            postgresql_where=text("status != 'REJECTED'"),
        ),
        Index("ix_structures_status_requested_at", "status", "requested_at"),
        # The picker's order (name, id) among validated structures: a page is an index range, not a sort.
        Index("ix_structures_status_name", "status", "name", "id"),
    )


class Membership(Base):
    __tablename__ = "memberships"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    structure_id: Mapped[int] = mapped_column(ForeignKey("structures.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    revocation_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("structure_id", "year"),)


class StructureSearchTerm(Base):
    """One word of a structure's name, SIRET or city, normalised: word-prefix search by an index range scan."""

    __tablename__ = "structure_search_terms"

    term: Mapped[str] = mapped_column(String(60), primary_key=True)
    structure_id: Mapped[int] = mapped_column(
        ForeignKey("structures.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    # The structure's name, the search's order: a page and its count are read from this table's index alone,
    # whatever the number of matches, and only the page's structures are fetched (issue 19, migration 0014).
    name: Mapped[str] = mapped_column(String(200), server_default="")

    __table_args__ = (Index("ix_structure_search_terms_term_name", "term", "name", "structure_id"),)


class StructureSearchTermCount(Base):
    """How many structures, of any status, carry each search term (maintained by `index_terms`): the distinct
    terms of a prefix without reading their structures, and the estimate of a search's count above what is
    counted exactly (issue 19, migration 0015)."""

    __tablename__ = "structure_search_term_counts"

    term: Mapped[str] = mapped_column(String(60), primary_key=True)
    structures: Mapped[int] = mapped_column(Integer)


class StructureChange(Base):
    """A referent's proposal to change his structure's name, address or APE code (never its SIRET); a
    manager approves or rejects it. Fields left None are unchanged."""

    __tablename__ = "structure_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    structure_id: Mapped[int] = mapped_column(ForeignKey("structures.id", ondelete="CASCADE"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    name: Mapped[str | None] = mapped_column(String(200))
    ape_code: Mapped[str | None] = mapped_column(String(6))
    street: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str | None] = mapped_column(String(10))
    city: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[StructureStatus] = mapped_column(enum_column(StructureStatus))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rejection_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        # One open proposal per structure: a new one replaces nothing silently.
        Index(
            "uq_structure_changes_pending",
            "structure_id",
            unique=True,
            sqlite_where=text("status = 'PENDING'"),
            postgresql_where=text("status = 'PENDING'"),
        ),
    )
