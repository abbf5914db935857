"""convocationsSend: each accepted participant gets his convocation once (PDF attached), each structure's
employers the convention that names their people; refusals; audit."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from course import SEND, Course, names, pdf_text
from registration_ops import CANCEL, code
from sqlalchemy import select
from world import World

from parcourspro_gql.models import AuditEntry, Registration, Role


def attachments(message) -> dict[str, bytes]:
    return {part.get_filename(): part.get_content() for part in message.iter_attachments()}


async def test_each_participant_receives_his_convocation_and_each_employer_the_convention(
    course: Course, outbox
):
    await outbox.deliver()
    assert code(await course.send()) == "ok"
    messages = {message["To"]: message for message in await outbox.deliver()}
    person, _ = course.accepted["org0"]
    other_person, _ = course.accepted["other0"]
    assert set(messages) == {
        person.email,
        other_person.email,
        course.employer.email,
        course.other_employer.email,
    }

    convocation = messages[person.email]
    assert convocation["Subject"].startswith("[ParcoursPro] Votre convocation")
    [(name, pdf), (calendar_name, _)] = attachments(convocation).items()
    assert calendar_name == "invitation.ics"
    assert name.startswith("convocation-accueillir-e-e-a-c-oe")
    assert name.endswith(".pdf")
    assert [part.get_content_type() for part in convocation.iter_attachments()] == [
        "application/pdf",
        "text/calendar",
    ]
    text = pdf_text(pdf)
    for expected in ("Convocation", "Accueillir é è à ç œ € : les publics", "Cap Métiers, Pessac", "0 €"):
        assert expected in text
    account_names = await names(course.world, person.pk)
    assert all(part in text for part in account_names)
    assert all(part not in text for part in await names(course.world, other_person.pk))

    [(convention_name, convention)] = attachments(messages[course.employer.email]).items()
    assert convention_name.startswith("convention-")
    text = pdf_text(convention)
    assert "Mission Locale des Graves" in text
    assert course.org.siret in text
    assert course.provider.siret in text
    assert all(part in text for part in account_names)
    assert all(part not in text for part in await names(course.world, other_person.pk))
    assert "0 €" in text
    assert "Région Nouvelle-Aquitaine et l'État" in text


async def test_sending_twice_sends_nothing_more_and_later_participants_get_theirs(course: Course, outbox):
    await outbox.deliver()
    assert code(await course.send()) == "ok"
    assert len(await outbox.deliver()) == 4
    assert code(await course.send()) == "ok"
    assert await outbox.deliver() == []
    await course.accept("org1", course.org, course.employer)
    await outbox.deliver()
    assert code(await course.send()) == "ok"
    person, _ = course.accepted["org1"]
    messages = {message["To"]: message for message in await outbox.deliver()}
    # The newcomer, and his structure's employer with the convention that now names both people.
    assert set(messages) == {person.email, course.employer.email}
    text = pdf_text(next(iter(attachments(messages[course.employer.email]).values())))
    for name in ("org0", "org1"):
        assert all(part in text for part in await names(course.world, course.accepted[name][0].pk))


async def test_two_simultaneous_calls_send_each_convocation_once(course: Course, outbox):
    await course.accept("org1", course.org, course.employer)
    await outbox.deliver()
    answers = await asyncio.gather(course.send(), course.send())
    assert [code(answer) for answer in answers] == ["ok", "ok"]
    recipients = sorted(message["To"] for message in await outbox.deliver())
    participants = sorted(person.email for person, _ in course.accepted.values())
    assert [r for r in recipients if r in participants] == participants


async def test_who_may_send_and_when(world: World, course: Course, clock):
    outsider = await world.person(await world.structure("Autre Organisme"), Role.PROVIDER)
    person, _ = course.accepted["org0"]
    assert code(await course.send(outsider)) == "FORBIDDEN"
    assert code(await course.send(person)) == "FORBIDDEN"
    assert code(await course.send(course.employer)) == "FORBIDDEN"
    assert code(await world.as_(None, SEND, {"session": course.seats.session_id})) == "UNAUTHENTICATED"
    assert (
        code(await world.as_(course.trainer, SEND, {"session": "VHJhaW5pbmdTZXNzaW9uOjk5OTk="}))
        == "NOT_FOUND"
    )
    assert code(await course.send(await world.manager())) == "ok"
    course.start(clock, timedelta(days=30, minutes=1))
    body = await course.send()
    assert code(body) == "SESSION_STARTED"
    assert "commencé" in body["data"]["convocationsSend"]["errors"][0]["message"]


async def test_a_session_without_accepted_participant_has_nothing_to_send(world: World):
    empty = await Course(world).build(per_structure=0)
    body = await empty.send()
    assert code(body) == "NO_PARTICIPANTS"
    assert (
        body["data"]["convocationsSend"]["errors"][0]["message"]
        == "Aucun participant retenu pour cette session."
    )


async def test_each_convocation_is_recorded_and_audited(course: Course, db):
    assert code(await course.send()) == "ok"
    async with db.read() as session:
        sent = list(await session.scalars(select(Registration.convocation_sent_at)))
        actions = sorted(
            await session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("%convo%")))
        )
        conventions = list(
            await session.scalars(
                select(AuditEntry.entity_id).where(AuditEntry.action == "session.convention_sent")
            )
        )
    assert all(moment is not None for moment in sent)
    assert len(sent) == 2
    assert actions == ["registration.convocation_sent"] * 2 + ["session.convocations_sent"]
    assert sorted(conventions) == sorted([course.org.pk, course.other.pk])


async def test_participants_leaving_while_convocations_are_sent_get_none_and_nothing_fails(
    course: Course, outbox
):
    """A participant may cancel while the PDFs are drawn: the others get theirs, the one who left gets none."""
    for index in range(1, 4):
        await course.accept(f"late{index}", course.org, course.employer)
    await outbox.deliver()
    leaving = [course.accepted[f"late{index}"] for index in range(1, 4)]
    cancels = [
        course.world.as_(person, CANCEL, {"id": registration_id, "reason": "Empêchement"})
        for person, registration_id in leaving
    ]
    answers = await asyncio.gather(course.send(), *cancels)
    assert [code(answer) for answer in answers] == ["ok"] * 4
    mail = await outbox.deliver()
    convoked = {m["To"] for m in mail if m["Subject"].startswith("[ParcoursPro] Votre convocation")}
    assert convoked == {course.accepted[name][0].email for name in ("org0", "other0")}
