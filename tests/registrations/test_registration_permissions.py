"""Who may do what on registrations and the catalogue: role × operation × own/other structure.

registrationRequest has no "other structure" (one asks for oneself): its refusals are tested in
test_registration_request.py. "own" = the registration belongs to a person of the caller's structure and is
for a session of a training of the caller's structure (the provider's case), "other" = both belong to
other structures. `ok` = done,
a code = refused with it, `null` = node(id) answers null, `-` = no structure involved (same in both).
"""

from __future__ import annotations

import pytest
from registration_ops import CANCEL, MOTIVATION, REFUSE, REJECT, SELECT, VALIDATE, WAITLIST, code
from world import World, training_session

from parcourspro_gql.clock import clock
from parcourspro_gql.models import Registration, RegistrationStatus, Role
from parcourspro_gql.schema.relay import to_global_id

U, F, N = "UNAUTHENTICATED", "FORBIDDEN", "null"
ROLES = ("anonymous", "beneficiary", "employer", "referent", "provider", "manager")
# fmt: off
MATRIX: dict[str, tuple[str, ...]] = {
    # operation                anonymous  beneficiary  employer     referent     provider     manager
    "registrationValidate":  (U,         F,           "ok/" + F,   F,           F,           "ok/ok"),
    "registrationRefuse":    (U,         F,           "ok/" + F,   F,           F,           "ok/ok"),
    "registrationSelect":    (U,         F,           F,           F,           "ok/" + F,   "ok/ok"),
    "registrationWaitlist":  (U,         F,           F,           F,           "ok/" + F,   "ok/ok"),
    "registrationReject":    (U,         F,           F,           F,           "ok/" + F,   "ok/ok"),
    "registrationCancel":    (U,         F,           "ok/" + F,   F,           "ok/" + F,   "ok/ok"),
    "nodeRegistration":      (N,         N,           "ok/" + N,   N,           "ok/" + N,   "ok/ok"),
    "sessionRegistrations":  (U,         F,           F,           F,           "ok/" + F,   "ok/ok"),
    "employerOverview":      (U,         F + "-",     "ok-",       F + "-",     F + "-",     F + "-"),
    "trainingCreate":        (U,         F + "-",     F + "-",     F + "-",     F + "-",     "ok-"),
    "trainingSessionCreate": (U,         F,           F,           F,           "ok/" + F,   "ok/ok"),
}
# fmt: on
STATE = {
    "registrationValidate": RegistrationStatus.PENDING_EMPLOYER,
    "registrationRefuse": RegistrationStatus.PENDING_EMPLOYER,
    "registrationCancel": RegistrationStatus.PENDING_EMPLOYER,
}
DOCUMENTS = {
    "registrationValidate": VALIDATE,
    "registrationRefuse": REFUSE,
    "registrationSelect": SELECT,
    "registrationWaitlist": WAITLIST,
    "registrationReject": REJECT,
    "registrationCancel": CANCEL,
}


def expected(operation: str, role: str, scope: str) -> str:
    cell = MATRIX[operation][ROLES.index(role)]
    if cell.endswith("-"):
        return cell[:-1]
    own, _, other = cell.partition("/")
    return own if scope == "own" or not other else other


def outcome(body: dict) -> str:
    if body.get("errors"):
        return body["errors"][0]["extensions"]["code"]
    value = next(iter(body["data"].values()))
    return N if value is None else code(body)


@pytest.mark.parametrize("scope", ["own", "other"])
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("operation", list(MATRIX))
async def test_permission_matrix(world: World, operation: str, role: str, scope: str):
    mine, theirs = await world.structure("Ma structure"), await world.structure("Une autre structure")
    target = mine if scope == "own" else theirs
    # The session's training is run by the target structure; the person who asked belongs to it too.
    seats = await training_session(world, target)
    person = await world.person(target)
    async with world.db.transaction() as session:
        row = Registration(
            beneficiary_id=person.pk,
            session_id=seats.session_pk,
            training_id=seats.training_pk,
            structure_id=target.pk,
            motivation=MOTIVATION,
            status=STATE.get(operation, RegistrationStatus.PENDING_PROVIDER),
            over_structure_cap=False,
            requested_at=clock.now(),
            updated_at=clock.now(),
        )
        session.add(row)
        await session.flush()
        registration_id = to_global_id("Registration", row.id)
    grants = {"employer": Role.EMPLOYER, "referent": Role.REFERENT, "provider": Role.PROVIDER}
    caller = (
        None
        if role == "anonymous"
        else await world.manager()
        if role == "manager"
        else (await world.person(mine, *([grants[role]] if role in grants else [])))
    )

    if operation in DOCUMENTS:
        body = await world.as_(caller, DOCUMENTS[operation], {"id": registration_id, "reason": "Motif"})
    elif operation == "nodeRegistration":
        body = await world.as_(caller, "query($id: ID!) { node(id: $id) { id } }", {"id": registration_id})
    elif operation == "sessionRegistrations":
        query = (
            "query($id: ID!) { node(id: $id) { ... on TrainingSession { registrations { totalCount } } } }"
        )
        body = await world.as_(caller, query, {"id": seats.session_id})
    elif operation == "employerOverview":
        body = await world.as_(caller, "{ employerOverview { pendingCount } }")
    elif operation == "trainingCreate":
        document = """mutation($p: ID!) {
          trainingCreate(input: {title: "Titre", description: "D", objectives: "O", format: WEBINAR,
            reservedToMembers: false, durationHours: 2, providerStructureId: $p}) { errors { code } } }"""
        body = await world.as_(caller, document, {"p": target.id})
    else:
        start = clock.now().replace(year=clock.now().year + 1)
        document = """mutation($t: ID!, $s: DateTime!, $e: DateTime!, $o: DateTime!, $c: DateTime!) {
          trainingSessionCreate(input: {trainingId: $t, startsAt: $s, endsAt: $e, location: "Pessac", capacity: 5,
            registrationOpensAt: $o, registrationClosesAt: $c}) { errors { code } } }"""
        body = await world.as_(
            caller,
            document,
            {
                "t": seats.training_id,
                "s": start.isoformat(),
                "e": start.replace(hour=17).isoformat(),
                "o": clock.now().isoformat(),
                "c": start.replace(month=1, day=1).isoformat(),
            },
        )
    assert outcome(body) == expected(operation, role, scope), body
