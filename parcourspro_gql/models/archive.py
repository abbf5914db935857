"""Documents frozen when a person's identity is erased: the legal evidence that still names him."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from parcourspro_gql.db import Base, UTCDateTime


class ArchivedDocument(Base):
    __tablename__ = "archived_documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The document's reference token (kind, session, registration or structure): what its URL names.
    ref: Mapped[str] = mapped_column(String(120), unique=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("training_sessions.id"), index=True)
    file_name: Mapped[str] = mapped_column(String(200))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    archived_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
