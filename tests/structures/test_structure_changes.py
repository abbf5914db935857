"""Referents propose changes to their structure (never its SIRET), managers decide; membership withdrawal."""

from __future__ import annotations

from world import World

from parcourspro_gql.models import Role

PROPOSE = """
mutation($input: StructureChangeProposeInput!) {
  structureChangePropose(input: $input) {
    change { id name apeCode address { street postalCode city } status structure { name } }
    errors { code field }
  }
}
"""
DECIDE = """
mutation($approve: Boolean!, $input: StructureChangeDecisionInput!) {
  approved: structureChangeApprove(input: $input) @include(if: $approve) {
    change { status structure { name apeCode address { city } } } errors { code field }
  }
  rejected: structureChangeReject(input: $input) @skip(if: $approve) {
    change { status rejectionReason structure { name } } errors { code field }
  }
}
"""
REVOKE = """
mutation($id: ID!, $year: Int!, $reason: String!) {
  membershipRevoke(input: {structureId: $id, year: $year, reason: $reason}) {
    structure { isMember(year: 2026) memberships { year } } errors { code field }
  }
}
"""
GRANT = "mutation($id: ID!) { membershipGrant(input: {structureId: $id, year: 2026}) { errors { code } } }"


async def test_a_referent_s_proposal_is_applied_when_a_manager_approves(world: World, outbox):
    org = await world.structure("CIO de Bordeaux")
    referent = await world.person(org, Role.REFERENT)
    manager = await world.manager()
    proposal = {
        "structureId": org.id,
        "name": "CIO Bordeaux Centre",
        "apeCode": "8412z",
        "address": {"street": "2 rue Fondaudège", "postalCode": "33000", "city": "Bordeaux"},
    }
    payload = (await world.as_(referent, PROPOSE, {"input": proposal}))["data"]["structureChangePropose"]
    assert payload["errors"] == []
    change = payload["change"]
    # The address is the same as before but for the street: it is proposed; the SIRET cannot be.
    assert (change["name"], change["apeCode"], change["status"]) == (
        "CIO Bordeaux Centre",
        "84.12Z",
        "PENDING",
    )
    [to_manager] = await outbox.deliver()
    assert to_manager["To"] == manager.email
    assert "Nom : CIO de Bordeaux -> CIO Bordeaux Centre" in to_manager.get_body(("plain",)).get_content()
    again = (await world.as_(referent, PROPOSE, {"input": proposal}))["data"]["structureChangePropose"]
    assert again["errors"][0]["code"] == "INVALID_TRANSITION"

    decided = (await world.as_(manager, DECIDE, {"approve": True, "input": {"changeId": change["id"]}}))[
        "data"
    ]
    assert decided["approved"] == {
        "change": {
            "status": "VALIDATED",
            "structure": {
                "name": "CIO Bordeaux Centre",
                "apeCode": "84.12Z",
                "address": {"city": "Bordeaux"},
            },
        },
        "errors": [],
    }
    [to_referent] = await outbox.deliver()
    assert to_referent["Subject"] == "Modification de CIO Bordeaux Centre : acceptée"
    found = await world.as_(None, '{ structures(search: "bordeaux centre") { edges { node { name } } } }')
    assert found["data"]["structures"]["edges"] == [{"node": {"name": "CIO Bordeaux Centre"}}]


async def test_rejection_needs_a_reason_and_leaves_the_structure_unchanged(world: World, outbox):
    org = await world.structure("CIO de Bordeaux")
    referent = await world.person(org, Role.REFERENT)
    manager = await world.manager()
    change_id = (await world.as_(referent, PROPOSE, {"input": {"structureId": org.id, "name": "Autre nom"}}))[
        "data"
    ]["structureChangePropose"]["change"]["id"]
    missing = (await world.as_(manager, DECIDE, {"approve": False, "input": {"changeId": change_id}}))["data"]
    assert missing["rejected"]["errors"] == [{"code": "INVALID_INPUT", "field": "reason"}]
    rejected = await world.as_(
        manager, DECIDE, {"approve": False, "input": {"changeId": change_id, "reason": "Nom non officiel."}}
    )
    assert rejected["data"]["rejected"] == {
        "change": {
            "status": "REJECTED",
            "rejectionReason": "Nom non officiel.",
            "structure": {"name": "CIO de Bordeaux"},
        },
        "errors": [],
    }


async def test_only_the_structure_s_referent_proposes_and_only_managers_decide(world: World):
    org = await world.structure()
    referent = await world.person(org, Role.REFERENT)
    for who in (
        await world.person(org, Role.EMPLOYER),
        await world.person(await world.structure(), Role.REFERENT),
        await world.manager(),
    ):
        body = await world.as_(who, PROPOSE, {"input": {"structureId": org.id, "name": "Nouveau nom"}})
        assert body["data"]["structureChangePropose"]["errors"][0]["code"] == "FORBIDDEN"
    nothing = await world.as_(referent, PROPOSE, {"input": {"structureId": org.id}})
    assert nothing["data"]["structureChangePropose"]["errors"] == [{"code": "INVALID_INPUT", "field": None}]
    change_id = (
        await world.as_(referent, PROPOSE, {"input": {"structureId": org.id, "name": "Nouveau nom"}})
    )["data"]["structureChangePropose"]["change"]["id"]
    body = await world.as_(referent, DECIDE, {"approve": True, "input": {"changeId": change_id}})
    assert body["data"]["approved"]["errors"][0]["code"] == "FORBIDDEN"


async def test_membership_is_withdrawn_with_a_reason_by_managers(world: World):
    org = await world.structure()
    manager = await world.manager()
    await world.as_(manager, GRANT, {"id": org.id})
    missing = await world.as_(manager, REVOKE, {"id": org.id, "year": 2026, "reason": ""})
    assert missing["data"]["membershipRevoke"]["errors"] == [{"code": "INVALID_INPUT", "field": "reason"}]
    referent = await world.person(org, Role.REFERENT)
    forbidden = await world.as_(
        referent, REVOKE, {"id": org.id, "year": 2026, "reason": "Cotisation impayée"}
    )
    assert forbidden["data"]["membershipRevoke"]["errors"][0]["code"] == "FORBIDDEN"
    done = await world.as_(manager, REVOKE, {"id": org.id, "year": 2026, "reason": "Cotisation impayée"})
    assert done["data"]["membershipRevoke"] == {
        "structure": {"isMember": False, "memberships": []},
        "errors": [],
    }
    twice = await world.as_(manager, REVOKE, {"id": org.id, "year": 2026, "reason": "Cotisation impayée"})
    assert twice["data"]["membershipRevoke"]["errors"] == [{"code": "INVALID_TRANSITION", "field": "year"}]
