"""roleGrant, roleRevoke, referentTransfer (R2-R5) and who sees a structure's accounts."""

from __future__ import annotations

from world import World

from parcourspro_gql.models import AffiliationStatus, Role

GRANT = """
mutation($grant: Boolean!, $input: RoleChangeInput!) {
  granted: roleGrant(input: $input) @include(if: $grant) { account { roles } errors { code field } }
  revoked: roleRevoke(input: $input) @skip(if: $grant) { account { roles } errors { code field } }
}
"""
TRANSFER = """
mutation($id: ID!) { referentTransfer(input: {accountId: $id}) { account { roles } errors { code field } } }
"""
ACCOUNTS = "query($id: ID!) { node(id: $id) { ... on Structure { accounts { totalCount edges { node { email } } } } } }"
ROLES = "{ me { roles } }"


async def change(world: World, who, target, role: str, grant: bool = True) -> dict:
    body = await world.as_(who, GRANT, {"grant": grant, "input": {"accountId": target.id, "role": role}})
    return body["data"]["granted" if grant else "revoked"]


async def test_referent_grants_and_revokes_employer_within_his_structure(world: World):
    org = await world.structure()
    referent = await world.person(org, Role.REFERENT)
    colleague = await world.person(org)
    assert await change(world, referent, colleague, "EMPLOYER") == {
        "account": {"roles": ["BENEFICIARY", "EMPLOYER"]},
        "errors": [],
    }
    assert await change(world, referent, colleague, "EMPLOYER", grant=False) == {
        "account": {"roles": ["BENEFICIARY"]},
        "errors": [],
    }
    outsider = await world.person(await world.structure())
    assert (await change(world, referent, outsider, "EMPLOYER"))["errors"][0]["code"] == "FORBIDDEN"
    waiting = await world.person(org, status=AffiliationStatus.PENDING)
    assert (await change(world, referent, waiting, "EMPLOYER"))["errors"][0]["code"] == "NOT_AFFILIATED"


async def test_provider_and_manager_roles_are_for_managers_only(world: World):
    org = await world.structure()
    referent = await world.person(org, Role.REFERENT)
    colleague = await world.person(org)
    for role in ("PROVIDER", "MANAGER", "REFERENT"):
        assert (await change(world, referent, colleague, role))["errors"][0]["code"] == "FORBIDDEN"
    manager = await world.manager()
    assert (await change(world, manager, colleague, "PROVIDER"))["account"]["roles"] == [
        "BENEFICIARY",
        "PROVIDER",
    ]
    assert (await change(world, manager, colleague, "BENEFICIARY"))["errors"][0] == {
        "code": "INVALID_INPUT",
        "field": "role",
    }
    # R5: a manager may also act in place of the referent.
    assert (await change(world, manager, colleague, "EMPLOYER"))["errors"] == []


async def test_a_structure_never_loses_its_last_referent(world: World):
    org = await world.structure()
    referent = await world.person(org, Role.REFERENT)
    manager = await world.manager()
    refused = await change(world, manager, referent, "REFERENT", grant=False)
    assert refused["errors"] == [{"code": "LAST_REFERENT", "field": "accountId"}]
    second = await world.person(org, Role.REFERENT)
    assert (await change(world, manager, referent, "REFERENT", grant=False))["errors"] == []
    assert (await world.as_(second, ROLES))["data"]["me"]["roles"] == ["BENEFICIARY", "REFERENT"]


async def test_referent_hands_over_to_an_active_colleague(world: World):
    org = await world.structure()
    referent = await world.person(org, Role.REFERENT, Role.EMPLOYER)
    colleague = await world.person(org)
    handed = (await world.as_(referent, TRANSFER, {"id": colleague.id}))["data"]["referentTransfer"]
    assert handed == {"account": {"roles": ["BENEFICIARY", "REFERENT"]}, "errors": []}
    assert (await world.as_(referent, ROLES))["data"]["me"]["roles"] == ["BENEFICIARY", "EMPLOYER"]
    # The former referent can no longer act as one.
    again = (await world.as_(referent, TRANSFER, {"id": colleague.id}))["data"]["referentTransfer"]
    assert again["errors"][0]["code"] == "FORBIDDEN"
    stranger = await world.person(await world.structure())
    to_stranger = (await world.as_(colleague, TRANSFER, {"id": stranger.id}))["data"]["referentTransfer"]
    assert to_stranger["errors"][0]["code"] == "FORBIDDEN"
    waiting = await world.person(org, status=AffiliationStatus.PENDING)
    to_waiting = (await world.as_(colleague, TRANSFER, {"id": waiting.id}))["data"]["referentTransfer"]
    assert to_waiting["errors"][0]["code"] == "NOT_AFFILIATED"


async def test_structure_accounts_are_for_its_referents_employers_and_managers(world: World):
    org = await world.structure()
    referent = await world.person(org, Role.REFERENT)
    employer = await world.person(org, Role.EMPLOYER)
    beneficiary = await world.person(org)
    other_employer = await world.person(await world.structure(), Role.EMPLOYER)
    for who in (referent, employer, await world.manager()):
        body = await world.as_(who, ACCOUNTS, {"id": org.id})
        assert body["data"]["node"]["accounts"]["totalCount"] == 3, body
    for who in (beneficiary, other_employer):
        body = await world.as_(who, ACCOUNTS, {"id": org.id})
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    anonymous = await world.as_(None, ACCOUNTS, {"id": org.id})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_node_shows_an_account_to_itself_its_structure_s_staff_and_managers(world: World):
    org = await world.structure()
    person = await world.person(org)
    node = "query($id: ID!) { node(id: $id) { ... on Account { email } } }"
    allowed = [
        person,
        await world.person(org, Role.REFERENT),
        await world.person(org, Role.EMPLOYER),
        await world.manager(),
    ]
    for who in allowed:
        assert (await world.as_(who, node, {"id": person.id}))["data"]["node"] == {"email": person.email}
    denied = [None, await world.person(org), await world.person(await world.structure(), Role.EMPLOYER)]
    for who in denied:
        assert (await world.as_(who, node, {"id": person.id}))["data"]["node"] is None
