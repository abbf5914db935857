"""GDPR: myDataExport, the anonymisation of a person by a manager (legal evidence kept), and `purge`."""

from __future__ import annotations

import json
from datetime import timedelta

from course import Course, download, names, pdf_text
from registration_ops import code, payload
from sqlalchemy import func, select
from world import World

from parcourspro_gql.domain.privacy import purge
from parcourspro_gql.models import (
    Account,
    AccountRole,
    ArchivedDocument,
    AuditEntry,
    LoginAttempt,
    OutboxMessage,
    Registration,
    Role,
)

EXPORT = "{ myDataExport }"
ANONYMISE = """
mutation($id: ID!, $reason: String!) {
  accountAnonymise(input: {accountId: $id, reason: $reason}) {
    account { firstName lastName email }
    errors { code message field }
  }
}
"""
REASON = "Demande d'effacement reçue le 20/11/2026."


async def test_a_person_exports_everything_held_about_him(course: Course, outbox):
    await outbox.deliver()
    assert code(await course.send()) == "ok"
    person, _ = course.accepted["org0"]
    body = await course.world.as_(person, EXPORT)
    data = body["data"]["myDataExport"]
    json.dumps(data)  # plain JSON
    first, last = await names(course.world, person.pk)
    assert (data["account"]["firstName"], data["account"]["lastName"], data["account"]["email"]) == (
        first,
        last,
        person.email,
    )
    assert data["account"]["structure"]["name"] == "Mission Locale des Graves"
    [registration] = data["registrations"]
    assert registration["training"] == "Accueillir é è à ç œ € : les publics"
    assert registration["status"] == "ACCEPTED"
    assert registration["convocationSentAt"] is not None
    subjects = [email["subject"] for email in data["emails"]]
    assert any(subject.startswith("[ParcoursPro] Votre convocation") for subject in subjects)
    assert {entry["action"] for entry in data["history"]} >= {
        "registration.select",
        "registration.convocation_sent",
    }
    # Nothing of another person.
    _other_first, other_last = await names(course.world, course.accepted["other0"][0].pk)
    assert other_last not in json.dumps(data, ensure_ascii=False)


async def test_the_export_needs_a_login(world: World):
    body = await world.as_(None, EXPORT)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_manager_anonymises_a_person_and_the_evidence_stays(
    client, course: Course, clock, db, outbox
):
    person, _registration_id = course.accepted["org0"]
    first, last = await names(course.world, person.pk)
    manager = await course.world.manager()
    body = await course.world.as_(manager, ANONYMISE, {"id": person.id, "reason": REASON})
    assert code(body) == "REGISTRATIONS_IN_PROGRESS"
    assert "1 inscription(s) en cours" in body["data"]["accountAnonymise"]["errors"][0]["message"]

    course.start(clock)
    assert code(await course.record(4, {"org0": 3, "other0": 4})) == "ok"
    await outbox.deliver()
    manager.token = course.world.tokens.issue(manager.pk)
    result = payload(await course.world.as_(manager, ANONYMISE, {"id": person.id, "reason": REASON}))
    assert result["errors"] == []
    assert result["account"]["firstName"] == "Personne anonymisée"
    assert person.email not in json.dumps(result)

    async with db.read() as session:
        account = await session.get(Account, person.pk)
        registration = await session.scalar(
            select(Registration).where(Registration.beneficiary_id == person.pk)
        )
        roles = await session.scalar(select(func.count()).where(AccountRole.account_id == person.pk))
        emails = await session.scalar(select(func.count()).where(OutboxMessage.to_address == person.email))
        archived = await session.scalar(select(func.count()).select_from(ArchivedDocument))
        [reason] = await session.scalars(
            select(AuditEntry.reason).where(AuditEntry.action == "account.anonymise")
        )
    assert account is not None
    assert (account.first_name, account.email, account.structure_id) == (
        "Personne anonymisée",
        f"anonyme-{person.pk}@anonyme.invalid",
        None,
    )
    assert account.anonymised_at is not None
    assert (registration.status.value, registration.attendance_rate) == ("ATTENDED", 0.75)
    assert roles == 0
    assert emails == 0
    assert (
        archived == 5
    )  # his convocation, attestation and certificate, his structure's convention, the sheet
    assert reason == REASON

    # He can no longer log in or use his token; the evidence still names him for those concerned.
    assert (await course.world.as_(person, EXPORT))["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    documents = await course.documents("org0", course.employer)
    attestation = await download(client, documents["ATTESTATION"]["url"], course.employer)
    assert attestation.status_code == 200
    text = pdf_text(attestation.content)
    assert first in text
    assert last in text
    assert "75 %" in text
    other = await download(client, documents["CONVOCATION"]["url"], course.other_employer)
    assert other.status_code == 404  # D5 still holds on archived documents
    # Elsewhere his identity is gone: the employer's lists show the anonymised name.
    overview = await course.world.as_(
        course.employer,
        "{ employerOverview { registrations { edges { node { beneficiary { firstName lastName email } } } } } }",
    )
    shown = json.dumps(overview, ensure_ascii=False)
    assert last not in shown
    assert "Personne anonymisée" in shown


async def test_only_managers_anonymise_and_a_reason_is_required(world: World, course: Course):
    person, _ = course.accepted["org0"]
    for who in (course.employer, course.referent, course.trainer, person):
        assert code(await world.as_(who, ANONYMISE, {"id": person.id, "reason": REASON})) == "FORBIDDEN"
    manager = await world.manager()
    bystander = await world.person(course.org)
    assert code(await world.as_(manager, ANONYMISE, {"id": bystander.id, "reason": ""})) == "INVALID_INPUT"
    assert code(await world.as_(manager, ANONYMISE, {"id": bystander.id, "reason": REASON})) == "ok"
    again = await world.as_(manager, ANONYMISE, {"id": bystander.id, "reason": REASON})
    assert code(again) == "INVALID_TRANSITION"
    assert code(await world.as_(manager, ANONYMISE, {"id": manager.id, "reason": REASON})) == "FORBIDDEN"


async def test_purge_deletes_what_outlived_its_period(
    world: World, db, settings, clock, outbox, course: Course
):
    await outbox.deliver()  # the registration emails are sent now
    async with db.transaction() as session:
        session.add(
            LoginAttempt(
                at=clock.now(), email_normalized="x@example.org", client_address="127.0.0.1", success=False
            )
        )
    stale = await world.person(course.org, verified=False)
    async with db.transaction() as session:
        assert (await purge(session, settings, dry_run=True))["emails"] == 0
    clock.advance(timedelta(days=settings.retention_security_days + 1))
    fresh_unverified = await world.person(course.org, verified=False)
    async with db.transaction() as session:
        counts = await purge(session, settings, dry_run=True)
    assert counts["login attempts"] == 1
    assert counts["unverified accounts"] == 1
    assert counts["emails"] == 0
    clock.advance(timedelta(days=settings.retention_mail_days))
    async with db.transaction() as session:
        counts = await purge(session, settings)
    assert counts["emails"] > 0
    assert counts["unverified accounts"] == 2
    async with db.read() as session:
        assert await session.get(Account, stale.pk) is None
        assert await session.get(Account, fresh_unverified.pk) is None
        assert await session.get(Account, course.employer.pk) is not None  # verified people stay
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        assert await session.scalar(select(func.count()).select_from(Registration)) == 2
    async with db.transaction() as session:
        assert set((await purge(session, settings)).values()) == {0}


async def test_anonymising_a_structures_last_referent_is_refused(world: World):
    """R2': nothing, erasure included, removes a structure's last referent; with another one, it goes."""
    manager = await world.manager()
    org = await world.structure("Mission Locale")
    referent = await world.person(org, Role.REFERENT)
    body = await world.as_(manager, ANONYMISE, {"id": referent.id, "reason": REASON})
    assert body["data"]["accountAnonymise"]["errors"] == [
        {
            "code": "LAST_REFERENT",
            "message": "La structure doit garder au moins un référent.",
            "field": "accountId",
        }
    ]
    await world.person(org, Role.REFERENT)
    assert code(await world.as_(manager, ANONYMISE, {"id": referent.id, "reason": REASON})) == "ok"
