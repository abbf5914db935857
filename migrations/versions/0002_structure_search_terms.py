"""structure search terms

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 19:17:14.367138
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "structure_search_terms",
        sa.Column("term", sa.String(length=60), nullable=False),
        sa.Column("structure_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["structure_id"],
            ["structures.id"],
            name=op.f("fk_structure_search_terms_structure_id_structures"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("term", "structure_id", name=op.f("pk_structure_search_terms")),
    )
    op.create_index(
        op.f("ix_structure_search_terms_structure_id"),
        "structure_search_terms",
        ["structure_id"],
        unique=False,
    )
    op.create_index("ix_structures_status_name", "structures", ["status", "name", "id"], unique=False)
    # Backfill from the search column (already lower-cased and accent-free); the rule is the one of
    # parcourspro_gql.models._types.search_terms at the time of writing, copied so this step never changes.
    connection = op.get_bind()
    terms = sa.table("structure_search_terms", sa.column("term"), sa.column("structure_id"))
    rows = connection.execute(sa.text("SELECT id, search_text FROM structures")).all()
    batch = []
    for structure_id, text in rows:
        batch.extend(
            {"term": term, "structure_id": structure_id}
            for term in {w[:60] for w in re.findall(r"[0-9a-z]+", text)}
        )
        if len(batch) >= 5000:
            connection.execute(terms.insert(), batch)
            batch = []
    if batch:
        connection.execute(terms.insert(), batch)


def downgrade() -> None:
    op.drop_index("ix_structures_status_name", table_name="structures")
    op.drop_index(op.f("ix_structure_search_terms_structure_id"), table_name="structure_search_terms")
    op.drop_table("structure_search_terms")
