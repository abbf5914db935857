"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-28 18:21:14.853883
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import parcourspro_gql.db

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", parcourspro_gql.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("template", sa.String(length=60), nullable=False),
        sa.Column("to_address", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=True),
        sa.Column("dedup_key", sa.String(length=120), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "PENDING",
                "SENT",
                "FAILED",
                name="outboxstatus",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", parcourspro_gql.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", parcourspro_gql.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("sent_at", parcourspro_gql.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_messages")),
        sa.UniqueConstraint("dedup_key", name=op.f("uq_outbox_messages_dedup_key")),
    )
    op.create_index("ix_outbox_messages_due", "outbox_messages", ["status", "next_attempt_at"], unique=False)
    op.create_table(
        "structures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("siret", sa.String(length=14), nullable=False),
        sa.Column("ape_code", sa.String(length=6), nullable=False),
        sa.Column("street", sa.String(length=200), nullable=False),
        sa.Column("postal_code", sa.String(length=10), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "PENDING",
                "VALIDATED",
                "REJECTED",
                name="structurestatus",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("search_text", sa.String(length=400), nullable=False),
        sa.Column("requested_at", parcourspro_gql.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", parcourspro_gql.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("rejection_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_structures")),
    )
    op.create_index(op.f("ix_structures_status"), "structures", ["status"], unique=False)
    op.create_index(
        "ix_structures_status_requested_at", "structures", ["status", "requested_at"], unique=False
    )
    op.create_index(
        "uq_structures_siret_live",
        "structures",
        ["siret"],
        unique=True,
        sqlite_where=sa.text("status != 'REJECTED'"),
        postgresql_where=sa.text("status != 'REJECTED'"),
    )
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("email_normalized", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("email_verified_at", parcourspro_gql.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("structure_id", sa.Integer(), nullable=True),
        sa.Column(
            "affiliation_status",
            sa.Enum(
                "NONE",
                "PENDING",
                "ACTIVE",
                "REFUSED",
                name="affiliationstatus",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("affiliation_requested_at", parcourspro_gql.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("affiliation_decided_at", parcourspro_gql.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("affiliation_refusal_reason", sa.String(length=2000), nullable=True),
        sa.Column("created_at", parcourspro_gql.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("disabled_at", parcourspro_gql.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("tokens_valid_after", parcourspro_gql.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["structure_id"], ["structures.id"], name=op.f("fk_accounts_structure_id_structures")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("email_normalized", name=op.f("uq_accounts_email_normalized")),
    )
    op.create_index(
        "ix_accounts_affiliation_pending",
        "accounts",
        ["affiliation_status", "affiliation_requested_at"],
        unique=False,
    )
    op.create_index(op.f("ix_accounts_structure_id"), "accounts", ["structure_id"], unique=False)
    # structures <-> accounts reference each other: the structure side is added once both tables exist.
    with op.batch_alter_table("structures") as batch_op:
        batch_op.create_foreign_key(
            op.f("fk_structures_decided_by_id_accounts"),
            "accounts",
            ["decided_by_id"],
            ["id"],
            use_alter=True,
        )
        batch_op.create_foreign_key(
            op.f("fk_structures_requested_by_id_accounts"),
            "accounts",
            ["requested_by_id"],
            ["id"],
            use_alter=True,
        )
    op.create_table(
        "outbox_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["outbox_messages.id"],
            name=op.f("fk_outbox_attachments_message_id_outbox_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_attachments")),
    )
    op.create_index(
        op.f("ix_outbox_attachments_message_id"), "outbox_attachments", ["message_id"], unique=False
    )
    op.create_table(
        "account_roles",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "BENEFICIARY",
                "EMPLOYER",
                "REFERENT",
                "PROVIDER",
                "MANAGER",
                name="role",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("granted_at", parcourspro_gql.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("granted_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("role != 'BENEFICIARY'", name=op.f("ck_account_roles_not_beneficiary")),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_account_roles_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["granted_by_id"], ["accounts.id"], name=op.f("fk_account_roles_granted_by_id_accounts")
        ),
        sa.PrimaryKeyConstraint("account_id", "role", name=op.f("pk_account_roles")),
    )
    op.create_table(
        "audit_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", parcourspro_gql.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_role", sa.String(length=32), nullable=True),
        sa.Column("entity_type", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("from_state", sa.String(length=40), nullable=True),
        sa.Column("to_state", sa.String(length=40), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["accounts.id"], name=op.f("fk_audit_entries_actor_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entries")),
    )
    op.create_index(
        "ix_audit_entries_entity", "audit_entries", ["entity_type", "entity_id", "at"], unique=False
    )
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", parcourspro_gql.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("email_normalized", sa.String(length=254), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("client_address", sa.String(length=64), nullable=False),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_login_attempts_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempts")),
    )
    op.create_index("ix_login_attempts_address_at", "login_attempts", ["client_address", "at"], unique=False)
    op.create_index("ix_login_attempts_email_at", "login_attempts", ["email_normalized", "at"], unique=False)
    op.create_table(
        "memberships",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("structure_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("granted_at", parcourspro_gql.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("granted_by_id", sa.Integer(), nullable=True),
        sa.Column("revoked_at", parcourspro_gql.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.Column("revocation_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["granted_by_id"], ["accounts.id"], name=op.f("fk_memberships_granted_by_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_id"], ["accounts.id"], name=op.f("fk_memberships_revoked_by_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["structure_id"],
            ["structures.id"],
            name=op.f("fk_memberships_structure_id_structures"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memberships")),
        sa.UniqueConstraint("structure_id", "year", name=op.f("uq_memberships_structure_id")),
    )
    op.create_table(
        "one_time_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column(
            "purpose",
            sa.Enum(
                "VERIFY_EMAIL",
                "RESET_PASSWORD",
                name="tokenpurpose",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", parcourspro_gql.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", parcourspro_gql.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", parcourspro_gql.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_one_time_tokens_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_one_time_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_one_time_tokens_token_hash")),
    )
    op.create_index(op.f("ix_one_time_tokens_account_id"), "one_time_tokens", ["account_id"], unique=False)
    op.create_table(
        "refresh_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("family_id", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", parcourspro_gql.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", parcourspro_gql.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("rotated_at", parcourspro_gql.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", parcourspro_gql.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_refresh_tokens_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refresh_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_refresh_tokens_token_hash")),
    )
    op.create_index(op.f("ix_refresh_tokens_account_id"), "refresh_tokens", ["account_id"], unique=False)
    op.create_index(op.f("ix_refresh_tokens_family_id"), "refresh_tokens", ["family_id"], unique=False)
    op.create_table(
        "trainings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("objectives", sa.Text(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("assessment", sa.Text(), nullable=False),
        sa.Column(
            "format",
            sa.Enum(
                "FORMATION",
                "AUTOFORMATION",
                "LAB_INNOV",
                "WEBINAR",
                name="trainingformat",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("reserved_to_members", sa.Boolean(), nullable=False),
        sa.Column("duration_hours", sa.Float(), nullable=False),
        sa.Column("provider_structure_id", sa.Integer(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("created_at", parcourspro_gql.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("duration_hours > 0", name=op.f("ck_trainings_duration_positive")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["accounts.id"], name=op.f("fk_trainings_created_by_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["provider_structure_id"],
            ["structures.id"],
            name=op.f("fk_trainings_provider_structure_id_structures"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trainings")),
    )
    op.create_index(op.f("ix_trainings_format"), "trainings", ["format"], unique=False)
    op.create_index(
        op.f("ix_trainings_provider_structure_id"), "trainings", ["provider_structure_id"], unique=False
    )
    op.create_table(
        "training_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("training_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", parcourspro_gql.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", parcourspro_gql.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("location", sa.String(length=300), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("seats_taken", sa.Integer(), nullable=False),
        sa.Column("registration_opens_at", parcourspro_gql.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("registration_closes_at", parcourspro_gql.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("second_phase_at", parcourspro_gql.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("half_days", sa.Integer(), nullable=True),
        sa.Column("contact", sa.String(length=300), nullable=False),
        sa.Column("created_at", parcourspro_gql.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("convocations_sent_at", parcourspro_gql.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attendance_recorded_at", parcourspro_gql.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("capacity > 0", name=op.f("ck_training_sessions_capacity_positive")),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_training_sessions_ends_after_start")),
        sa.CheckConstraint(
            "half_days IS NULL OR half_days > 0", name=op.f("ck_training_sessions_half_days_positive")
        ),
        sa.CheckConstraint(
            "registration_closes_at > registration_opens_at", name=op.f("ck_training_sessions_window_ordered")
        ),
        sa.CheckConstraint(
            "seats_taken >= 0 AND seats_taken <= capacity",
            name=op.f("ck_training_sessions_seats_within_capacity"),
        ),
        sa.ForeignKeyConstraint(
            ["training_id"], ["trainings.id"], name=op.f("fk_training_sessions_training_id_trainings")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_sessions")),
    )
    op.create_index(
        op.f("ix_training_sessions_training_id"), "training_sessions", ["training_id"], unique=False
    )
    op.create_table(
        "registrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("beneficiary_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("training_id", sa.Integer(), nullable=False),
        sa.Column("structure_id", sa.Integer(), nullable=False),
        sa.Column("motivation", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "PENDING_EMPLOYER",
                "REFUSED_BY_EMPLOYER",
                "PENDING_PROVIDER",
                "WAITLISTED",
                "ACCEPTED",
                "REJECTED_BY_PROVIDER",
                "CANCELLED",
                "ATTENDED",
                "ABSENT",
                name="registrationstatus",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("over_structure_cap", sa.Boolean(), nullable=False),
        sa.Column("requested_at", parcourspro_gql.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", parcourspro_gql.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("employer_decision_by_id", sa.Integer(), nullable=True),
        sa.Column("employer_decision_at", parcourspro_gql.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("employer_decision_comment", sa.Text(), nullable=True),
        sa.Column("provider_decision_by_id", sa.Integer(), nullable=True),
        sa.Column("provider_decision_at", parcourspro_gql.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("provider_decision_comment", sa.Text(), nullable=True),
        sa.Column("cancelled_by_id", sa.Integer(), nullable=True),
        sa.Column("cancelled_at", parcourspro_gql.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancellation_reason", sa.Text(), nullable=True),
        sa.Column("half_days_attended", sa.Integer(), nullable=True),
        sa.Column("attendance_rate", sa.Float(), nullable=True),
        sa.Column("convocation_sent_at", parcourspro_gql.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("offered_seat_at", parcourspro_gql.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.CheckConstraint(
            "attendance_rate IS NULL OR (attendance_rate >= 0 AND attendance_rate <= 1)",
            name=op.f("ck_registrations_rate_range"),
        ),
        sa.ForeignKeyConstraint(
            ["beneficiary_id"], ["accounts.id"], name=op.f("fk_registrations_beneficiary_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["cancelled_by_id"], ["accounts.id"], name=op.f("fk_registrations_cancelled_by_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["employer_decision_by_id"],
            ["accounts.id"],
            name=op.f("fk_registrations_employer_decision_by_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["provider_decision_by_id"],
            ["accounts.id"],
            name=op.f("fk_registrations_provider_decision_by_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["training_sessions.id"],
            name=op.f("fk_registrations_session_id_training_sessions"),
        ),
        sa.ForeignKeyConstraint(
            ["structure_id"], ["structures.id"], name=op.f("fk_registrations_structure_id_structures")
        ),
        sa.ForeignKeyConstraint(
            ["training_id"], ["trainings.id"], name=op.f("fk_registrations_training_id_trainings")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registrations")),
    )
    op.create_index(
        "ix_registrations_beneficiary_requested",
        "registrations",
        ["beneficiary_id", "requested_at"],
        unique=False,
    )
    op.create_index(
        "ix_registrations_session_status", "registrations", ["session_id", "status"], unique=False
    )
    op.create_index(
        "ix_registrations_structure_status", "registrations", ["structure_id", "status"], unique=False
    )
    op.create_index(
        "uq_registrations_live_session",
        "registrations",
        ["beneficiary_id", "session_id"],
        unique=True,
        sqlite_where=sa.text("status NOT IN ('REFUSED_BY_EMPLOYER', 'REJECTED_BY_PROVIDER', 'CANCELLED')"),
        postgresql_where=sa.text(
            "status NOT IN ('REFUSED_BY_EMPLOYER', 'REJECTED_BY_PROVIDER', 'CANCELLED')"
        ),
    )
    op.create_index(
        "uq_registrations_live_training",
        "registrations",
        ["beneficiary_id", "training_id"],
        unique=True,
        sqlite_where=sa.text("status NOT IN ('REFUSED_BY_EMPLOYER', 'REJECTED_BY_PROVIDER', 'CANCELLED')"),
        postgresql_where=sa.text(
            "status NOT IN ('REFUSED_BY_EMPLOYER', 'REJECTED_BY_PROVIDER', 'CANCELLED')"
        ),
    )


def downgrade() -> None:
    with op.batch_alter_table("structures") as batch_op:
        batch_op.drop_constraint(op.f("fk_structures_requested_by_id_accounts"), type_="foreignkey")
        batch_op.drop_constraint(op.f("fk_structures_decided_by_id_accounts"), type_="foreignkey")
    op.drop_index(
        "uq_registrations_live_training",
        table_name="registrations",
        sqlite_where=sa.text("status NOT IN ('REFUSED_BY_EMPLOYER', 'REJECTED_BY_PROVIDER', 'CANCELLED')"),
        postgresql_where=sa.text(
            "status NOT IN ('REFUSED_BY_EMPLOYER', 'REJECTED_BY_PROVIDER', 'CANCELLED')"
        ),
    )
    op.drop_index(
        "uq_registrations_live_session",
        table_name="registrations",
        sqlite_where=sa.text("status NOT IN ('REFUSED_BY_EMPLOYER', 'REJECTED_BY_PROVIDER', 'CANCELLED')"),
        postgresql_where=sa.text(
            "status NOT IN ('REFUSED_BY_EMPLOYER', 'REJECTED_BY_PROVIDER', 'CANCELLED')"
        ),
    )
    op.drop_index("ix_registrations_structure_status", table_name="registrations")
    op.drop_index("ix_registrations_session_status", table_name="registrations")
    op.drop_index("ix_registrations_beneficiary_requested", table_name="registrations")
    op.drop_table("registrations")
    op.drop_index(op.f("ix_training_sessions_training_id"), table_name="training_sessions")
    op.drop_table("training_sessions")
    op.drop_index(op.f("ix_trainings_provider_structure_id"), table_name="trainings")
    op.drop_index(op.f("ix_trainings_format"), table_name="trainings")
    op.drop_table("trainings")
    op.drop_index(op.f("ix_refresh_tokens_family_id"), table_name="refresh_tokens")
    op.drop_index(op.f("ix_refresh_tokens_account_id"), table_name="refresh_tokens")
    op.drop_table("refresh_tokens")
    op.drop_index(op.f("ix_one_time_tokens_account_id"), table_name="one_time_tokens")
    op.drop_table("one_time_tokens")
    op.drop_table("memberships")
    op.drop_index("ix_login_attempts_email_at", table_name="login_attempts")
    op.drop_index("ix_login_attempts_address_at", table_name="login_attempts")
    op.drop_table("login_attempts")
    op.drop_index("ix_audit_entries_entity", table_name="audit_entries")
    op.drop_table("audit_entries")
    op.drop_table("account_roles")
    op.drop_index(op.f("ix_outbox_attachments_message_id"), table_name="outbox_attachments")
    op.drop_table("outbox_attachments")
    op.drop_index(op.f("ix_accounts_structure_id"), table_name="accounts")
    op.drop_index("ix_accounts_affiliation_pending", table_name="accounts")
    op.drop_table("accounts")
    op.drop_index(
        "uq_structures_siret_live",
        table_name="structures",
        sqlite_where=sa.text("status != 'REJECTED'"),
        postgresql_where=sa.text("status != 'REJECTED'"),
    )
    op.drop_index("ix_structures_status_requested_at", table_name="structures")
    op.drop_index(op.f("ix_structures_status"), table_name="structures")
    op.drop_table("structures")
    op.drop_index("ix_outbox_messages_due", table_name="outbox_messages")
    op.drop_table("outbox_messages")
