"""G11: a session's year is its start's year in Paris (quotas, membership); Account.quota shows what is used and
left to the person, his employers and managers. Also G5' (secondPhaseOpensAt at creation) and employerOverview
with an unknown or foreign structure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from registration_ops import CANCEL, MOTIVATION, REQUEST, code, payload
from world import World, member_of, training_session

from parcourspro_gql.models import Account, Registration, RegistrationStatus, Role, TrainingFormat
from parcourspro_gql.schema.relay import to_global_id

QUOTA = """
query($id: ID!, $year: Int) {
  node(id: $id) { ... on Account { quota(year: $year) { year used limit formationsUsed formationsLimit } } }
}
"""
CREATE_SESSION = """
mutation($input: TrainingSessionCreateInput!) {
  trainingSessionCreate(input: $input) { session { id secondPhaseOpensAt } errors { code field } }
}
"""
OVERVIEW = "query($id: ID) { employerOverview(structureId: $id) { pendingCount structure { name } } }"


async def test_the_year_of_a_session_is_its_start_in_paris(world: World, clock):
    # 31 December 2026, 23:30 UTC is 1 January 2027, 00:30 in Paris: a 2027 action.
    clock.freeze(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    provider = await world.structure("Institut de Formation")
    org = await world.structure("Mission Locale")
    await world.person(org, Role.EMPLOYER)
    manager = await world.manager()
    starts = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    edge = await training_session(world, provider, reserved=True, starts_in=starts - clock.now())
    person = await world.person(org)
    # Membership of 2026 only: the 2027 action is refused, and the refusal names 2027.
    await member_of(world, org, 2026)
    refused = payload(
        await world.as_(person, REQUEST, {"session": edge.session_id, "motivation": MOTIVATION})
    )
    assert refused["errors"][0]["code"] == "MEMBERSHIP_REQUIRED"
    assert "2027" in refused["errors"][0]["message"]
    await member_of(world, org, 2027)
    registered = payload(
        await world.as_(person, REQUEST, {"session": edge.session_id, "motivation": MOTIVATION})
    )
    assert registered["errors"] == []
    for year, used in ((2026, 0), (2027, 1)):
        body = await world.as_(manager, QUOTA, {"id": person.id, "year": year})
        assert body["data"]["node"]["quota"] == {
            "year": year,
            "used": used,
            "limit": 5,
            "formationsUsed": used,
            "formationsLimit": 3,
        }
    # Without a year: the current one in Paris (still 2026 here).
    assert (await world.as_(person, QUOTA, {"id": person.id}))["data"]["node"]["quota"]["year"] == 2026


async def test_the_quota_counts_live_member_actions_and_frees_a_cancelled_one(world: World, clock):
    provider = await world.structure("Institut de Formation")
    org = await world.structure("Mission Locale")
    employer = await world.person(org, Role.EMPLOYER)
    await member_of(world, org, 2026)
    person = await world.person(org)
    year = 2026
    formation = await training_session(world, provider, reserved=True, starts_in=timedelta(days=20))
    webinar = await training_session(
        world, provider, reserved=True, format=TrainingFormat.WEBINAR, title="Webinaire"
    )
    free = await training_session(world, provider, reserved=False, title="Ouverte à tous")
    ids = []
    for seats in (formation, webinar, free):
        body = await world.as_(person, REQUEST, {"session": seats.session_id, "motivation": MOTIVATION})
        ids.append(payload(body)["registration"]["id"])
    quota = (await world.as_(employer, QUOTA, {"id": person.id, "year": year}))["data"]["node"]["quota"]
    assert (quota["used"], quota["formationsUsed"]) == (2, 1)
    assert code(await world.as_(person, CANCEL, {"id": ids[0], "reason": "Empêchement"})) == "ok"
    quota = (await world.as_(person, QUOTA, {"id": person.id, "year": year}))["data"]["node"]["quota"]
    assert (quota["used"], quota["formationsUsed"]) == (1, 0)
    # Nobody else sees it: another structure's employer, a colleague.
    stranger = await world.person(await world.structure("Autre"), Role.EMPLOYER)
    body = await world.as_(stranger, QUOTA, {"id": person.id, "year": year})
    assert (
        body["data"] is None
        or body["data"]["node"] is None
        or body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    )
    colleague = await world.person(org)
    body = await world.as_(colleague, QUOTA, {"id": person.id, "year": year})
    assert body["data"] is None or body["data"]["node"] is None


async def test_new_fields_cost_the_same_statements_for_two_and_for_twenty_rows(
    world: World, db, statements, clock
):
    """waitlistPosition, seatOffer, waitlistCount, secondPhaseOpensAt and Account.quota on a page of
    registrations: one batched statement each, whatever the number of rows."""
    provider = await world.structure("Institut de Formation")
    manager = await world.manager()  # sees the quota of anyone (a provider does not)
    seats = await training_session(world, provider, reserved=True)
    query = """
    query($id: ID!) { node(id: $id) { ... on TrainingSession { registrations(first: 50) { edges { node {
      waitlistPosition seatOffer { expiresAt } session { waitlistCount secondPhaseOpensAt }
      beneficiary { quota { used formationsUsed } }
    } } } } } }
    """
    counts = []
    made = 0
    for total in (2, 20):
        people = [await world.person(await world.structure()) for _ in range(total - made)]
        async with db.transaction() as session:
            for person in people:
                session.add(
                    Registration(
                        beneficiary_id=person.pk,
                        session_id=seats.session_pk,
                        training_id=seats.training_pk,
                        structure_id=(await session.get(Account, person.pk)).structure_id,
                        motivation=MOTIVATION,
                        status=RegistrationStatus.WAITLISTED,
                        over_structure_cap=False,
                        requested_at=clock.now() + timedelta(seconds=made),
                        updated_at=clock.now(),
                        # Every other one holds an offer (its seat counted, out of the waiting list).
                        offered_seat_at=clock.now() if made % 2 else None,
                        offer_expires_at=clock.now() + timedelta(hours=1) if made % 2 else None,
                    )
                )
                made += 1
        statements.reset()
        body = await world.as_(manager, query, {"id": seats.session_id})
        assert "errors" not in body, body
        edges = body["data"]["node"]["registrations"]["edges"]
        assert len(edges) == total
        assert sorted(e["node"]["waitlistPosition"] for e in edges if e["node"]["waitlistPosition"]) == list(
            range(1, total // 2 + 1)
        )
        assert {e["node"]["beneficiary"]["quota"]["used"] for e in edges} == {1}
        counts.append(statements.count)
    assert counts[0] == counts[1]


async def test_second_phase_is_set_at_creation_within_the_window(world: World, clock):
    provider = await world.structure("Institut de Formation")
    trainer = await world.person(provider, Role.PROVIDER)
    seats = await training_session(world, provider)
    start = clock.now() + timedelta(days=30)
    value = {
        "trainingId": seats.training_id,
        "startsAt": start.isoformat(),
        "endsAt": (start + timedelta(hours=7)).isoformat(),
        "location": "Pessac",
        "capacity": 12,
        "registrationOpensAt": clock.now().isoformat(),
        "registrationClosesAt": (start - timedelta(days=3)).isoformat(),
    }
    phase = clock.now() + timedelta(days=7)
    created = payload(
        await world.as_(trainer, CREATE_SESSION, {"input": value | {"secondPhaseOpensAt": phase.isoformat()}})
    )
    assert created["errors"] == []
    assert created["session"]["secondPhaseOpensAt"] == phase.isoformat()
    late = start.isoformat()
    refused = payload(
        await world.as_(trainer, CREATE_SESSION, {"input": value | {"secondPhaseOpensAt": late}})
    )
    assert refused["errors"] == [{"code": "INVALID_INPUT", "field": "secondPhaseOpensAt"}]
    plain = payload(await world.as_(trainer, CREATE_SESSION, {"input": value}))
    assert plain["session"]["secondPhaseOpensAt"] is None


async def test_employer_overview_with_an_unknown_or_foreign_structure(world: World):
    manager = await world.manager()
    org = await world.structure("Mission Locale")
    employer = await world.person(org, Role.EMPLOYER)
    other = await world.structure("Autre")
    unknown = to_global_id("Structure", 999_999)
    for who in (manager, employer):
        body = await world.as_(who, OVERVIEW, {"id": unknown})
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    body = await world.as_(employer, OVERVIEW, {"id": other.id})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = await world.as_(manager, OVERVIEW, {"id": other.id})
    assert body["data"]["employerOverview"] == {"pendingCount": 0, "structure": {"name": "Autre"}}
