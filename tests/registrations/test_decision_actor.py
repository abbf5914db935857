"""V1: `Decision.by` names the deciding account only for managers and the decider's own structure; everyone who
sees the registration reads `Decision.actor` (name, capacity, organisation), never an e-mail address."""

from __future__ import annotations

import json

from registration_ops import CANCEL, MOTIVATION, REQUEST, SELECT, VALIDATE, code, payload
from world import World, training_session

from parcourspro_gql.models import Account, Role

DECISIONS = """
query($id: ID!) {
  node(id: $id) {
    ... on Registration {
      status
      employerDecision { at comment by { id } actor { displayName role organisation } }
      providerDecision { by { id } actor { displayName role organisation } }
      cancellation { comment by { id } actor { displayName role organisation } }
    }
  }
}
"""


async def build(world: World):
    provider = await world.structure("Institut de Formation Aquitaine")
    trainer = await world.person(provider, Role.PROVIDER)
    org = await world.structure("Mission Locale des Graves")
    employer = await world.person(org, Role.EMPLOYER)
    manager = await world.manager()
    seats = await training_session(world, provider)
    first, second = await world.person(org), await world.person(org)
    ids = []
    for person in (first, second):
        body = await world.as_(person, REQUEST, {"session": seats.session_id, "motivation": MOTIVATION})
        ids.append(payload(body)["registration"]["id"])
    # The first: validated by his employer, selected by the provider. The second: validated by a manager in
    # the employer's place (R5), then cancelled by the person himself.
    assert code(await world.as_(employer, VALIDATE, {"id": ids[0]})) == "ok"
    assert code(await world.as_(trainer, SELECT, {"id": ids[0]})) == "ok"
    assert code(await world.as_(manager, VALIDATE, {"id": ids[1]})) == "ok"
    cancel = await world.as_(second, CANCEL, {"id": ids[1], "reason": "Empêchement de dernière minute"})
    assert code(cancel) == "ok"
    return provider, trainer, org, employer, manager, first, second, ids


async def decisions_seen(world: World, who, registration_id: str) -> dict:
    body = await world.as_(who, DECISIONS, {"id": registration_id})
    assert "errors" not in body, body
    return body["data"]["node"]


async def test_each_caller_gets_the_decider_only_from_his_own_structure_or_as_a_manager(world: World):
    _, trainer, _, employer, manager, first, _, ids = await build(world)
    employer_actor = {"displayName": await full_name(world, employer.pk), "role": "EMPLOYER",
                      "organisation": "Mission Locale des Graves"}  # fmt: skip
    provider_actor = {"displayName": await full_name(world, trainer.pk), "role": "PROVIDER",
                      "organisation": "Institut de Formation Aquitaine"}  # fmt: skip

    # The person: his employer is of his structure, the provider is not.
    seen = await decisions_seen(world, first, ids[0])
    assert seen["employerDecision"]["by"] == {"id": employer.id}
    assert seen["employerDecision"]["actor"] == employer_actor
    assert seen["providerDecision"]["by"] is None
    assert seen["providerDecision"]["actor"] == provider_actor
    # The employer: the same; the provider: the other way round.
    seen = await decisions_seen(world, employer, ids[0])
    assert (seen["employerDecision"]["by"], seen["providerDecision"]["by"]) == ({"id": employer.id}, None)
    seen = await decisions_seen(world, trainer, ids[0])
    assert (seen["employerDecision"]["by"], seen["providerDecision"]["by"]) == (None, {"id": trainer.id})
    assert seen["employerDecision"]["actor"] == employer_actor
    # A manager sees every decider.
    seen = await decisions_seen(world, manager, ids[0])
    assert (seen["employerDecision"]["by"], seen["providerDecision"]["by"]) == (
        {"id": employer.id},
        {"id": trainer.id},
    )


async def test_a_manager_in_the_employer_s_place_is_cap_metiers_and_a_person_cancelling_is_himself(
    world: World,
):
    _, trainer, _, employer, manager, _, second, ids = await build(world)
    seen = await decisions_seen(world, second, ids[1])
    assert seen["status"] == "CANCELLED"
    assert seen["employerDecision"]["by"] is None
    assert seen["employerDecision"]["actor"] == {
        "displayName": await full_name(world, manager.pk),
        "role": "MANAGER",
        "organisation": "Cap Métiers",
    }
    assert seen["cancellation"]["by"] == {"id": second.id}
    assert seen["cancellation"]["actor"] == {
        "displayName": await full_name(world, second.pk),
        "role": "BENEFICIARY",
        "organisation": "Mission Locale des Graves",
    }
    # His employer sees his colleague's cancellation, not the manager; the provider sees neither.
    seen = await decisions_seen(world, employer, ids[1])
    assert (seen["employerDecision"]["by"], seen["cancellation"]["by"]) == (None, {"id": second.id})
    seen = await decisions_seen(world, trainer, ids[1])
    assert (seen["employerDecision"]["by"], seen["cancellation"]["by"]) == (None, None)
    assert seen["cancellation"]["actor"]["role"] == "BENEFICIARY"


async def test_no_email_address_reaches_whoever_reads_the_actors(world: World):
    _, trainer, _, _, _, first, second, ids = await build(world)
    query = DECISIONS.replace("by { id }", "by { id email }")
    for who, registration_id in ((first, ids[0]), (trainer, ids[0]), (trainer, ids[1]), (second, ids[1])):
        body = await world.as_(who, query, {"id": registration_id})
        assert "errors" not in body, body
        hidden = [
            decision
            for decision in body["data"]["node"].values()
            if isinstance(decision, dict) and decision["by"] is None
        ]
        assert hidden, "each of these callers has a decider he may not see"
        assert "@" not in json.dumps(hidden)


PAGE = """
query {
  employerOverview {
    registrations(first: 100) { edges { node {
      employerDecision { by { id } actor { displayName role organisation } }
      providerDecision { by { id } actor { displayName role organisation } }
      cancellation { by { id } actor { role } }
    } } }
  }
}
"""


async def test_actors_of_a_page_cost_the_same_statements_for_2_and_for_8_registrations(
    world: World, statements
):
    provider = await world.structure("Organisme")
    trainer = await world.person(provider, Role.PROVIDER)
    org = await world.structure("Structure")
    employer = await world.person(org, Role.EMPLOYER)
    counts = []
    for size in (2, 8):
        seats = await training_session(world, provider, title=f"Formation {size}")
        while True:
            person = await world.person(org)
            body = await world.as_(person, REQUEST, {"session": seats.session_id, "motivation": MOTIVATION})
            registration_id = payload(body)["registration"]["id"]
            assert code(await world.as_(employer, VALIDATE, {"id": registration_id})) == "ok"
            assert code(await world.as_(trainer, SELECT, {"id": registration_id})) == "ok"
            body = await world.as_(employer, PAGE)
            edges = body["data"]["employerOverview"]["registrations"]["edges"]
            if len(edges) >= size:
                break
        statements.reset()
        body = await world.as_(employer, PAGE)
        assert "errors" not in body, body
        assert {edge["node"]["providerDecision"]["actor"]["role"] for edge in edges} == {"PROVIDER"}
        counts.append(statements.count)
    assert counts[0] == counts[1], counts


async def full_name(world: World, pk: int) -> str:
    async with world.db.read() as session:
        account = await session.get(Account, pk)
        assert account is not None
        return f"{account.first_name} {account.last_name}"
