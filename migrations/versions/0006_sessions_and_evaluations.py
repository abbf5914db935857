"""sessions as providers run them (T3-T5) and evaluations (Q1)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import parcourspro_gql.db
from parcourspro_gql.models._types import normalize_search

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("training_sessions") as batch:
        batch.add_column(sa.Column("min_participants", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("location_search", sa.String(length=300), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("cancelled_at", parcourspro_gql.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("cancellation_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="0"))
        batch.create_check_constraint(
            op.f("ck_training_sessions_min_participants_positive"),
            "min_participants IS NULL OR min_participants > 0",
        )
    sessions = sa.table(
        "training_sessions",
        sa.column("id", sa.Integer),
        sa.column("location", sa.String),
        sa.column("location_search", sa.String),
    )
    connection = op.get_bind()
    for pk, location in connection.execute(sa.select(sessions.c.id, sessions.c.location)).all():
        connection.execute(
            sessions.update().where(sessions.c.id == pk).values(location_search=normalize_search(location))
        )
    op.create_index(
        "ix_training_sessions_starts_at_id", "training_sessions", ["starts_at", "id"], unique=False
    )
    op.create_table(
        "evaluations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("would_recommend", sa.Boolean(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("submitted_at", parcourspro_gql.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name=op.f("ck_evaluations_rating_range")),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registrations.id"],
            name=op.f("fk_evaluations_registration_id_registrations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"], ["training_sessions.id"], name=op.f("fk_evaluations_session_id_training_sessions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluations")),
        sa.UniqueConstraint("registration_id", name=op.f("uq_evaluations_registration_id")),
    )
    op.create_index(op.f("ix_evaluations_session_id"), "evaluations", ["session_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_evaluations_session_id"), table_name="evaluations")
    op.drop_table("evaluations")
    op.drop_index("ix_training_sessions_starts_at_id", table_name="training_sessions")
    with op.batch_alter_table("training_sessions") as batch:
        batch.drop_constraint(op.f("ck_training_sessions_min_participants_positive"), type_="check")
        batch.drop_column("revision")
        batch.drop_column("cancellation_reason")
        batch.drop_column("cancelled_at")
        batch.drop_column("min_participants")
        batch.drop_column("location_search")
