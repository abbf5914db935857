"""Lists read the columns their answers need: never an account's password hash, nor the search columns
that repeat a training's texts (issue 19). Only login reads the hash."""

from __future__ import annotations

from registration_ops import MOTIVATION, REQUEST, payload
from world import World, training_session

from parcourspro_gql.models import Role

READS = [
    """{ employerOverview { registrations(first: 10) { edges { node { status
         beneficiary { id email firstName lastName roles } employerDecision { by { lastName } }
         session { startsAt training { title description objectives provider { name } } } } } } } }""",
    """{ me { id email firstName roles structure { name accounts(first: 10) { edges { node { email } } } }
         registrations(first: 10) { edges { node { status session { training { title } } } } } } }""",
    """{ trainings(first: 10) { edges { node { title description sessions(first: 2) { edges { node { id } } } } } }
       structures(first: 10) { edges { node { name siret } } } }""",
]


async def test_lists_never_read_password_hashes_nor_search_texts(world: World, statements):
    provider = await world.structure("Institut de Formation")
    org = await world.structure("Mission Locale")
    employer = await world.person(org, Role.EMPLOYER, Role.REFERENT)
    seats = await training_session(world, provider)
    person = await world.person(org)
    payload(await world.as_(person, REQUEST, {"session": seats.session_id, "motivation": MOTIVATION}))
    statements.reset()
    for query in READS:
        body = await world.as_(employer, query)
        assert "errors" not in body, body
    assert statements.count > 0
    for statement in statements.statements:
        assert "password_hash" not in statement, statement
        assert "search_text" not in statement.split("WHERE")[0], statement
