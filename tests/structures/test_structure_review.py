"""structureValidate and structureReject (S3), membershipGrant and isMember (S5)."""

from __future__ import annotations

from sqlalchemy import select
from world import World

from parcourspro_gql.models import AuditEntry, Role, Structure, StructureStatus

DECIDE = """
mutation($validate: Boolean!, $input: StructureDecisionInput!) {
  validated: structureValidate(input: $input) @include(if: $validate) {
    structure { status rejectionReason } errors { code message field }
  }
  rejected: structureReject(input: $input) @skip(if: $validate) {
    structure { status rejectionReason } errors { code message field }
  }
}
"""
ME = "{ me { affiliationStatus roles structure { name status } } }"
MEMBERSHIP = """
mutation($id: ID!, $year: Int!) {
  membershipGrant(input: {structureId: $id, year: $year}) {
    structure {
      isMember current: isMember thisYear: isMember(year: 2026) next: isMember(year: 2027) memberships { year }
    }
    errors { code field }
  }
}
"""


async def pending_request(world: World):
    requester = await world.person()
    org = await world.structure("Maison de l'Emploi du Béarn", StructureStatus.PENDING)
    async with world.db.transaction() as session:
        (await session.get(Structure, org.pk)).requested_by_id = requester.pk
    return requester, org


async def decide(world: World, who, org, validate: bool, reason: str | None = None) -> dict:
    body = await world.as_(
        who, DECIDE, {"validate": validate, "input": {"structureId": org.id, "reason": reason}}
    )
    return body["data"]["validated" if validate else "rejected"]


async def test_validation_makes_the_requester_its_active_referent(world: World, outbox, db):
    manager = await world.manager()
    requester, org = await pending_request(world)
    assert await decide(world, manager, org, True) == {
        "structure": {"status": "VALIDATED", "rejectionReason": None},
        "errors": [],
    }
    me = (await world.as_(requester, ME))["data"]["me"]
    assert me == {
        "affiliationStatus": "ACTIVE",
        "roles": ["BENEFICIARY", "REFERENT"],
        "structure": {"name": "Maison de l'Emploi du Béarn", "status": "VALIDATED"},
    }
    [message] = await outbox.deliver()
    assert (message["To"], message["Subject"]) == (
        requester.email,
        "Votre structure Maison de l'Emploi du Béarn est validée sur ParcoursPro",
    )
    async with db.read() as session:
        actions = {(a.action, a.actor_id, a.actor_role) for a in await session.scalars(select(AuditEntry))}
    assert ("structure.validate", manager.pk, "MANAGER") in actions
    assert ("affiliation.first_account", manager.pk, None) in actions
    again = await decide(world, manager, org, True)
    assert again["errors"][0]["code"] == "INVALID_TRANSITION"


async def test_rejection_needs_a_reason_which_the_requester_receives(world: World, outbox):
    manager = await world.manager()
    requester, org = await pending_request(world)
    missing = await decide(world, manager, org, False, "  ")
    assert [(e["code"], e["field"]) for e in missing["errors"]] == [("INVALID_INPUT", "reason")]
    rejected = await decide(world, manager, org, False, "SIRET d'un établissement fermé.")
    assert rejected == {
        "structure": {"status": "REJECTED", "rejectionReason": "SIRET d'un établissement fermé."},
        "errors": [],
    }
    [message] = await outbox.deliver()
    assert message["To"] == requester.email
    assert "Motif : SIRET d'un établissement fermé." in message.get_body(("plain",)).get_content()
    assert (await world.as_(requester, ME))["data"]["me"]["affiliationStatus"] == "NONE"


async def test_only_managers_decide(world: World):
    requester, org = await pending_request(world)
    referent = await world.person(await world.structure(), Role.REFERENT)
    for who in (requester, referent):
        assert (await decide(world, who, org, True))["errors"][0]["code"] == "FORBIDDEN"
        assert (await decide(world, who, org, False, "non"))["errors"][0]["code"] == "FORBIDDEN"
    anonymous = await world.as_(None, DECIDE, {"validate": True, "input": {"structureId": org.id}})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    unknown = await decide(world, await world.manager(), type(org)(999_999, ""), True)
    assert unknown["errors"][0]["code"] == "NOT_FOUND"


async def test_membership_is_per_calendar_year(world: World, db):
    manager = await world.manager()
    org = await world.structure()
    granted = (await world.as_(manager, MEMBERSHIP, {"id": org.id, "year": 2026}))["data"]["membershipGrant"]
    assert granted == {
        "structure": {
            "isMember": True,
            "current": True,
            "thisYear": True,
            "next": False,
            "memberships": [{"year": 2026}],
        },
        "errors": [],
    }
    again = (await world.as_(manager, MEMBERSHIP, {"id": org.id, "year": 2026}))["data"]["membershipGrant"]
    assert again["structure"]["memberships"] == [{"year": 2026}]
    far = (await world.as_(manager, MEMBERSHIP, {"id": org.id, "year": 2031}))["data"]["membershipGrant"]
    assert [(e["code"], e["field"]) for e in far["errors"]] == [("INVALID_INPUT", "year")]
    member = await world.person(org)
    refused = (await world.as_(member, MEMBERSHIP, {"id": org.id, "year": 2027}))["data"]["membershipGrant"]
    assert refused["errors"][0]["code"] == "FORBIDDEN"
    pending = await world.structure(status=StructureStatus.PENDING)
    not_yet = (await world.as_(manager, MEMBERSHIP, {"id": pending.id, "year": 2026}))["data"][
        "membershipGrant"
    ]
    assert not_yet["errors"][0]["code"] == "STRUCTURE_NOT_VALIDATED"
    async with db.read() as session:
        grants = [a for a in await session.scalars(select(AuditEntry)) if a.action == "membership.grant"]
    assert [(a.to_state, a.actor_id) for a in grants] == [("2026", manager.pk)]
