"""The maintained counters (`registration_counts`, issue 19) through the whole registration life cycle: seat
offers accepted, declined and left to expire, a cancellation, and the requests still undecided at the start
closed as EXPIRED by the scheduler (G7', G9). After each step the counters are what a COUNT(*) of the
registrations says, status by status, for every structure, and the overview reads them."""

from __future__ import annotations

from datetime import timedelta

from registration_ops import CANCEL, MOTIVATION, REQUEST, SELECT, VALIDATE, WAITLIST, code, payload
from sqlalchemy import text
from world import Org, Person, World, training_session

from parcourspro_gql.models import Role

ACCEPT = """
mutation($id: ID!) { seatOfferAccept(input: {registrationId: $id}) { errors { code } } }
"""
DECLINE = """
mutation($id: ID!) { seatOfferDecline(input: {registrationId: $id}) { errors { code } } }
"""
OVERVIEW = "{ employerOverview { pendingCount validatedCount refusedCount registrations { totalCount } } }"


async def counted(world: World) -> set[tuple[int, str, bool, int]]:
    """COUNT(*) of the registrations, per structure, status and 'decided by the employer'."""
    async with world.db.read() as session:
        rows = await session.execute(
            text(
                "SELECT structure_id, status, employer_decision_at IS NOT NULL, count(*) FROM registrations "
                "GROUP BY structure_id, status, employer_decision_at IS NOT NULL"
            )
        )
        return {(row[0], row[1], bool(row[2]), row[3]) for row in rows}


async def kept(world: World) -> set[tuple[int, str, bool, int]]:
    """The counters the triggers keep (a row whose count fell to 0 stays, at 0)."""
    async with world.db.read() as session:
        rows = await session.execute(
            text("SELECT structure_id, status, employer_decided, n FROM registration_counts WHERE n <> 0")
        )
        return {(row[0], row[1], bool(row[2]), row[3]) for row in rows}


async def assert_exact(world: World) -> set[tuple[int, str, bool, int]]:
    truth = await counted(world)
    assert await kept(world) == truth
    return truth


def fresh(world: World, person: Person) -> Person:
    person.token = world.tokens.issue(person.pk)
    return person


async def test_counters_stay_exact_through_offers_expiry_and_closing_at_the_start(
    world: World, scheduler, clock
):
    provider = await world.structure("Institut de Formation")
    trainer = await world.person(provider, Role.PROVIDER)
    seats = await training_session(world, provider, capacity=1, starts_in=timedelta(days=10))
    org: Org = await world.structure("Mission Locale")
    employer = await world.person(org, Role.EMPLOYER)

    async def request(person: Person) -> str:
        body = await world.as_(person, REQUEST, {"session": seats.session_id, "motivation": MOTIVATION})
        return str(payload(body)["registration"]["id"])

    async def join(move: str | None) -> tuple[Person, str]:
        # Each in a structure of its own, so that no structure cap (G4') changes the moves.
        own = await world.structure()
        boss = await world.person(own, Role.EMPLOYER)
        person = await world.person(own)
        registration_id = await request(person)
        assert code(await world.as_(boss, VALIDATE, {"id": registration_id})) == "ok"
        if move is not None:
            assert code(await world.as_(trainer, move, {"id": registration_id})) == "ok"
        return person, registration_id

    holder, holder_id = await join(SELECT)
    line = [await join(WAITLIST) for _ in range(3)]
    await join(None)  # PENDING_PROVIDER until the start
    pending = [await request(await world.person(org)) for _ in range(2)]  # PENDING_EMPLOYER, never decided
    assert code(await world.as_(employer, VALIDATE, {"id": pending[0]})) == "ok"
    await assert_exact(world)

    # The seat is freed: the first in line holds an offer (still WAITLISTED), then takes it.
    body = await world.as_(fresh(world, holder), CANCEL, {"id": holder_id, "reason": "Empêchement"})
    assert code(body) == "ok"
    (first, first_id), (second, second_id), _third = line
    await assert_exact(world)
    assert code(await world.as_(fresh(world, first), ACCEPT, {"id": first_id})) == "ok"
    await assert_exact(world)

    # Freed again: the second declines (CANCELLED), the third is offered the seat and lets it expire.
    assert (
        code(await world.as_(fresh(world, first), CANCEL, {"id": first_id, "reason": "Empêchement"})) == "ok"
    )
    assert code(await world.as_(fresh(world, second), DECLINE, {"id": second_id})) == "ok"
    await assert_exact(world)
    clock.advance(timedelta(hours=49))
    await scheduler.run_once()
    truth = await assert_exact(world)
    assert any(status == "EXPIRED" for _, status, _, _ in truth)

    # At the start, every request still undecided (PENDING_EMPLOYER, PENDING_PROVIDER) is closed as EXPIRED.
    clock.advance(timedelta(days=10))
    await scheduler.run_once()
    truth = await assert_exact(world)
    statuses = {status for _, status, _, _ in truth}
    assert {"PENDING_EMPLOYER", "PENDING_PROVIDER", "WAITLISTED"}.isdisjoint(statuses), truth
    expired = sum(n for _, status, _, n in truth if status == "EXPIRED")
    assert expired == 4  # the third's offer, the provider's undecided request, the organisation's two

    overview = (await world.as_(fresh(world, employer), OVERVIEW))["data"]["employerOverview"]
    # The organisation's two requests expired: one decided by the employer (validated), one never decided.
    assert overview == {
        "pendingCount": 0,
        "validatedCount": 1,
        "refusedCount": 0,
        "registrations": {"totalCount": 2},
    }
