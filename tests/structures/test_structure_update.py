"""V4: managers correct a structure directly (reason required, referents told by e-mail, audited, never the
SIRET); V3: a structure's change proposals are for its referents and managers only."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from world import World

from parcourspro_gql.models import AuditEntry, Role, StructureChange, StructureStatus

UPDATE = """
mutation($input: StructureUpdateInput!) {
  structureUpdate(input: $input) {
    structure { id name siret apeCode address { street postalCode city } }
    errors { code message field }
  }
}
"""
CHANGES = """
query($id: ID!, $after: String) {
  node(id: $id) { ... on Structure { changes(first: 2, after: $after) {
    edges { node { id name status } } pageInfo { hasNextPage endCursor } totalCount
  } } }
}
"""


async def test_a_manager_corrects_a_structure_and_its_referents_are_told(world: World, outbox):
    org = await world.structure("Mision Locale des Grave")
    referent = await world.person(org, Role.REFERENT)
    other_referent = await world.person(org, Role.REFERENT)
    await world.person(org, Role.EMPLOYER)  # an employer is not told: referents answer for the structure
    manager = await world.manager()
    value = {
        "structureId": org.id,
        "name": "Mission Locale des Graves",
        "apeCode": "8899b",
        "address": {"street": "4 rue du Port", "postalCode": "33 400", "city": "Talence"},
        "reason": "Nom mal orthographié à l'import SIRENE",
    }
    body = await world.as_(manager, UPDATE, {"input": value})
    assert body["data"]["structureUpdate"] == {
        "structure": {
            "id": org.id,
            "name": "Mission Locale des Graves",
            "siret": org.siret,
            "apeCode": "88.99B",
            "address": {"street": "4 rue du Port", "postalCode": "33400", "city": "Talence"},
        },
        "errors": [],
    }
    mails = await outbox.deliver()
    assert sorted(mail["To"] for mail in mails) == sorted([referent.email, other_referent.email])
    text = mails[0].get_body(("plain",)).get_content()
    assert "Nom : Mision Locale des Grave -> Mission Locale des Graves" in text
    assert "Adresse : " in text
    assert "Motif : Nom mal orthographié à l'import SIRENE" in text
    async with world.db.read() as session:
        [entry] = (
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "structure.update"))
        ).all()
    assert (entry.actor_id, entry.entity_id, entry.actor_role) == (manager.pk, org.pk, "MANAGER")
    assert entry.reason == "Nom mal orthographié à l'import SIRENE"
    assert entry.data["name"] == {"from": "Mision Locale des Grave", "to": "Mission Locale des Graves"}
    assert set(entry.data) == {"name", "ape_code", "address"}
    # N1: the referents' inboxes hold it too.
    inbox = "{ me { unreadNotificationCount notifications { edges { node { kind } } } } }"
    me = (await world.as_(referent, inbox))["data"]["me"]
    assert me["unreadNotificationCount"] == 1
    assert me["notifications"]["edges"] == [{"node": {"kind": "STRUCTURE_DECIDED"}}]
    # The picker finds it under its new name and town.
    found = await world.as_(None, '{ structures(search: "graves talence") { edges { node { id } } } }')
    assert found["data"]["structures"]["edges"] == [{"node": {"id": org.id}}]


async def test_refusals_change_nothing_and_tell_nobody(world: World, outbox):
    org = await world.structure("CIO de Bordeaux")
    referent = await world.person(org, Role.REFERENT)
    manager = await world.manager()
    rejected = await world.structure("Refusée", status=StructureStatus.REJECTED)
    cases = [
        (manager, {"structureId": org.id, "name": "Nouveau nom", "reason": " "}, "INVALID_INPUT", "reason"),
        (manager, {"structureId": org.id, "name": "CIO de Bordeaux", "reason": "Rien"}, "INVALID_INPUT", None),
        (manager, {"structureId": org.id, "apeCode": "99.99Z", "reason": "Code"}, "INVALID_APE_CODE", "apeCode"),
        (manager, {"structureId": org.id, "name": "X" * 201, "reason": "Trop long"}, "INVALID_INPUT", "name"),
        (manager, {"structureId": "bm9wZQ==", "name": "Autre", "reason": "Inconnue"}, "NOT_FOUND", "structureId"),
        (manager, {"structureId": rejected.id, "name": "Autre", "reason": "Rejetée"}, "INVALID_TRANSITION",
         "structureId"),
        (referent, {"structureId": org.id, "name": "Par le référent", "reason": "Je corrige"}, "FORBIDDEN", None),
    ]  # fmt: skip
    for who, value, code, field in cases:
        payload = (await world.as_(who, UPDATE, {"input": value}))["data"]["structureUpdate"]
        assert payload["structure"] is None
        assert [(error["code"], error["field"]) for error in payload["errors"]] == [(code, field)], value
        assert payload["errors"][0]["message"]
    # The SIRET is not even an input field.
    body = await world.as_(
        manager, UPDATE, {"input": {"structureId": org.id, "siret": "35600000049837", "reason": "SIRET"}}
    )
    assert "siret" in body["errors"][0]["message"]
    async with world.db.read() as session:
        assert not (
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "structure.update"))
        ).all()
    assert await outbox.deliver() == []
    node = await world.as_(
        None, "query($id: ID!) { node(id: $id) { ... on Structure { name } } }", {"id": org.id}
    )
    assert node["data"]["node"] == {"name": "CIO de Bordeaux"}


async def test_a_structure_s_changes_are_listed_newest_first_for_its_referents_and_managers(
    world: World, clock
):
    org = await world.structure("CIO de Bordeaux")
    other = await world.structure("CIO de Pau")
    referent = await world.person(org, Role.REFERENT)
    employer = await world.person(org, Role.EMPLOYER)
    other_referent = await world.person(other, Role.REFERENT)
    manager = await world.manager()
    async with world.db.transaction() as session:
        for n, status in enumerate(
            [StructureStatus.REJECTED, StructureStatus.VALIDATED, StructureStatus.PENDING]
        ):
            session.add(
                StructureChange(
                    structure_id=org.pk,
                    requested_at=clock.now() + timedelta(hours=n),
                    name=f"Nom {n}",
                    status=status,
                )
            )
        session.add(
            StructureChange(
                structure_id=other.pk,
                requested_at=clock.now(),
                name="Ailleurs",
                status=StructureStatus.PENDING,
            )
        )
    for who in (referent, manager):
        first = (await world.as_(who, CHANGES, {"id": org.id}))["data"]["node"]["changes"]
        assert [edge["node"]["name"] for edge in first["edges"]] == ["Nom 2", "Nom 1"]
        assert (first["totalCount"], first["pageInfo"]["hasNextPage"]) == (3, True)
        rest = await world.as_(who, CHANGES, {"id": org.id, "after": first["pageInfo"]["endCursor"]})
        page = rest["data"]["node"]["changes"]
        assert [edge["node"]["name"] for edge in page["edges"]] == ["Nom 0"]
        assert page["pageInfo"]["hasNextPage"] is False
    for who in (employer, other_referent):
        body = await world.as_(who, CHANGES, {"id": org.id})
        assert body["data"] == {"node": None}
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        # node(StructureChange) answers null to them too, as for an id that does not exist.
        change_id = first["edges"][0]["node"]["id"]
        seen = await world.as_(who, "query($id: ID!) { node(id: $id) { id } }", {"id": change_id})
        assert seen["data"]["node"] is None
