"""Plans that do not flip (issue 19), on PostgreSQL: every statement is planned for its own parameters.

asyncpg prepares each statement; after five executions PostgreSQL may switch a prepared statement to a
generic plan, built for an average parameter. On a skewed world (one structure with most registrations) a
generic plan of a page is priced for an average structure and may read and sort all of the big one's rows. The
application's connections set `plan_cache_mode = force_custom_plan`: a page statement executed many times on
one connection is planned each time for its parameters, and that plan is an index range scan, without a sort.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import event, text
from world import World, training_session

from parcourspro_gql.models import Role

PAGE = """query($after: String) { employerOverview { registrations(first: 20, after: $after) {
  pageInfo { endCursor } edges { node { id status beneficiary { lastName } session { training { title } } } }
} } }"""


def nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    found = [plan]
    for child in plan.get("Plans", []):
        found += nodes(child)
    return found


@pytest.fixture
def postgresql_only(db):
    if db.dialect != "postgresql":
        pytest.skip("plan caching is PostgreSQL's")


async def skewed_world(world: World):
    """One big structure (3,000 registrations) and 600 small ones (one each): an average structure has five,
    the big one six hundred times more. Then ANALYZE, as autovacuum would."""
    provider = await world.structure("Institut de Formation")
    big = await world.structure("Mission Locale Bordeaux")
    employer = await world.person(big, Role.EMPLOYER)
    seats = await training_session(world, provider)
    async with world.db.transaction() as session:
        await session.execute(
            text(
                """INSERT INTO structures (name, siret, ape_code, street, postal_code, city, status, search_text,
                       requested_at)
                   SELECT 'Petite ' || i, '9' || lpad(i::text, 13, '0'), '88.99B', 'rue', '33000', 'Pessac',
                       'VALIDATED', 'petite', now()
                   FROM generate_series(1, 600) AS i"""
            )
        )
        await session.execute(
            text(
                """INSERT INTO accounts (email, email_normalized, password_hash, first_name, last_name,
                       structure_id, affiliation_status, created_at)
                   SELECT 'skew' || i || '@example.org', 'skew' || i || '@example.org', 'unused', 'P' || i,
                       'N' || i, CASE WHEN i <= 3000 THEN CAST(:big AS integer)
                       ELSE (SELECT id FROM structures WHERE name = 'Petite ' || (i - 3000)) END,
                       'ACTIVE', now()
                   FROM generate_series(1, 3600) AS i"""
            ),
            {"big": big.pk},
        )
        await session.execute(
            text(
                """INSERT INTO registrations (beneficiary_id, session_id, training_id, structure_id, motivation,
                       status, over_structure_cap, requested_at, updated_at, source)
                   SELECT a.id, CAST(:session AS integer), CAST(:training AS integer), a.structure_id,
                       'Motivation', 'PENDING_EMPLOYER', false, now() - (a.id % 997) * interval '1 minute',
                       now(), 'platform'
                   FROM accounts AS a WHERE a.email LIKE 'skew%'"""
            ),
            {"session": seats.session_pk, "training": seats.training_pk},
        )
    async with world.db.engine.connect() as connection:
        await (await connection.execution_options(isolation_level="AUTOCOMMIT")).execute(
            text("ANALYZE structures, accounts, registrations")
        )
    return employer


async def test_pages_are_planned_for_their_parameters_whatever_the_executions(
    world: World, postgresql_only
) -> None:
    employer = await skewed_world(world)
    first = (await world.as_(employer, PAGE))["data"]["employerOverview"]["registrations"]
    # The page statement as the application sends it (page 2: with a cursor), and its parameters.
    sent: list[tuple[str, Any]] = []

    def grab(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "ORDER BY registrations.requested_at" in statement:
            sent.append((statement, parameters))

    event.listen(world.db.engine.sync_engine, "before_cursor_execute", grab)
    try:
        await world.as_(employer, PAGE, {"after": first["pageInfo"]["endCursor"]})
    finally:
        event.remove(world.db.engine.sync_engine, "before_cursor_execute", grab)
    # (The test harness may answer the query a second time, with the fast paths off: the same statement.)
    statement, parameters = sent[0]

    async with world.db.engine.connect() as connection:
        assert (await connection.exec_driver_sql("SHOW plan_cache_mode")).scalar() == "force_custom_plan"
        # Many executions of the same prepared statement on one connection: never a generic plan.
        for _ in range(8):
            assert len((await connection.exec_driver_sql(statement, parameters)).all()) == 21
        generic, custom = (
            await connection.exec_driver_sql(
                "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = $1",
                (statement,),
            )
        ).one()
        assert generic == 0, (generic, custom)
        assert custom >= 8
        # The plan for the big structure's parameters: the keyset index, stopping at 21 rows, no sort.
        explained = (
            await connection.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters)
        ).scalar()
        plan = (json.loads(explained) if isinstance(explained, str) else explained)[0]["Plan"]
        kinds = [node["Node Type"] for node in nodes(plan)]
        assert "Sort" not in kinds, kinds
        assert "Seq Scan" not in kinds, kinds
        indexes = {node.get("Index Name") for node in nodes(plan)}
        assert "ix_registrations_structure_requested" in indexes, indexes
        await connection.rollback()
