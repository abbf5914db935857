"""attendanceRecord: once the session has started, the provider records the half-days each participant
attended; ATTENDED or ABSENT with the rate, attestations available, employers told; refusals; audit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from course import RECORD, Course
from registration_ops import code, payload
from sqlalchemy import select
from world import World

from parcourspro_gql.models import AuditEntry, Role, TrainingSession


async def test_nothing_is_recorded_before_the_session_starts(course: Course):
    body = await course.record(4, {"org0": 4})
    assert code(body) == "SESSION_NOT_STARTED"
    assert body["data"]["attendanceRecord"]["errors"][0]["field"] == "sessionId"


async def test_recording_sets_status_rate_and_documents(course: Course, clock):
    course.start(clock)
    body = await course.record(4, {"org0": 3, "other0": 0})
    result = payload(body)
    assert result["errors"] == []
    by_id = {registration["id"]: registration for registration in result["registrations"]}
    attended = by_id[course.accepted["org0"][1]]
    absent = by_id[course.accepted["other0"][1]]
    assert (attended["status"], attended["attendanceRate"]) == ("ATTENDED", 0.75)
    assert (absent["status"], absent["attendanceRate"]) == ("ABSENT", 0.0)
    assert "ATTESTATION" in await course.documents("org0")
    assert "ATTESTATION" not in await course.documents("other0")
    assert set(await course.documents("other0")) == {"CONVOCATION", "CONVENTION"}


async def test_each_employer_is_told_of_his_people_attendance(course: Course, clock, outbox):
    course.start(clock)
    await outbox.deliver()
    assert code(await course.record(4, {"org0": 4, "other0": 1})) == "ok"
    messages = {
        message["To"]: message
        for message in await outbox.deliver()
        if message["Subject"].startswith("[ParcoursPro] Présence")
    }
    assert set(messages) == {course.employer.email, course.other_employer.email}
    text = messages[course.employer.email].get_body(("plain",)).get_content()
    assert "présent(e), 4 demi-journée(s), assiduité 100 %" in text
    other = messages[course.other_employer.email].get_body(("plain",)).get_content()
    assert "assiduité 25 %" in other
    assert "100 %" not in other


async def test_a_later_call_corrects_the_figures_and_is_audited(course: Course, clock, db):
    course.start(clock)
    assert code(await course.record(4, {"org0": 0})) == "ok"
    result = payload(await course.record(4, {"org0": 2}))
    assert [(r["status"], r["attendanceRate"]) for r in result["registrations"]] == [("ATTENDED", 0.5)]
    async with db.read() as session:
        moves = list(
            await session.execute(
                select(AuditEntry.from_state, AuditEntry.to_state)
                .where(AuditEntry.action == "registration.attendance")
                .order_by(AuditEntry.id)
            )
        )
        item = await session.get(TrainingSession, course.seats.session_pk)
    assert [tuple(move) for move in moves] == [("ACCEPTED", "ABSENT"), ("ABSENT", "ATTENDED")]
    assert item is not None
    assert item.half_days == 4
    assert item.attendance_recorded_at is not None


@pytest.mark.parametrize(
    ("half_days", "entries", "expected", "field"),
    [
        (0, {"org0": 0}, "INVALID_INPUT", "halfDays"),
        (41, {"org0": 1}, "INVALID_INPUT", "halfDays"),
        (4, {"org0": 5}, "INVALID_INPUT", "entries.0.halfDaysAttended"),
        (4, {"org0": -1}, "INVALID_INPUT", "entries.0.halfDaysAttended"),
        (4, {}, "INVALID_INPUT", "entries"),
    ],
)
async def test_bad_figures_are_refused_with_the_field(
    course: Course, clock, half_days, entries, expected, field
):
    course.start(clock)
    body = await course.record(half_days, entries)
    assert code(body) == expected
    assert body["data"]["attendanceRecord"]["errors"][0]["field"] == field


async def test_someone_who_is_not_a_participant_cannot_be_recorded(world: World, course: Course, clock):
    _, pending = await course.ask(course.org)
    course.start(clock)
    variables = {
        "session": course.seats.session_id,
        "halfDays": 2,
        "entries": [{"registrationId": pending, "halfDaysAttended": 1}],
    }
    body = await world.as_(course.trainer, RECORD, variables)
    assert code(body) == "NOT_FOUND"
    assert body["data"]["attendanceRecord"]["errors"][0]["field"] == "entries.0"
    twice = {
        **variables,
        "entries": [{"registrationId": course.accepted["org0"][1], "halfDaysAttended": 1}] * 2,
    }
    assert code(await world.as_(course.trainer, RECORD, twice)) == "INVALID_INPUT"


async def test_nothing_is_half_written_when_one_entry_is_wrong(course: Course, clock):
    course.start(clock)
    assert code(await course.record(4, {"org0": 4, "other0": 9})) == "INVALID_INPUT"
    documents = await course.documents("org0")
    assert "ATTESTATION" not in documents


async def test_only_the_sessions_provider_or_a_manager_records(world: World, course: Course, clock):
    outsider = await world.person(await world.structure("Autre Organisme"), Role.PROVIDER)
    manager = await world.manager()
    course.start(clock)
    outsider.token, manager.token = world.tokens.issue(outsider.pk), world.tokens.issue(manager.pk)
    for who in (outsider, course.employer, course.referent, course.accepted["org0"][0]):
        assert code(await course.record(4, {"org0": 4}, who)) == "FORBIDDEN"
    assert code(await course.record(4, {"org0": 4}, manager)) == "ok"


async def test_session_start_is_the_limit(course: Course, clock):
    course.start(clock, timedelta(days=30) - timedelta(minutes=1))
    assert code(await course.record(2, {"org0": 2})) == "SESSION_NOT_STARTED"
    clock.advance(timedelta(minutes=1))
    assert code(await course.record(2, {"org0": 2})) == "ok"


SESSION_DAYS = """
query($id: ID!) { node(id: $id) { ... on TrainingSession { days halfDays } } }
"""


async def test_the_session_tells_its_days_and_half_days(world: World, course: Course, clock):
    session = (await world.as_(course.trainer, SESSION_DAYS, {"id": course.seats.session_id}))["data"]["node"]
    assert session == {"days": ["2026-12-28", "2026-12-29"], "halfDays": None}
    course.start(clock)
    assert code(await course.record(4, {"org0": 4})) == "ok"
    session = (await world.as_(course.trainer, SESSION_DAYS, {"id": course.seats.session_id}))["data"]["node"]
    assert session["halfDays"] == 4
