"""notifications: the inbox (N1)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 09:50:37.098704
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import parcourspro_gql.db

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "REGISTRATION_TO_DECIDE",
                "REGISTRATION_TO_SELECT",
                "REGISTRATION_UPDATED",
                "SEAT_OFFERED",
                "SESSION_CHANGED",
                "SESSION_CANCELLED",
                "SESSION_REMINDER",
                "SESSION_UNDER_MINIMUM",
                "EVALUATION_REQUESTED",
                "AFFILIATION_TO_CONFIRM",
                "AFFILIATION_DECIDED",
                "STRUCTURE_TO_VALIDATE",
                "STRUCTURE_DECIDED",
                "ATTENDANCE_RECORDED",
                name="notificationkind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("message", sa.String(length=500), nullable=False),
        sa.Column("created_at", parcourspro_gql.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("read_at", parcourspro_gql.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("registration_id", sa.Integer(), nullable=True),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("structure_id", sa.Integer(), nullable=True),
        sa.Column("about_account_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["about_account_id"],
            ["accounts.id"],
            name=op.f("fk_notifications_about_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_notifications_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registrations.id"],
            name=op.f("fk_notifications_registration_id_registrations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["training_sessions.id"],
            name=op.f("fk_notifications_session_id_training_sessions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["structure_id"],
            ["structures.id"],
            name=op.f("fk_notifications_structure_id_structures"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    op.create_index("ix_notifications_account_id", "notifications", ["account_id", "id"], unique=False)
    op.create_index(
        "ix_notifications_unread",
        "notifications",
        ["account_id"],
        unique=False,
        postgresql_where=sa.text("read_at IS NULL"),
        sqlite_where=sa.text("read_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_notifications_unread", table_name="notifications")
    op.drop_index("ix_notifications_account_id", table_name="notifications")

    op.drop_table("notifications")
