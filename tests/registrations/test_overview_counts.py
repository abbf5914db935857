"""employerOverview's counts and its lists' totalCount come from counters that the database keeps beside the
registrations (issue 19): they must say what counting the registrations says, after every kind of change."""

from __future__ import annotations

from datetime import datetime, timedelta

from registration_ops import CANCEL, MOTIVATION, REFUSE, REQUEST, SELECT, VALIDATE, payload
from sqlalchemy import delete, func, select, update
from world import World, training_session

from parcourspro_gql.clock import clock
from parcourspro_gql.models import Registration, RegistrationStatus, Role

S = RegistrationStatus
OVERVIEW = """
query($status: RegistrationStatus) {
  employerOverview {
    pendingCount validatedCount refusedCount
    all: registrations(first: 1) { totalCount }
    some: registrations(first: 1, status: $status) { totalCount }
  }
}
"""


async def truth(world: World, structure_id: int, status: S) -> tuple[int, int, int, int, int]:
    """What counting the structure's registrations says, in the overview's terms."""
    of = Registration.structure_id == structure_id
    decided = Registration.employer_decision_at.is_not(None)
    async with world.db.read() as session:
        row = (
            await session.execute(
                select(
                    func.count().filter(Registration.status == S.PENDING_EMPLOYER),
                    func.count().filter(decided, Registration.status != S.REFUSED_BY_EMPLOYER),
                    func.count().filter(Registration.status == S.REFUSED_BY_EMPLOYER),
                    func.count(),
                    func.count().filter(Registration.status == status),
                ).where(of)
            )
        ).one()
    return tuple(row)  # type: ignore[return-value]


async def seen(world: World, employer, status: S) -> tuple[int, int, int, int, int]:
    overview = (await world.as_(employer, OVERVIEW, {"status": status.name}))["data"]["employerOverview"]
    return (
        overview["pendingCount"],
        overview["validatedCount"],
        overview["refusedCount"],
        overview["all"]["totalCount"],
        overview["some"]["totalCount"],
    )


async def test_counts_follow_every_decision(world: World):
    provider = await world.structure("Institut de Formation")
    trainer = await world.person(provider, Role.PROVIDER)
    org = await world.structure("Mission Locale")
    employer = await world.person(org, Role.EMPLOYER)
    seats = await training_session(world, provider, capacity=10)
    assert await seen(world, employer, S.PENDING_EMPLOYER) == (0, 0, 0, 0, 0)

    ids = []
    for _ in range(4):
        body = await world.as_(
            await world.person(org), REQUEST, {"session": seats.session_id, "motivation": MOTIVATION}
        )
        ids.append(payload(body)["registration"]["id"])
    assert await seen(world, employer, S.PENDING_EMPLOYER) == (4, 0, 0, 4, 4)

    payload(await world.as_(employer, VALIDATE, {"id": ids[0]}))
    payload(await world.as_(employer, VALIDATE, {"id": ids[1]}))
    payload(await world.as_(trainer, SELECT, {"id": ids[1]}))
    payload(await world.as_(employer, REFUSE, {"id": ids[2], "reason": "Pas cette année."}))
    payload(await world.as_(employer, CANCEL, {"id": ids[3], "reason": "Départ de la personne."}))
    for status in (S.PENDING_PROVIDER, S.ACCEPTED, S.REFUSED_BY_EMPLOYER, S.CANCELLED):
        expected = await truth(world, org.pk, status)
        assert await seen(world, employer, status) == expected, status
    # pending: none; validated: the two validated (the cancelled one was never decided by the employer).
    assert (await seen(world, employer, S.ACCEPTED))[:4] == (0, 2, 1, 4)


async def test_counts_follow_writes_made_outside_the_domain(world: World):
    """A purge, a bulk correction or a script writes the table directly: the counters still follow."""
    provider = await world.structure("Institut de Formation")
    org = await world.structure("Mission Locale")
    other = await world.structure("Autre structure")
    employer = await world.person(org, Role.EMPLOYER)
    seats = await training_session(world, provider, capacity=10)
    async with world.db.transaction() as session:
        for i in range(6):
            person = await world.person(org)
            session.add(
                Registration(
                    beneficiary_id=person.pk,
                    session_id=seats.session_pk,
                    training_id=seats.training_pk,
                    structure_id=org.pk,
                    motivation=MOTIVATION,
                    status=S.PENDING_EMPLOYER if i % 2 else S.ACCEPTED,
                    over_structure_cap=False,
                    requested_at=seats_time(i),
                    updated_at=seats_time(i),
                    employer_decision_at=None if i % 2 else seats_time(i),
                )
            )
    assert await seen(world, employer, S.ACCEPTED) == await truth(world, org.pk, S.ACCEPTED)
    async with world.db.transaction() as session:
        await session.execute(
            update(Registration)
            .where(Registration.status == S.PENDING_EMPLOYER)
            .values(status=S.REFUSED_BY_EMPLOYER, employer_decision_at=seats_time(9))
        )
        first = await session.scalar(select(func.min(Registration.id)))
        await session.execute(
            update(Registration).where(Registration.id == first).values(structure_id=other.pk)
        )
    assert await seen(world, employer, S.REFUSED_BY_EMPLOYER) == await truth(
        world, org.pk, S.REFUSED_BY_EMPLOYER
    )
    async with world.db.transaction() as session:
        await session.execute(delete(Registration).where(Registration.status == S.ACCEPTED))
    assert (
        await seen(world, employer, S.ACCEPTED) == await truth(world, org.pk, S.ACCEPTED) == (0, 0, 3, 3, 0)
    )


def seats_time(minutes: int) -> datetime:
    return clock.now() - timedelta(minutes=minutes)
