"""structure_search_terms carry the structure's name

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 14:10:00.000000

The public structure search orders its matches by name: with the name beside each term, a page and its count
are read from the index (term, name, structure_id) alone, and only the page's structures are fetched, instead
of fetching every match by primary key (2,000 for "pessac" among 20,000 structures; issue 19).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("structure_search_terms") as batch:
        batch.add_column(sa.Column("name", sa.String(200), server_default="", nullable=False))
    op.execute(
        "UPDATE structure_search_terms SET name = "
        "(SELECT structures.name FROM structures WHERE structures.id = structure_search_terms.structure_id)"
    )
    op.create_index(
        "ix_structure_search_terms_term_name", "structure_search_terms", ["term", "name", "structure_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_structure_search_terms_term_name", table_name="structure_search_terms")
    with op.batch_alter_table("structure_search_terms") as batch:
        batch.drop_column("name")
