"""registration life cycle: EXPIRED, held seat offers, the scheduler's tasks

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import parcourspro_gql.db

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BEFORE = (
    "PENDING_EMPLOYER",
    "REFUSED_BY_EMPLOYER",
    "PENDING_PROVIDER",
    "WAITLISTED",
    "ACCEPTED",
    "REJECTED_BY_PROVIDER",
    "CANCELLED",
    "ATTENDED",
    "ABSENT",
)
_AFTER = (*_BEFORE, "EXPIRED")
_DEAD_BEFORE = "status NOT IN ('REFUSED_BY_EMPLOYER', 'REJECTED_BY_PROVIDER', 'CANCELLED')"
_DEAD_AFTER = "status NOT IN ('REFUSED_BY_EMPLOYER', 'REJECTED_BY_PROVIDER', 'CANCELLED', 'EXPIRED')"


def _status_check(values: tuple[str, ...]) -> str:
    return "status IN ({})".format(", ".join(f"'{value}'" for value in values))


def _live_indexes(where: str) -> None:
    for name, column in (
        ("uq_registrations_live_session", "session_id"),
        ("uq_registrations_live_training", "training_id"),
    ):
        op.drop_index(name, table_name="registrations")
        op.create_index(
            name,
            "registrations",
            ["beneficiary_id", column],
            unique=True,
            sqlite_where=sa.text(where),
            postgresql_where=sa.text(where),
        )


def _statuses(values: tuple[str, ...]) -> None:
    # The status CHECK names every value: it is dropped and made again with the new list.
    with op.batch_alter_table("registrations") as batch:
        batch.drop_constraint(op.f("ck_registrations_registrationstatus"), type_="check")
        batch.create_check_constraint(op.f("ck_registrations_registrationstatus"), _status_check(values))


def upgrade() -> None:
    _statuses(_AFTER)
    _live_indexes(_DEAD_AFTER)
    op.add_column(
        "registrations",
        sa.Column("offer_expires_at", parcourspro_gql.db.UTCDateTime(timezone=True), nullable=True),
    )
    # Before this revision an "offer" was an e-mail that held no seat: nobody holds one, everyone may get one.
    op.execute("UPDATE registrations SET offered_seat_at = NULL")
    op.create_table(
        "scheduled_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("due_at", parcourspro_gql.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("registration_id", sa.Integer(), nullable=True),
        sa.Column("created_at", parcourspro_gql.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("done_at", parcourspro_gql.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_until", parcourspro_gql.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registrations.id"],
            name=op.f("fk_scheduled_tasks_registration_id_registrations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["training_sessions.id"],
            name=op.f("fk_scheduled_tasks_session_id_training_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduled_tasks")),
        sa.UniqueConstraint("key", name=op.f("uq_scheduled_tasks_key")),
    )
    op.create_index(
        "ix_scheduled_tasks_due",
        "scheduled_tasks",
        ["due_at"],
        unique=False,
        sqlite_where=sa.text("done_at IS NULL"),
        postgresql_where=sa.text("done_at IS NULL"),
    )
    # G9 for the sessions that exist already: each closes its undecided requests when it starts.
    op.execute(
        "INSERT INTO scheduled_tasks (kind, key, due_at, session_id, created_at, attempts) "
        "SELECT 'session-start', 'session-start:' || id, starts_at, id, created_at, 0 FROM training_sessions"
    )


def downgrade() -> None:
    op.drop_index("ix_scheduled_tasks_due", table_name="scheduled_tasks")
    op.drop_table("scheduled_tasks")
    with op.batch_alter_table("registrations") as batch:
        batch.drop_column("offer_expires_at")
    # EXPIRED does not exist before this revision: such requests were closed without an answer, as cancelled.
    op.execute("UPDATE registrations SET status = 'CANCELLED' WHERE status = 'EXPIRED'")
    _live_indexes(_DEAD_BEFORE)
    _statuses(_BEFORE)
