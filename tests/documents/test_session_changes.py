"""trainingSessionUpdate (T3) and trainingSessionCancel (T4), with the calendar invitations of convocations:
told with their reason to everyone registered and their employers, documents re-issued, seats freed."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from course import Course, pdf_text
from icalendar import Calendar
from registration_ops import MOTIVATION, REQUEST, code, payload
from sqlalchemy import select
from world import World

from parcourspro_gql.models import AuditEntry, Role

PARIS = ZoneInfo("Europe/Paris")
UPDATE = """
mutation($input: TrainingSessionUpdateInput!) {
  trainingSessionUpdate(input: $input) {
    session { id startsAt endsAt location capacity seatsLeft minParticipants contact status }
    errors { code message field }
  }
}
"""
CANCEL = """
mutation($id: ID!, $reason: String!) {
  trainingSessionCancel(input: {sessionId: $id, reason: $reason}) {
    session { id status cancellationReason seatsLeft capacity }
    errors { code message field }
  }
}
"""
STATUS = "query($id: ID!) { node(id: $id) { ... on Registration { status cancellation { comment } } } }"


def ics(message) -> Calendar:
    [part] = [part for part in message.iter_attachments() if part.get_content_type() == "text/calendar"]
    content = part.get_content()
    return Calendar.from_ical(content if isinstance(content, bytes) else content.encode())


def event(calendar: Calendar):
    [found] = calendar.walk("VEVENT")
    return found


def pdf_of(message) -> bytes:
    [pdf] = [p.get_content() for p in message.iter_attachments() if p.get_content_type() == "application/pdf"]
    return pdf


async def update(course: Course, who=None, **fields) -> dict:
    value = {"sessionId": course.seats.session_id, **fields}
    return await course.world.as_(who or course.trainer, UPDATE, {"input": value})


def by_recipient(messages, subject: str) -> dict:
    return {message["To"]: message for message in messages if message["Subject"].startswith(subject)}


async def test_convocations_carry_a_calendar_invitation_in_paris_time(course: Course, outbox):
    await outbox.deliver()
    assert code(await course.send()) == "ok"
    messages = by_recipient(await outbox.deliver(), "[ParcoursPro] Votre convocation")
    person, _ = course.accepted["org0"]
    calendar = ics(messages[person.email])
    assert str(calendar["METHOD"]) == "REQUEST"
    found = event(calendar)
    start = found.decoded("DTSTART")
    # The session starts at 10:00 in Paris (28/12/2026, see test_pdfs): what the calendar must show.
    assert start.tzinfo is not None
    assert start.astimezone(PARIS).strftime("%d/%m/%Y %H:%M") == "28/12/2026 10:00"
    assert str(found["DTSTART"].params["TZID"]) == "Europe/Paris"
    assert str(found["SUMMARY"]) == "Accueillir é è à ç œ € : les publics"
    assert str(found["LOCATION"]) == "Cap Métiers, Pessac"
    assert int(found["SEQUENCE"]) == 0
    assert str(found["ATTENDEE"]) == f"mailto:{person.email}"
    other = event(ics(messages[course.accepted["other0"][0].email]))
    assert str(other["UID"]) != str(found["UID"])  # one event per registration


async def test_a_change_of_dates_is_told_with_its_reason_and_documents_are_reissued(
    course: Course, outbox, db, world: World
):
    _, pending = await course.ask(course.org)  # a request still waiting for the employer
    assert code(await course.send()) == "ok"
    first = by_recipient(await outbox.deliver(), "[ParcoursPro] Votre convocation")
    uid = str(event(ics(first[course.accepted["org0"][0].email]))["UID"])

    starts = datetime(2027, 1, 12, 9, 30, tzinfo=PARIS)
    body = await update(
        course,
        startsAt=starts.isoformat(),
        endsAt=(starts + timedelta(hours=7)).isoformat(),
        location="Espace Mérignac, salle 2",
        reason="Salle indisponible en décembre",
    )
    result = payload(body)
    assert result["errors"] == []
    assert result["session"]["location"] == "Espace Mérignac, salle 2"
    assert datetime.fromisoformat(result["session"]["startsAt"]) == starts

    messages = await outbox.deliver()
    changed = by_recipient(messages, "[ParcoursPro] Session modifiée")
    people = [course.accepted["org0"][0], course.accepted["other0"][0]]
    pending_person = await _person_of(world, pending)
    assert set(changed) == {p.email for p in people} | {
        pending_person,
        course.employer.email,
        course.other_employer.email,
    }
    text = changed[course.accepted["org0"][0].email].get_body(("plain",)).get_content()
    assert "Salle indisponible en décembre" in text
    assert "12/01/2027 à 09h30" in text
    assert "Espace Mérignac, salle 2" in text
    employer_text = changed[course.employer.email].get_body(("plain",)).get_content()
    assert "Salle indisponible en décembre" in employer_text

    reissued = by_recipient(messages, "[ParcoursPro] Convocation mise à jour")
    assert set(reissued) == {p.email for p in people}
    convocation = reissued[course.accepted["org0"][0].email]
    assert "le 12/01/2027" in pdf_text(pdf_of(convocation))
    updated = event(ics(convocation))
    assert (str(updated["UID"]), int(updated["SEQUENCE"])) == (uid, 1)
    assert updated.decoded("DTSTART").astimezone(PARIS).strftime("%d/%m/%Y %H:%M") == "12/01/2027 09:30"

    async with db.read() as session:
        [data] = list(
            await session.scalars(select(AuditEntry.data).where(AuditEntry.action == "session.update"))
        )
    assert data["location"] == {"from": "Cap Métiers, Pessac", "to": "Espace Mérignac, salle 2"}


async def _person_of(world: World, registration_id: str) -> str:
    from parcourspro_gql.models import Account, Registration
    from parcourspro_gql.schema.relay import from_global_id

    async with world.db.read() as session:
        registration = await session.get(Registration, from_global_id(registration_id)[1])
        assert registration is not None
        account = await session.get(Account, registration.beneficiary_id)
        assert account is not None
        return account.email


async def test_a_change_told_to_nobody_needs_no_reason(course: Course, outbox):
    await outbox.deliver()
    result = payload(await update(course, contact="Julie Martin, 05 56 00 00 00", minParticipants=6))
    assert result["errors"] == []
    assert (result["session"]["contact"], result["session"]["minParticipants"]) == (
        "Julie Martin, 05 56 00 00 00",
        6,
    )
    assert await outbox.deliver() == []
    assert payload(await update(course, contact=""))["session"]["contact"] is None


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"capacity": 30}, "reason"),
        ({"location": "Ailleurs"}, "reason"),
        ({"capacity": 1, "reason": "Moins de places"}, "capacity"),
        ({"capacity": 0, "reason": "Moins de places"}, "capacity"),
        ({"endsAt": "2026-12-01T10:00:00+01:00", "reason": "Plus court"}, "endsAt"),
        ({"startsAt": "2026-11-01T10:00:00+01:00", "reason": "Plus tôt"}, "startsAt"),
        ({"minParticipants": 0}, "minParticipants"),
        ({"contact": "x" * 301}, "contact"),
        ({"secondPhaseOpensAt": "2030-01-01T00:00:00+01:00"}, "secondPhaseOpensAt"),
    ],
)
async def test_bad_changes_are_refused_and_nothing_changes(course: Course, fields, field):
    body = await update(course, **fields)
    assert code(body) == "INVALID_INPUT"
    assert payload(body)["errors"][0]["field"] == field
    seats = await course.world.as_(
        course.trainer,
        "query($id: ID!) { node(id: $id) { ... on TrainingSession { capacity location } } }",
        {"id": course.seats.session_id},
    )
    assert seats["data"]["node"] == {"capacity": 40, "location": "Cap Métiers, Pessac"}


async def test_capacity_may_go_down_to_the_seats_given(course: Course):
    result = payload(await update(course, capacity=2, reason="Salle plus petite"))
    assert result["errors"] == []
    assert (result["session"]["capacity"], result["session"]["seatsLeft"]) == (2, 0)


async def test_who_may_change_or_cancel(course: Course, world: World):
    other_provider = await world.person(await world.structure("Autre Organisme"), Role.PROVIDER)
    for who in (other_provider, course.employer, course.accepted["org0"][0]):
        assert code(await update(course, who=who, contact="Moi")) == "FORBIDDEN"
        assert (
            code(await world.as_(who, CANCEL, {"id": course.seats.session_id, "reason": "Non"}))
            == "FORBIDDEN"
        )
    manager = await world.manager()
    assert code(await update(course, who=manager, contact="Cap Métiers")) == "ok"
    anonymous = await world.as_(None, CANCEL, {"id": course.seats.session_id, "reason": "Non"})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_started_session_changes_no_more(course: Course, clock):
    course.start(clock)
    assert code(await update(course, contact="Trop tard")) == "SESSION_STARTED"
    body = await course.world.as_(
        course.trainer, CANCEL, {"id": course.seats.session_id, "reason": "Trop tard"}
    )
    assert code(body) == "SESSION_STARTED"


async def test_a_cancellation_reaches_everyone_and_closes_the_session(
    course: Course, outbox, world: World, db
):
    _, pending = await course.ask(course.org)
    assert code(await course.send()) == "ok"
    sent = by_recipient(await outbox.deliver(), "[ParcoursPro] Votre convocation")
    uid = str(event(ics(sent[course.accepted["org0"][0].email]))["UID"])

    body = await world.as_(
        course.trainer, CANCEL, {"id": course.seats.session_id, "reason": "Formateur malade"}
    )
    result = payload(body)
    assert result["errors"] == []
    assert result["session"] == {
        "id": course.seats.session_id,
        "status": "CANCELLED",
        "cancellationReason": "Formateur malade",
        "seatsLeft": 40,
        "capacity": 40,
    }
    for registration_id in (course.accepted["org0"][1], course.accepted["other0"][1], pending):
        node = (await world.as_(await world.manager(), STATUS, {"id": registration_id}))["data"]["node"]
        assert node["status"] == "CANCELLED"
        assert node["cancellation"]["comment"] == "Session annulée : Formateur malade"

    told = by_recipient(await outbox.deliver(), "[ParcoursPro] Session annulée")
    person = course.accepted["org0"][0]
    assert {
        person.email,
        course.accepted["other0"][0].email,
        course.employer.email,
        course.other_employer.email,
    } <= set(told)
    assert await _person_of(world, pending) in told
    assert "Formateur malade" in told[person.email].get_body(("plain",)).get_content()
    withdrawn = ics(told[person.email])
    assert str(withdrawn["METHOD"]) == "CANCEL"
    assert str(event(withdrawn)["UID"]) == uid
    assert str(event(withdrawn)["STATUS"]) == "CANCELLED"

    newcomer = await world.person(course.org)
    again = await world.as_(newcomer, REQUEST, {"session": course.seats.session_id, "motivation": MOTIVATION})
    assert code(again) == "SESSION_CANCELLED"
    assert code(await update(course, contact="Encore")) == "SESSION_CANCELLED"
    async with db.read() as session:
        actions = list(
            await session.scalars(
                select(AuditEntry.action).where(AuditEntry.entity_type == "TrainingSession")
            )
        )
    assert "session.cancel" in actions


TRAINING_UPDATE = """
mutation($input: TrainingUpdateInput!) {
  trainingUpdate(input: $input) { training { title content assessment } errors { code field } }
}
"""


async def test_managers_give_a_training_its_content_and_assessment_for_the_convention(
    client, course: Course, world: World, db
):
    from test_pdfs import fetch

    manager = await world.manager()
    value = {
        "trainingId": course.seats.training_id,
        "content": "Accueil inconditionnel ; posture d'écoute ; orientation vers les partenaires.",
        "assessment": "Mise en situation filmée, puis auto-évaluation.",
    }
    result = payload(await world.as_(manager, TRAINING_UPDATE, {"input": value}))
    assert result["errors"] == []
    assert result["training"]["assessment"] == "Mise en situation filmée, puis auto-évaluation."
    text = await fetch(client, course, "org0", "CONVENTION", course.employer)
    assert "posture d'écoute" in text
    assert "Mise en situation filmée" in text
    for who in (course.trainer, course.employer):
        refused = await world.as_(who, TRAINING_UPDATE, {"input": {**value, "content": "Autre"}})
        assert code(refused) == "FORBIDDEN"
    short = await world.as_(
        manager, TRAINING_UPDATE, {"input": {"trainingId": value["trainingId"], "title": "A"}}
    )
    assert payload(short)["errors"] == [{"code": "INVALID_INPUT", "field": "title"}]
    async with db.read() as session:
        [data] = list(
            await session.scalars(select(AuditEntry.data).where(AuditEntry.action == "training.update"))
        )
    assert set(data) == {"content", "assessment"}
