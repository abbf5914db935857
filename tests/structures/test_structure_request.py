"""structureRequest (S1-S3): identifiers checked and normalised, one live request per SIRET, emails."""

from __future__ import annotations

import pytest
from world import World

from parcourspro_gql.models import AffiliationStatus, StructureStatus
from parcourspro_gql.schema.relay import to_global_id

REQUEST = """
mutation($input: StructureRequestInput!) {
  structureRequest(input: $input) {
    structure { id name siret apeCode apeLabel status address { street postalCode city } rejectionReason }
    errors { code message field }
  }
}
"""


def request_input(**overrides: object) -> dict:
    base = {
        "name": "Mission Locale  du Médoc",
        "siret": "356 000 000 49837",  # La Poste's rule: a valid SIRET that fails the plain Luhn check
        "apeCode": "88.99b",
        "address": {"street": "2 place du Marché", "postalCode": "33 340", "city": "Lesparre-Médoc"},
    }
    return {"input": base | overrides}


async def test_request_is_pending_normalised_and_emailed(world: World, outbox):
    manager = await world.manager()
    requester = await world.person()
    payload = (await world.as_(requester, REQUEST, request_input()))["data"]["structureRequest"]
    assert payload["errors"] == []
    structure = payload["structure"]
    assert structure | {"id": None} == {
        "id": None,
        "name": "Mission Locale du Médoc",
        "siret": "35600000049837",
        "apeCode": "88.99B",
        "apeLabel": "Action sociale sans hébergement n.c.a.",
        "status": "PENDING",
        "address": {"street": "2 place du Marché", "postalCode": "33340", "city": "Lesparre-Médoc"},
        "rejectionReason": None,
    }
    messages = {message["To"]: message for message in await outbox.deliver()}
    assert set(messages) == {requester.email, manager.email}
    assert "sous 48 heures" in messages[requester.email].get_body(("plain",)).get_content()
    review = messages[manager.email].get_body(("plain",)).get_content()
    assert "SIRET 35600000049837 — APE 88.99B (Action sociale sans hébergement n.c.a.)" in review
    # Pending structures stay out of the public picker.
    picker = await world.as_(None, '{ structures(search: "medoc") { totalCount } }')
    assert picker["data"]["structures"]["totalCount"] == 0


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"siret": "35600000049838"}, "INVALID_SIRET", "siret"),
        ({"siret": "1234"}, "INVALID_SIRET", "siret"),
        ({"siret": "ABCDEFGHIJKLMN"}, "INVALID_SIRET", "siret"),
        ({"apeCode": "99.99Z"}, "INVALID_APE_CODE", "apeCode"),
        ({"apeCode": "8899"}, "INVALID_APE_CODE", "apeCode"),
        ({"name": " "}, "INVALID_INPUT", "name"),
        (
            {"address": {"street": "1 rue", "postalCode": "3300", "city": "Bordeaux"}},
            "INVALID_INPUT",
            "address.postalCode",
        ),
    ],
)
async def test_bad_identifiers_are_refused(world: World, overrides, code, field):
    requester = await world.person()
    payload = (await world.as_(requester, REQUEST, request_input(**overrides)))["data"]["structureRequest"]
    assert payload["structure"] is None
    assert [(error["code"], error["field"]) for error in payload["errors"]] == [(code, field)]


async def test_ape_code_without_dot_is_accepted(world: World):
    requester = await world.person()
    payload = (await world.as_(requester, REQUEST, request_input(apeCode="8559a")))["data"][
        "structureRequest"
    ]
    assert payload["structure"]["apeCode"] == "85.59A"


async def test_a_second_request_for_a_validated_siret_names_the_existing_structure(world: World):
    existing = await world.structure("CIO de Bordeaux")
    requester = await world.person()
    payload = (await world.as_(requester, REQUEST, request_input(siret=existing.siret)))["data"][
        "structureRequest"
    ]
    [error] = payload["errors"]
    assert (error["code"], error["field"]) == ("SIRET_ALREADY_REGISTERED", "siret")
    assert "CIO de Bordeaux" in error["message"]
    assert to_global_id("Structure", existing.pk) in error["message"]


async def test_a_second_request_for_a_pending_siret_is_refused_but_a_rejected_one_does_not_block(
    world: World,
):
    pending = await world.structure(status=StructureStatus.PENDING)
    rejected = await world.structure(status=StructureStatus.REJECTED)
    requester = await world.person()
    refused = (await world.as_(requester, REQUEST, request_input(siret=pending.siret)))["data"][
        "structureRequest"
    ]
    assert refused["errors"][0]["code"] == "SIRET_ALREADY_REGISTERED"
    accepted = (await world.as_(requester, REQUEST, request_input(siret=rejected.siret)))["data"][
        "structureRequest"
    ]
    assert accepted["errors"] == []


async def test_unverified_affiliated_and_anonymous_callers_are_refused(world: World):
    unverified = await world.person(verified=False)
    body = await world.as_(unverified, REQUEST, request_input())
    assert body["data"]["structureRequest"]["errors"][0]["code"] == "EMAIL_NOT_VERIFIED"
    member = await world.person(await world.structure())
    body = await world.as_(member, REQUEST, request_input())
    assert body["data"]["structureRequest"]["errors"][0]["code"] == "ALREADY_AFFILIATED"
    waiting = await world.person(await world.structure(), status=AffiliationStatus.PENDING)
    body = await world.as_(waiting, REQUEST, request_input())
    assert body["data"]["structureRequest"]["errors"][0]["code"] == "ALREADY_AFFILIATED"
    anonymous = await world.as_(None, REQUEST, request_input())
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_the_requester_sees_his_pending_structure_others_do_not(world: World):
    requester = await world.person()
    structure_id = (await world.as_(requester, REQUEST, request_input()))["data"]["structureRequest"][
        "structure"
    ]["id"]
    node = "query($id: ID!) { node(id: $id) { ... on Structure { status } } }"
    assert (await world.as_(requester, node, {"id": structure_id}))["data"]["node"] == {"status": "PENDING"}
    assert (await world.as_(await world.person(), node, {"id": structure_id}))["data"]["node"] is None
    assert (await world.as_(None, node, {"id": structure_id}))["data"]["node"] is None
    assert (await world.as_(await world.manager(), node, {"id": structure_id}))["data"]["node"] == {
        "status": "PENDING"
    }
