"""40 simultaneous selections for a 10-seat session: exactly 10 seats are given, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections import Counter

from registration_ops import SELECT, code
from sqlalchemy import select
from world import World, training_session

from parcourspro_gql.clock import clock
from parcourspro_gql.models import Registration, RegistrationStatus, Role, TrainingSession
from parcourspro_gql.schema.relay import to_global_id


async def test_forty_concurrent_selections_accept_exactly_ten(world: World, db):
    provider = await world.structure("Institut de Formation")
    trainer = await world.person(provider, Role.PROVIDER)
    org = await world.structure("Mission Locale")
    seats = await training_session(world, provider, capacity=10)
    people = [await world.person(org) for _ in range(40)]
    async with db.transaction() as session:
        rows = [
            Registration(
                beneficiary_id=person.pk,
                session_id=seats.session_pk,
                training_id=seats.training_pk,
                structure_id=org.pk,
                motivation="m" * 30,
                status=RegistrationStatus.PENDING_PROVIDER,
                over_structure_cap=False,
                requested_at=clock.now(),
                updated_at=clock.now(),
            )
            for person in people
        ]
        session.add_all(rows)
        await session.flush()
        ids = [to_global_id("Registration", row.id) for row in rows]

    answers = await asyncio.gather(*(world.as_(trainer, SELECT, {"id": pk, "reason": None}) for pk in ids))
    assert Counter(code(answer) for answer in answers) == {"ok": 10, "SESSION_FULL": 30}
    async with db.read() as session:
        statuses = Counter(await session.scalars(select(Registration.status)))
        taken = await session.scalar(select(TrainingSession.seats_taken))
    assert statuses == {RegistrationStatus.ACCEPTED: 10, RegistrationStatus.PENDING_PROVIDER: 30}
    assert taken == 10
