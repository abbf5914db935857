"""refresh grace window: the sealed successor pair of a rotated refresh token

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 10:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable, no default: adding it rewrites nothing, and the previous release's code ignores it.
    op.add_column("refresh_tokens", sa.Column("successor_sealed", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("refresh_tokens", "successor_sealed")
