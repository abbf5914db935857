"""gdpr: anonymised accounts and archived documents

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 04:19:47.539249
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import parcourspro_gql.db

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "archived_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=120), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("archived_at", parcourspro_gql.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["training_sessions.id"],
            name=op.f("fk_archived_documents_session_id_training_sessions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_archived_documents")),
        sa.UniqueConstraint("ref", name=op.f("uq_archived_documents_ref")),
    )
    op.create_index(
        op.f("ix_archived_documents_archived_at"), "archived_documents", ["archived_at"], unique=False
    )
    op.create_index(
        op.f("ix_archived_documents_session_id"), "archived_documents", ["session_id"], unique=False
    )
    op.add_column(
        "accounts", sa.Column("anonymised_at", parcourspro_gql.db.UTCDateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("accounts", "anonymised_at")
    op.drop_index(op.f("ix_archived_documents_session_id"), table_name="archived_documents")
    op.drop_index(op.f("ix_archived_documents_archived_at"), table_name="archived_documents")
    op.drop_table("archived_documents")
