"""T5 on the scheduler: reminders to accepted participants (PARCOURSPRO_REMINDER_DAYS, 7 and 1 days before),
once each, and the warning to the provider and managers when a session is under its minimum a week before."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from course import Course
from registration_ops import code, payload
from world import Seats, World

from parcourspro_gql.schema.relay import from_global_id

CREATE = """
mutation($input: TrainingSessionCreateInput!) {
  trainingSessionCreate(input: $input) { session { id } errors { code field } }
}
"""
CANCEL = """
mutation($id: ID!) { trainingSessionCancel(input: {sessionId: $id, reason: "Salle inondée"}) { errors { code } } }
"""


@pytest.fixture
def scheduler(db: Any) -> Any:
    from parcourspro_gql.scheduler import Scheduler

    return Scheduler(db)


async def fresh_session(course: Course, clock, minimum: int | None = 3) -> None:
    """A session of the course's training created by its provider (which schedules its reminders), 20 days
    ahead, that the course's next participants join."""
    now = clock.now()
    starts = now + timedelta(days=20)
    value = {
        "trainingId": course.seats.training_id,
        "startsAt": starts.isoformat(),
        "endsAt": (starts + timedelta(hours=7)).isoformat(),
        "location": "Cap Métiers, Pessac",
        "capacity": 10,
        "registrationOpensAt": (now - timedelta(days=1)).isoformat(),
        "registrationClosesAt": (starts - timedelta(days=2)).isoformat(),
        "minParticipants": minimum,
    }
    result = payload(await course.world.as_(course.trainer, CREATE, {"input": value}))
    assert result["errors"] == []
    pk = from_global_id(result["session"]["id"])[1]
    course.seats = Seats(course.seats.training_pk, pk, course.provider)
    course.accepted.clear()
    await course.accept("a", course.org, course.employer)
    await course.accept("b", course.other, course.other_employer)


def subjects(messages, start: str) -> list[str]:
    return sorted(message["To"] for message in messages if message["Subject"].startswith(start))


async def test_participants_are_reminded_a_week_and_a_day_before_once_each(
    course: Course, clock, scheduler, outbox
):
    await fresh_session(course, clock, minimum=None)
    participants = sorted(person.email for person, _ in course.accepted.values())
    await outbox.deliver()
    await scheduler.run_once()
    assert subjects(await outbox.deliver(), "[ParcoursPro] Rappel") == []
    clock.advance(timedelta(days=13, minutes=1))  # a week before the start
    await scheduler.run_once()
    week = await outbox.deliver()
    assert subjects(week, "[ParcoursPro] Rappel") == participants
    text = (
        next(m for m in week if m["Subject"].startswith("[ParcoursPro] Rappel"))
        .get_body(("plain",))
        .get_content()
    )
    assert "Cap Métiers, Pessac" in text
    await scheduler.run_once()
    assert subjects(await outbox.deliver(), "[ParcoursPro] Rappel") == []  # once
    clock.advance(timedelta(days=6))  # the day before
    await scheduler.run_once()
    assert subjects(await outbox.deliver(), "[ParcoursPro] Rappel") == participants
    clock.advance(timedelta(days=2))
    await scheduler.run_once()
    assert subjects(await outbox.deliver(), "[ParcoursPro] Rappel") == []


async def test_under_its_minimum_a_week_before_the_provider_and_managers_are_warned_once(
    course: Course, clock, scheduler, outbox, world: World
):
    manager = await world.manager()
    await fresh_session(course, clock, minimum=3)
    await outbox.deliver()
    clock.advance(timedelta(days=13, minutes=1))
    await scheduler.run_once()
    messages = await outbox.deliver()
    assert subjects(messages, "[ParcoursPro] Effectif insuffisant") == sorted(
        [course.trainer.email, manager.email]
    )
    warning = next(m for m in messages if m["To"] == course.trainer.email and "Effectif" in m["Subject"])
    text = warning.get_body(("plain",)).get_content()
    assert "2 participant(s) retenu(s), pour un minimum de" in text
    clock.advance(timedelta(hours=2))
    await scheduler.run_once()
    assert subjects(await outbox.deliver(), "[ParcoursPro] Effectif insuffisant") == []


async def test_a_session_at_its_minimum_warns_nobody(course: Course, clock, scheduler, outbox, world: World):
    await world.manager()
    await fresh_session(course, clock, minimum=2)
    await outbox.deliver()
    clock.advance(timedelta(days=13, minutes=1))
    await scheduler.run_once()
    assert subjects(await outbox.deliver(), "[ParcoursPro] Effectif insuffisant") == []


async def test_a_cancelled_session_reminds_nobody(course: Course, clock, scheduler, outbox):
    await fresh_session(course, clock)
    assert code(await course.world.as_(course.trainer, CANCEL, {"id": course.seats.session_id})) == "ok"
    await outbox.deliver()
    clock.advance(timedelta(days=19, hours=23))
    await scheduler.run_once()
    messages = await outbox.deliver()
    assert subjects(messages, "[ParcoursPro] Rappel") == []
    assert subjects(messages, "[ParcoursPro] Effectif insuffisant") == []


async def test_reminders_follow_a_start_that_moves(course: Course, clock, scheduler, outbox):
    await fresh_session(course, clock, minimum=None)
    update = """
    mutation($input: TrainingSessionUpdateInput!) { trainingSessionUpdate(input: $input) { errors { code } } }
    """
    later = clock.now() + timedelta(days=30)
    value = {
        "sessionId": course.seats.session_id,
        "startsAt": later.isoformat(),
        "endsAt": (later + timedelta(hours=7)).isoformat(),
        "reason": "Report d'une semaine et demie",
    }
    assert code(await course.world.as_(course.trainer, update, {"input": value})) == "ok"
    await outbox.deliver()
    clock.advance(timedelta(days=13, minutes=1))  # a week before the former start: nothing
    await scheduler.run_once()
    assert subjects(await outbox.deliver(), "[ParcoursPro] Rappel") == []
    clock.advance(timedelta(days=10))  # a week before the new one
    await scheduler.run_once()
    assert len(subjects(await outbox.deliver(), "[ParcoursPro] Rappel")) == 2
