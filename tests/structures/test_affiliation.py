"""affiliationRequest, affiliationConfirm, affiliationRefuse (R1), pendingAffiliations and the dashboard."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from world import World

from parcourspro_gql.models import AffiliationStatus, AuditEntry, Role, StructureStatus

JOIN = """
mutation($id: ID!) {
  affiliationRequest(input: {structureId: $id}) {
    account { affiliationStatus roles structure { name } } errors { code message field }
  }
}
"""
DECIDE = """
mutation($confirm: Boolean!, $input: AffiliationDecisionInput!) {
  confirmed: affiliationConfirm(input: $input) @include(if: $confirm) {
    account { affiliationStatus } errors { code field }
  }
  refused: affiliationRefuse(input: $input) @skip(if: $confirm) { account { affiliationStatus } errors { code field } }
}
"""
PENDING = "{ pendingAffiliations { totalCount edges { node { email affiliationStatus } } } }"
DASHBOARD = """
{ managerDashboard {
    overdueCount
    pendingStructures { edges { node { name } } }
    pendingAffiliations { edges { node { email } } }
} }
"""


async def decide(world: World, who, account_id: str, confirm: bool, reason: str | None = None) -> dict:
    body = await world.as_(
        who, DECIDE, {"confirm": confirm, "input": {"accountId": account_id, "reason": reason}}
    )
    return body["data"]["confirmed" if confirm else "refused"]


async def test_first_account_becomes_referent_without_waiting(world: World, outbox):
    org = await world.structure("CIO de Pessac")
    first = await world.person()
    payload = (await world.as_(first, JOIN, {"id": org.id}))["data"]["affiliationRequest"]
    assert payload == {
        "account": {
            "affiliationStatus": "ACTIVE",
            "roles": ["BENEFICIARY", "REFERENT"],
            "structure": {"name": "CIO de Pessac"},
        },
        "errors": [],
    }
    [message] = await outbox.deliver()
    assert message["Subject"] == "Vous êtes rattaché à CIO de Pessac sur ParcoursPro"


async def test_later_accounts_wait_for_the_referent_who_is_emailed(world: World, outbox):
    org = await world.structure("CIO de Pessac")
    referent = await world.person(org, Role.REFERENT)
    newcomer = await world.person()
    payload = (await world.as_(newcomer, JOIN, {"id": org.id}))["data"]["affiliationRequest"]
    assert payload["account"]["affiliationStatus"] == "PENDING"
    assert payload["account"]["roles"] == ["BENEFICIARY"]
    subjects = {message["To"]: message["Subject"] for message in await outbox.deliver()}
    assert subjects == {
        newcomer.email: "Votre demande de rattachement à CIO de Pessac est transmise",
        referent.email: "[ParcoursPro] Prénom3 Nom003 demande à rejoindre CIO de Pessac",
    }
    assert (await world.as_(referent, PENDING))["data"]["pendingAffiliations"] == {
        "totalCount": 1,
        "edges": [{"node": {"email": newcomer.email, "affiliationStatus": "PENDING"}}],
    }
    assert (await decide(world, referent, newcomer.id, True)) == {
        "account": {"affiliationStatus": "ACTIVE"},
        "errors": [],
    }
    [confirmed] = await outbox.deliver()
    assert (confirmed["To"], confirmed["Subject"]) == (
        newcomer.email,
        "Vous êtes rattaché à CIO de Pessac sur ParcoursPro",
    )
    assert (await world.as_(referent, PENDING))["data"]["pendingAffiliations"]["totalCount"] == 0
    again = await decide(world, referent, newcomer.id, True)
    assert again["errors"][0]["code"] == "INVALID_TRANSITION"


async def test_refusal_needs_a_reason_and_is_emailed(world: World, outbox):
    org = await world.structure()
    referent = await world.person(org, Role.REFERENT)
    newcomer = await world.person(org, status=AffiliationStatus.PENDING)
    assert (await decide(world, referent, newcomer.id, False))["errors"] == [
        {"code": "INVALID_INPUT", "field": "reason"}
    ]
    refused = await decide(world, referent, newcomer.id, False, "Personne inconnue de nos services.")
    assert refused == {"account": {"affiliationStatus": "REFUSED"}, "errors": []}
    [message] = await outbox.deliver()
    assert "Motif : Personne inconnue de nos services." in message.get_body(("plain",)).get_content()
    # A refused person may ask again (another structure, or the same after a misunderstanding).
    assert (await world.as_(newcomer, JOIN, {"id": org.id}))["data"]["affiliationRequest"]["errors"] == []


async def test_only_a_referent_of_that_structure_or_a_manager_decides(world: World, db):
    org, other = await world.structure(), await world.structure()
    newcomer = await world.person(org, status=AffiliationStatus.PENDING)
    outsiders = [
        await world.person(other, Role.REFERENT),
        await world.person(org, Role.EMPLOYER),
        await world.person(org),
        newcomer,
    ]
    for who in outsiders:
        assert (await decide(world, who, newcomer.id, True))["errors"][0]["code"] == "FORBIDDEN"
    manager = await world.manager()
    assert (await decide(world, manager, newcomer.id, True))["errors"] == []
    async with db.read() as session:
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "affiliation.confirm"))
    assert (entry.actor_id, entry.actor_role, entry.from_state, entry.to_state) == (
        manager.pk,
        "MANAGER",
        "PENDING",
        "ACTIVE",
    )


async def test_joining_is_refused_when_unverified_already_affiliated_or_not_validated(world: World):
    org = await world.structure()
    assert (await world.as_(await world.person(verified=False), JOIN, {"id": org.id}))["data"][
        "affiliationRequest"
    ]["errors"][0]["code"] == "EMAIL_NOT_VERIFIED"
    member = await world.person(await world.structure())
    assert (await world.as_(member, JOIN, {"id": org.id}))["data"]["affiliationRequest"]["errors"][0][
        "code"
    ] == "ALREADY_AFFILIATED"
    pending = await world.structure(status=StructureStatus.PENDING)
    assert (await world.as_(await world.person(), JOIN, {"id": pending.id}))["data"]["affiliationRequest"][
        "errors"
    ][0]["code"] == "STRUCTURE_NOT_VALIDATED"
    assert (await world.as_(await world.person(), JOIN, {"id": "Zm9vOjE="}))["data"]["affiliationRequest"][
        "errors"
    ][0]["code"] == "NOT_FOUND"


async def test_pending_affiliations_is_for_referents_and_managers(world: World):
    org = await world.structure()
    await world.person(org, status=AffiliationStatus.PENDING)
    assert (await world.as_(await world.person(org, Role.EMPLOYER), PENDING))["errors"][0]["extensions"][
        "code"
    ] == "FORBIDDEN"
    assert (await world.as_(None, PENDING))["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    other_referent = await world.person(await world.structure(), Role.REFERENT)
    assert (await world.as_(other_referent, PENDING))["data"]["pendingAffiliations"]["totalCount"] == 0
    assert (await world.as_(await world.manager(), PENDING))["data"]["pendingAffiliations"]["totalCount"] == 1


async def test_dashboard_lists_oldest_first_and_counts_the_overdue(world: World):
    await world.structure("Récente", StructureStatus.PENDING, age=timedelta(hours=2))
    await world.structure("Ancienne", StructureStatus.PENDING, age=timedelta(hours=60))
    org = await world.structure()
    late = await world.person(org, status=AffiliationStatus.PENDING, age=timedelta(hours=49))
    fresh = await world.person(org, status=AffiliationStatus.PENDING, age=timedelta(hours=1))
    dashboard = (await world.as_(await world.manager(), DASHBOARD))["data"]["managerDashboard"]
    assert dashboard == {
        "overdueCount": 2,
        "pendingStructures": {"edges": [{"node": {"name": "Ancienne"}}, {"node": {"name": "Récente"}}]},
        "pendingAffiliations": {"edges": [{"node": {"email": late.email}}, {"node": {"email": fresh.email}}]},
    }
    referent = await world.person(org, Role.REFERENT)
    refused = await world.as_(referent, DASHBOARD)
    assert refused["data"] is None
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
