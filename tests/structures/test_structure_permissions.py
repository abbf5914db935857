"""Who may do what, for every operation of structures and affiliation: role × operation × own/other structure.

Each cell reads "own/other": the outcome when the target belongs to the caller's own structure, then to
another one. `ok` = done; a code = refused with it (top-level for UNAUTHENTICATED and field permissions,
in the payload's errors for mutations); `null` = node(id) answers null; `-` = the operation has no target
structure (the same outcome is expected in both columns). U = UNAUTHENTICATED, F = FORBIDDEN,
A = ALREADY_AFFILIATED (every persona but the manager already belongs to a structure).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

import pytest
from world import Org, Person, World

from parcourspro_gql.models import AffiliationStatus, Role, StructureChange, StructureStatus
from parcourspro_gql.schema.relay import to_global_id

U, F, A = "UNAUTHENTICATED", "FORBIDDEN", "ALREADY_AFFILIATED"
ROLES = ("anonymous", "beneficiary", "employer", "referent", "provider", "manager")

# fmt: off
MATRIX: dict[str, tuple[str, ...]] = {
    # operation                 anonymous  beneficiary    employer       referent       provider       manager
    "structureRequest":       (U,         A + "-",       A + "-",       A + "-",       A + "-",       "ok-"),
    "structureValidate":      (U,         F + "-",       F + "-",       F + "-",       F + "-",       "ok-"),
    "structureReject":        (U,         F + "-",       F + "-",       F + "-",       F + "-",       "ok-"),
    "membershipGrant":        (U,         F,             F,             F,             F,             "ok/ok"),
    "membershipRevoke":       (U,         F,             F,             F,             F,             "ok/ok"),
    "affiliationRequest":     (U,         A,             A,             A,             A,             "ok/ok"),
    "affiliationConfirm":     (U,         F,             F,             "ok/" + F,     F,             "ok/ok"),
    "affiliationRefuse":      (U,         F,             F,             "ok/" + F,     F,             "ok/ok"),
    "roleGrantEmployer":      (U,         F,             F,             "ok/" + F,     F,             "ok/ok"),
    "roleRevokeEmployer":     (U,         F,             F,             "ok/" + F,     F,             "ok/ok"),
    "roleGrantProvider":      (U,         F,             F,             F,             F,             "ok/ok"),
    "referentTransfer":       (U,         F,             F,             "ok/" + F,     F,             "ok/ok"),
    "structureChangePropose": (U,         F,             F,             "ok/" + F,     F,             F),
    "structureChangeApprove": (U,         F,             F,             F,             F,             "ok/ok"),
    "structureAccounts":      (U,         F,             "ok/" + F,     "ok/" + F,     F,             "ok/ok"),
    "pendingAffiliations":    (U,         F + "-",       F + "-",       "ok-",         F + "-",       "ok-"),
    "managerDashboard":       (U,         F + "-",       F + "-",       F + "-",       F + "-",       "ok-"),
    "nodeAccount":            ("null",    "null",        "ok/null",     "ok/null",     "null",        "ok/ok"),
    "nodePendingStructure":   ("null-",   "null-",       "null-",       "null-",       "null-",       "ok-"),
}
# fmt: on


def expected(operation: str, role: str, scope: str) -> str:
    cell = MATRIX[operation][ROLES.index(role)]
    if cell.endswith("-"):
        return cell[:-1]
    own, _, other = cell.partition("/")
    return own if scope == "own" or not other else other


@dataclass
class Scene:
    world: World
    caller: Person | None
    own: Org
    other: Org
    now: Callable[[], datetime]

    def target(self, scope: str) -> Org:
        return self.own if scope == "own" else self.other


def outcome(body: dict, field: str | None = None) -> str:
    if body.get("errors"):
        return body["errors"][0]["extensions"]["code"]
    value = next(iter(body["data"].values()))
    if isinstance(value, dict) and "errors" in value:
        return value["errors"][0]["code"] if value["errors"] else "ok"
    return "null" if value is None else "ok"


async def mutation(scene: Scene, name: str, input_type: str, value: dict) -> str:
    query = f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ errors {{ code }} }} }}"
    return outcome(await scene.world.as_(scene.caller, query, {"input": value}))


async def pending_structure(scene: Scene) -> Org:
    return await scene.world.structure(status=StructureStatus.PENDING)


async def member(
    scene: Scene, scope: str, status: AffiliationStatus = AffiliationStatus.ACTIVE, *roles: Role
) -> Person:
    return await scene.world.person(scene.target(scope), *roles, status=status)


async def run_structure_request(scene: Scene, scope: str) -> str:
    value = {"name": "Nouvelle structure", "siret": "35600000049837", "apeCode": "85.59A",
             "address": {"street": "1 rue", "postalCode": "33000", "city": "Bordeaux"}}  # fmt: skip
    return await mutation(scene, "structureRequest", "StructureRequestInput", value)


async def run_structure_validate(scene: Scene, scope: str) -> str:
    org = await pending_structure(scene)
    return await mutation(scene, "structureValidate", "StructureDecisionInput", {"structureId": org.id})


async def run_structure_reject(scene: Scene, scope: str) -> str:
    org = await pending_structure(scene)
    return await mutation(
        scene, "structureReject", "StructureDecisionInput", {"structureId": org.id, "reason": "Inconnue"}
    )


async def run_membership_grant(scene: Scene, scope: str) -> str:
    value = {"structureId": scene.target(scope).id, "year": 2026}
    return await mutation(scene, "membershipGrant", "MembershipGrantInput", value)


async def run_membership_revoke(scene: Scene, scope: str) -> str:
    manager = await scene.world.manager()
    grant = (
        "mutation($id: ID!) { membershipGrant(input: {structureId: $id, year: 2026}) { errors { code } } }"
    )
    await scene.world.as_(manager, grant, {"id": scene.target(scope).id})
    value = {"structureId": scene.target(scope).id, "year": 2026, "reason": "Cotisation impayée"}
    return await mutation(scene, "membershipRevoke", "MembershipRevokeInput", value)


async def run_affiliation_request(scene: Scene, scope: str) -> str:
    return await mutation(
        scene, "affiliationRequest", "AffiliationRequestInput", {"structureId": scene.target(scope).id}
    )


async def run_affiliation_confirm(scene: Scene, scope: str) -> str:
    waiting = await member(scene, scope, AffiliationStatus.PENDING)
    return await mutation(scene, "affiliationConfirm", "AffiliationDecisionInput", {"accountId": waiting.id})


async def run_affiliation_refuse(scene: Scene, scope: str) -> str:
    waiting = await member(scene, scope, AffiliationStatus.PENDING)
    value = {"accountId": waiting.id, "reason": "Inconnu"}
    return await mutation(scene, "affiliationRefuse", "AffiliationDecisionInput", value)


async def run_role_grant_employer(scene: Scene, scope: str) -> str:
    colleague = await member(scene, scope)
    return await mutation(
        scene, "roleGrant", "RoleChangeInput", {"accountId": colleague.id, "role": "EMPLOYER"}
    )


async def run_role_revoke_employer(scene: Scene, scope: str) -> str:
    colleague = await member(scene, scope, AffiliationStatus.ACTIVE, Role.EMPLOYER)
    return await mutation(
        scene, "roleRevoke", "RoleChangeInput", {"accountId": colleague.id, "role": "EMPLOYER"}
    )


async def run_role_grant_provider(scene: Scene, scope: str) -> str:
    colleague = await member(scene, scope)
    return await mutation(
        scene, "roleGrant", "RoleChangeInput", {"accountId": colleague.id, "role": "PROVIDER"}
    )


async def run_referent_transfer(scene: Scene, scope: str) -> str:
    colleague = await member(scene, scope)
    return await mutation(scene, "referentTransfer", "ReferentTransferInput", {"accountId": colleague.id})


async def run_change_propose(scene: Scene, scope: str) -> str:
    value = {"structureId": scene.target(scope).id, "name": "Nom proposé"}
    return await mutation(scene, "structureChangePropose", "StructureChangeProposeInput", value)


async def run_change_approve(scene: Scene, scope: str) -> str:
    async with scene.world.db.transaction() as session:
        change = StructureChange(structure_id=scene.target(scope).pk, requested_at=scene.now(),
                                 name="Nom proposé", status=StructureStatus.PENDING)  # fmt: skip
        session.add(change)
        await session.flush()
        change_id = to_global_id("StructureChange", change.id)
    return await mutation(
        scene, "structureChangeApprove", "StructureChangeDecisionInput", {"changeId": change_id}
    )


async def run_structure_accounts(scene: Scene, scope: str) -> str:
    query = "query($id: ID!) { node(id: $id) { ... on Structure { accounts { totalCount } } } }"
    return outcome(await scene.world.as_(scene.caller, query, {"id": scene.target(scope).id}))


async def run_pending_affiliations(scene: Scene, scope: str) -> str:
    return outcome(await scene.world.as_(scene.caller, "{ pendingAffiliations { totalCount } }"))


async def run_manager_dashboard(scene: Scene, scope: str) -> str:
    return outcome(await scene.world.as_(scene.caller, "{ managerDashboard { overdueCount } }"))


async def run_node_account(scene: Scene, scope: str) -> str:
    somebody = await member(scene, scope)
    query = "query($id: ID!) { node(id: $id) { id } }"
    return outcome(await scene.world.as_(scene.caller, query, {"id": somebody.id}))


async def run_node_pending_structure(scene: Scene, scope: str) -> str:
    org = await pending_structure(scene)
    return outcome(
        await scene.world.as_(scene.caller, "query($id: ID!) { node(id: $id) { id } }", {"id": org.id})
    )


RUNNERS: dict[str, Callable[[Scene, str], Awaitable[str]]] = {
    "structureRequest": run_structure_request,
    "structureValidate": run_structure_validate,
    "structureReject": run_structure_reject,
    "membershipGrant": run_membership_grant,
    "membershipRevoke": run_membership_revoke,
    "affiliationRequest": run_affiliation_request,
    "affiliationConfirm": run_affiliation_confirm,
    "affiliationRefuse": run_affiliation_refuse,
    "roleGrantEmployer": run_role_grant_employer,
    "roleRevokeEmployer": run_role_revoke_employer,
    "roleGrantProvider": run_role_grant_provider,
    "referentTransfer": run_referent_transfer,
    "structureChangePropose": run_change_propose,
    "structureChangeApprove": run_change_approve,
    "structureAccounts": run_structure_accounts,
    "pendingAffiliations": run_pending_affiliations,
    "managerDashboard": run_manager_dashboard,
    "nodeAccount": run_node_account,
    "nodePendingStructure": run_node_pending_structure,
}
ROLE_GRANTS = {"employer": (Role.EMPLOYER,), "referent": (Role.REFERENT,), "provider": (Role.PROVIDER,)}


@pytest.mark.parametrize("scope", ["own", "other"])
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("operation", list(MATRIX))
async def test_permission_matrix(world: World, clock, operation: str, role: str, scope: str):
    own, other = await world.structure("Structure A"), await world.structure("Structure B")
    # Each structure keeps a referent of its own, so that no rule but the permission one can refuse.
    await world.person(own, Role.REFERENT)
    await world.person(other, Role.REFERENT)
    if role == "anonymous":
        caller = None
    elif role == "manager":
        caller = await world.manager()
    else:
        caller = await world.person(own, *ROLE_GRANTS.get(role, ()))
    scene = Scene(world, caller, own, other, clock.now)
    assert await RUNNERS[operation](scene, scope) == expected(operation, role, scope)


def test_every_operation_of_the_area_is_in_the_matrix():
    assert set(MATRIX) == set(RUNNERS)
    assert all(len(row) == len(ROLES) for row in MATRIX.values())
