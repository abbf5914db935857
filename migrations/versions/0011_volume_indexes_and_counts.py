"""volume: keyset indexes of every registration list, maintained counts, indexed catalogue search

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 10:00:00.000000

Chosen from EXPLAIN (ANALYZE, BUFFERS) at a million registrations (issue 19, bench/volume.py):
- each list of registrations is `WHERE owner = $1 [AND status = $2] ORDER BY requested_at, id LIMIT n`: an
  index of (owner, [status,] requested_at, id) makes every page, the 50th too, an index range scan of n rows
  with the same plan whether the statement is planned for its parameters or generically;
- `registration_counts` holds the overview's counts per structure, kept by triggers;
- the catalogue's `LIKE '%word%'` gets a trigram GIN index on PostgreSQL (pg_trgm, a trusted extension
  since PostgreSQL 13: the database owner may create it).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEYSET = {
    "ix_registrations_structure_requested": ["structure_id", "requested_at", "id"],
    "ix_registrations_structure_status_requested": ["structure_id", "status", "requested_at", "id"],
    "ix_registrations_session_requested": ["session_id", "requested_at", "id"],
    "ix_registrations_session_status_requested": ["session_id", "status", "requested_at", "id"],
}
# Replaced by a longer index with the same leading columns.
_FORMER = {
    "ix_registrations_session_status": ["session_id", "status"],
    "ix_registrations_structure_status": ["structure_id", "status"],
    "ix_registrations_beneficiary_requested": ["beneficiary_id", "requested_at"],
}

# PostgreSQL: one function for the three events. Of the two counter rows an update moves, the smaller key is
# locked first, so two transactions moving registrations in opposite directions cannot deadlock on them.
_PG_FUNCTION = """
CREATE FUNCTION registration_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_first boolean;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        old_first := (OLD.structure_id, OLD.status, OLD.employer_decision_at IS NOT NULL)
                   < (NEW.structure_id, NEW.status, NEW.employer_decision_at IS NOT NULL);
    ELSE
        old_first := true;
    END IF;
    IF TG_OP <> 'INSERT' AND old_first THEN
        UPDATE registration_counts SET n = n - 1
        WHERE structure_id = OLD.structure_id AND status = OLD.status
          AND employer_decided = (OLD.employer_decision_at IS NOT NULL);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO registration_counts (structure_id, status, employer_decided, n)
        VALUES (NEW.structure_id, NEW.status, NEW.employer_decision_at IS NOT NULL, 1)
        ON CONFLICT (structure_id, status, employer_decided) DO UPDATE SET n = registration_counts.n + 1;
    END IF;
    IF TG_OP = 'UPDATE' AND NOT old_first THEN
        UPDATE registration_counts SET n = n - 1
        WHERE structure_id = OLD.structure_id AND status = OLD.status
          AND employer_decided = (OLD.employer_decision_at IS NOT NULL);
    END IF;
    RETURN NULL;
END
$$
"""
_PG_TRIGGERS = [
    "CREATE TRIGGER registration_counts_insert_delete AFTER INSERT OR DELETE ON registrations "
    "FOR EACH ROW EXECUTE FUNCTION registration_counts_apply()",
    "CREATE TRIGGER registration_counts_update AFTER UPDATE OF structure_id, status, employer_decision_at "
    "ON registrations FOR EACH ROW WHEN (OLD.structure_id <> NEW.structure_id OR OLD.status <> NEW.status "
    "OR (OLD.employer_decision_at IS NULL) <> (NEW.employer_decision_at IS NULL)) "
    "EXECUTE FUNCTION registration_counts_apply()",
]
# SQLite: one writer at a time, so the order of the two rows does not matter.
_SQLITE_UP = """
    INSERT INTO registration_counts (structure_id, status, employer_decided, n)
    VALUES (NEW.structure_id, NEW.status, NEW.employer_decision_at IS NOT NULL, 1)
    ON CONFLICT (structure_id, status, employer_decided) DO UPDATE SET n = n + 1;"""
_SQLITE_DOWN = """
    UPDATE registration_counts SET n = n - 1
    WHERE structure_id = OLD.structure_id AND status = OLD.status
      AND employer_decided = (OLD.employer_decision_at IS NOT NULL);"""
_SQLITE_TRIGGERS = [
    f"CREATE TRIGGER registration_counts_insert AFTER INSERT ON registrations BEGIN {_SQLITE_UP} END",
    f"CREATE TRIGGER registration_counts_delete AFTER DELETE ON registrations BEGIN {_SQLITE_DOWN} END",
    "CREATE TRIGGER registration_counts_update AFTER UPDATE OF structure_id, status, employer_decision_at "
    "ON registrations FOR EACH ROW WHEN OLD.structure_id <> NEW.structure_id OR OLD.status <> NEW.status "
    "OR (OLD.employer_decision_at IS NULL) <> (NEW.employer_decision_at IS NULL) "
    f"BEGIN {_SQLITE_DOWN} {_SQLITE_UP} END",
]


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for name, columns in _KEYSET.items():
        op.create_index(name, "registrations", columns, unique=False)
    op.drop_index("ix_registrations_beneficiary_requested", table_name="registrations")
    op.create_index(
        "ix_registrations_beneficiary_requested",
        "registrations",
        ["beneficiary_id", "requested_at", "id"],
        unique=False,
    )
    op.drop_index("ix_registrations_session_status", table_name="registrations")
    op.drop_index("ix_registrations_structure_status", table_name="registrations")
    op.create_index("ix_trainings_title", "trainings", ["title", "id"], unique=False)

    op.create_table(
        "registration_counts",
        sa.Column("structure_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("employer_decided", sa.Boolean(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "structure_id", "status", "employer_decided", name=op.f("pk_registration_counts")
        ),
    )
    op.execute(
        "INSERT INTO registration_counts (structure_id, status, employer_decided, n) "
        "SELECT structure_id, status, employer_decision_at IS NOT NULL, count(*) FROM registrations "
        "GROUP BY structure_id, status, employer_decision_at IS NOT NULL"
    )
    if postgresql:
        op.execute(_PG_FUNCTION)
        for statement in _PG_TRIGGERS:
            op.execute(statement)
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.create_index(
            "ix_trainings_search_text_trgm",
            "trainings",
            ["search_text"],
            unique=False,
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        )
    else:
        for statement in _SQLITE_TRIGGERS:
            op.execute(statement)
        op.create_index("ix_trainings_search_text_trgm", "trainings", ["search_text"], unique=False)


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    op.drop_index("ix_trainings_search_text_trgm", table_name="trainings")
    op.drop_index("ix_trainings_title", table_name="trainings")
    if postgresql:
        op.execute("DROP TRIGGER registration_counts_update ON registrations")
        op.execute("DROP TRIGGER registration_counts_insert_delete ON registrations")
        op.execute("DROP FUNCTION registration_counts_apply()")
    else:
        for name in (
            "registration_counts_update",
            "registration_counts_delete",
            "registration_counts_insert",
        ):
            op.execute(f"DROP TRIGGER {name}")
    op.drop_table("registration_counts")
    op.drop_index("ix_registrations_beneficiary_requested", table_name="registrations")
    for name, columns in _FORMER.items():
        op.create_index(name, "registrations", columns, unique=False)
    for name in _KEYSET:
        op.drop_index(name, table_name="registrations")
