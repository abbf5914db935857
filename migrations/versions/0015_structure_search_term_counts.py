"""structure_search_term_counts: how many structures carry each search term

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 17:00:00.000000

The public structure search walks its page term by term in name order and stops after the page (issue 19):
this table gives the distinct terms of a prefix without reading their structures, and an estimate of the
search's count above what is counted exactly. `index_terms` keeps it; here it is filled from the terms.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "structure_search_term_counts",
        sa.Column("term", sa.String(60), nullable=False),
        sa.Column("structures", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("term", name=op.f("pk_structure_search_term_counts")),
    )
    op.execute(
        "INSERT INTO structure_search_term_counts (term, structures) "
        "SELECT term, count(*) FROM structure_search_terms GROUP BY term"
    )


def downgrade() -> None:
    op.drop_table("structure_search_term_counts")
