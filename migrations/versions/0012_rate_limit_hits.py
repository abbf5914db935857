"""rate limits: e-mails per recipient and sign-ups per client address (X4)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 10:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import parcourspro_gql.db

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_hits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=254), nullable=False),
        sa.Column("at", parcourspro_gql.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rate_limit_hits")),
    )
    op.create_index("ix_rate_limit_hits_kind_key_at", "rate_limit_hits", ["kind", "key", "at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_rate_limit_hits_kind_key_at", table_name="rate_limit_hits")
    op.drop_table("rate_limit_hits")
