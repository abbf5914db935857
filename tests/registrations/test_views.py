"""The beneficiary's history, the employer's overview and the provider's list: content, scope, and a number of
SQL statements that does not grow with the number of registrations."""

from __future__ import annotations

import pytest
from registration_ops import code
from world import World, training_session

from parcourspro_gql.clock import clock
from parcourspro_gql.models import Registration, RegistrationStatus, Role
from parcourspro_gql.schema.relay import to_global_id

S = RegistrationStatus
OVERVIEW = """
query($structure: ID) {
  employerOverview(structureId: $structure) {
    structure { name } pendingCount validatedCount refusedCount
    registrations(first: 100) { totalCount edges { node {
      status motivation beneficiary { firstName lastName }
      session { startsAt location training { title provider { name } } }
      employerDecision { at comment by { lastName } } documents { kind url }
    } } }
  }
}
"""
HISTORY = """
query($category: RegistrationCategory) {
  me { registrations(first: 100, category: $category) { totalCount edges { node {
    status category session { startsAt training { title format } }
  } } } }
}
"""
SESSION_LIST = """
query($id: ID!) {
  node(id: $id) { ... on TrainingSession { registrations(first: 100) { totalCount edges { node {
    status motivation beneficiary { firstName lastName email } employerDecision { by { lastName } }
    documents { kind fileName }
  } } } } }
}
"""
CYCLE = [S.PENDING_EMPLOYER, S.PENDING_PROVIDER, S.ACCEPTED, S.REFUSED_BY_EMPLOYER, S.CANCELLED, S.ATTENDED]


async def populate(world: World, count: int, *, one_person: bool = False):
    """`count` registrations of one structure over 5 trainings (one session each) of one provider; with
    `one_person`, all of one person, over as many trainings. Each call builds new structures and people."""
    provider = await world.structure("Institut de Formation")
    trainer = await world.person(provider, Role.PROVIDER)
    org = await world.structure("Mission Locale")
    employer = await world.person(org, Role.EMPLOYER)
    trainings = count if one_person else 5  # one live registration per person and training (G2)
    sessions = [
        await training_session(world, provider, title=f"Formation {i}", capacity=500)
        for i in range(trainings)
    ]
    person = await world.person(org)
    async with world.db.transaction() as session:
        for i in range(count):
            who = person if one_person else await world.person(org)
            status = CYCLE[i % len(CYCLE)]
            seats = sessions[i % len(sessions)]
            decided = status is not S.PENDING_EMPLOYER
            session.add(
                Registration(
                    beneficiary_id=who.pk,
                    session_id=seats.session_pk,
                    training_id=seats.training_pk,
                    structure_id=org.pk,
                    motivation=f"Motivation numéro {i:04d} pour cette formation",
                    status=status,
                    over_structure_cap=False,
                    requested_at=clock.now(),
                    updated_at=clock.now(),
                    employer_decision_by_id=employer.pk if decided else None,
                    employer_decision_at=clock.now() if decided else None,
                )
            )
    return provider, trainer, org, employer, person, sessions


async def test_employer_overview_counts_and_lists_his_structure(world: World):
    _, _, org, employer, _, _ = await populate(world, 12)
    overview = (await world.as_(employer, OVERVIEW))["data"]["employerOverview"]
    assert (overview["pendingCount"], overview["validatedCount"], overview["refusedCount"]) == (2, 8, 2)
    assert overview["registrations"]["totalCount"] == 12
    first = overview["registrations"]["edges"][0]["node"]
    assert first["session"]["training"]["provider"]["name"] == "Institut de Formation"
    other_employer = await world.person(await world.structure(), Role.EMPLOYER)
    assert (
        code(await world.as_(other_employer, OVERVIEW, {"structure": to_global_id("Structure", org.pk)}))
        == "FORBIDDEN"
    )
    beneficiary = await world.person(org)
    assert code(await world.as_(beneficiary, OVERVIEW)) == "FORBIDDEN"
    manager = await world.manager()
    named = await world.as_(manager, OVERVIEW, {"structure": to_global_id("Structure", org.pk)})
    assert named["data"]["employerOverview"]["pendingCount"] == 2


async def test_history_by_category(world: World):
    *_, person, _ = await populate(world, 6, one_person=True)
    for category, expected in [("REQUESTED", 3), ("FOLLOWED", 1), ("REFUSED", 1), ("CANCELLED", 1)]:
        history = (await world.as_(person, HISTORY, {"category": category}))["data"]["me"]["registrations"]
        assert history["totalCount"] == expected, category
        assert {edge["node"]["category"] for edge in history["edges"]} == {category}


async def test_history_is_seen_by_the_person_his_employers_and_managers_only(world: World):
    _, trainer, org, employer, person, _ = await populate(world, 3, one_person=True)
    query = "query($id: ID!) { node(id: $id) { ... on Account { registrations { totalCount } } } }"
    for who in (person, employer, await world.manager()):
        body = await world.as_(who, query, {"id": person.id})
        assert body["data"]["node"] == {"registrations": {"totalCount": 3}}
    # A colleague or the provider does not even see the account.
    for who in (await world.person(org), trainer):
        assert (await world.as_(who, query, {"id": person.id}))["data"]["node"] is None
    # Nor does an employer of another structure reach the history through a visible account.
    other_employer = await world.person(await world.structure(), Role.EMPLOYER)
    assert (await world.as_(other_employer, query, {"id": person.id}))["data"]["node"] is None


async def test_provider_lists_only_his_sessions(world: World):
    _, trainer, _, _, _, sessions = await populate(world, 7)
    listed = (await world.as_(trainer, SESSION_LIST, {"id": sessions[0].session_id}))["data"]["node"]
    assert listed["registrations"]["totalCount"] == 2  # the 1st and 6th of 7, spread over 5 sessions
    other = await world.person(await world.structure("Autre organisme"), Role.PROVIDER)
    assert code(await world.as_(other, SESSION_LIST, {"id": sessions[0].session_id})) == "FORBIDDEN"


@pytest.mark.parametrize("view", ["overview", "history", "provider"])
async def test_statements_do_not_grow_with_the_rows(world: World, statements, view):
    counts = []
    for size in (5, 100):
        _, trainer, _, employer, person, sessions = await populate(world, size, one_person=view == "history")
        caller, query, variables = {
            "overview": (employer, OVERVIEW, {}),
            "history": (person, HISTORY, {}),
            "provider": (trainer, SESSION_LIST, {"id": sessions[0].session_id}),
        }[view]
        statements.reset()
        body = await world.as_(caller, query, variables)
        assert "errors" not in body, body
        counts.append(statements.count)
    assert counts[0] == counts[1], counts


FRAGMENTS = """
query($structure: ID) {
  employerOverview(structureId: $structure) {
    registrations(first: 100) { edges { node { ...Row } } }
  }
}
fragment Row on Registration {
  status ... on Registration { beneficiary { ...Person } }
  session { startsAt ...Where }
  employerDecision { at by { ...Person } }
}
fragment Person on Account { firstName lastName }
fragment Where on TrainingSession { location training { title provider { name } } }
"""
INLINE = """
query($structure: ID) {
  employerOverview(structureId: $structure) {
    registrations(first: 100) { edges { node {
      status beneficiary { firstName lastName }
      session { startsAt location training { title provider { name } } }
      employerDecision { at by { firstName lastName } }
    } } }
  }
}
"""


async def test_a_page_reads_its_relations_in_its_own_statement_whatever_the_query_shape(
    world: World, statements
):
    """The fields asked through fragments are joined as those asked inline: same answer, one statement for the
    page and its relations, the caller's account coming from the cache of a query just before."""
    _, _, _, employer, _, _ = await populate(world, 12)
    assert "errors" not in await world.as_(employer, "{ me { id } }")
    answers = []
    for query in (INLINE, FRAGMENTS):
        statements.reset()
        body = await world.as_(employer, query)
        assert "errors" not in body, body
        answers.append(body["data"])
        # The overview's counts and its page; no account, no session, no training read apart.
        pages = [statement for statement in statements.statements if "LIMIT" in statement]
        assert statements.count == 2, statements.statements
        assert len(pages) == 1, statements.statements
    assert answers[0] == answers[1]
    node = answers[0]["employerOverview"]["registrations"]["edges"][0]["node"]
    assert node["session"]["training"]["provider"]["name"] == "Institut de Formation"
