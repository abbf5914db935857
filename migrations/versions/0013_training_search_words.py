"""trainings.search_text holds each word once

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 14:00:00.000000

A searched word holds no space, so `LIKE '%word%'` finds it in a text's distinct words exactly when it finds
it in the text. Each catalogue match is rechecked against `search_text`: a shorter value, stored inline rather
than compressed, halves the search at 2,000 trainings (issue 19; see `models._types.distinct_words`).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TRAININGS = sa.table("trainings", sa.column("id", sa.Integer), sa.column("search_text", sa.Text))


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.select(_TRAININGS.c.id, _TRAININGS.c.search_text)).all()
    # The texts are normalised already (single-spaced); the same rule as distinct_words, kept here as it was.
    changed = [
        {"pk": pk, "words": words}
        for pk, text in rows
        if (words := " ".join(dict.fromkeys((text or "").split()))) != text
    ]
    if changed:
        connection.execute(
            _TRAININGS.update()
            .where(_TRAININGS.c.id == sa.bindparam("pk"))
            .values(search_text=sa.bindparam("words")),
            changed,
        )


def downgrade() -> None:
    # Nothing to undo: the distinct words answer every search as the whole text did.
    pass
