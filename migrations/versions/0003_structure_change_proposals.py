"""structure change proposals

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 19:22:50.579287
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import parcourspro_gql.db

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "structure_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("structure_id", sa.Integer(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("requested_at", parcourspro_gql.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("ape_code", sa.String(length=6), nullable=True),
        sa.Column("street", sa.String(length=200), nullable=True),
        sa.Column("postal_code", sa.String(length=10), nullable=True),
        sa.Column("city", sa.String(length=100), nullable=True),
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
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", parcourspro_gql.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("rejection_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["accounts.id"], name=op.f("fk_structure_changes_decided_by_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["accounts.id"], name=op.f("fk_structure_changes_requested_by_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["structure_id"],
            ["structures.id"],
            name=op.f("fk_structure_changes_structure_id_structures"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_structure_changes")),
    )
    op.create_index(
        op.f("ix_structure_changes_structure_id"), "structure_changes", ["structure_id"], unique=False
    )
    op.create_index(
        "uq_structure_changes_pending",
        "structure_changes",
        ["structure_id"],
        unique=True,
        sqlite_where=sa.text("status = 'PENDING'"),
        postgresql_where=sa.text("status = 'PENDING'"),
    )


def downgrade() -> None:
    op.drop_index(
        "uq_structure_changes_pending",
        table_name="structure_changes",
        sqlite_where=sa.text("status = 'PENDING'"),
        postgresql_where=sa.text("status = 'PENDING'"),
    )
    op.drop_index(op.f("ix_structure_changes_structure_id"), table_name="structure_changes")
    op.drop_table("structure_changes")
