"""The life cycle of a registration (G6-G8): every decision, its emails, and every forbidden move."""

from __future__ import annotations

from datetime import timedelta

import pytest
from registration_ops import (
    CANCEL,
    MOTIVATION,
    REFUSE,
    REJECT,
    REQUEST,
    SELECT,
    VALIDATE,
    WAITLIST,
    code,
    payload,
)
from sqlalchemy import select, update
from world import World, training_session

from parcourspro_gql.models import AuditEntry, Registration, RegistrationStatus, Role


class Cast:
    """A provider with its trainer, a structure with its employer, and people who ask."""

    def __init__(self, world: World) -> None:
        self.world = world

    async def build(self, capacity: int = 10) -> Cast:
        world = self.world
        self.provider = await world.structure("Institut de Formation")
        self.trainer = await world.person(self.provider, Role.PROVIDER)
        self.org = await world.structure("Mission Locale")
        self.employer = await world.person(self.org, Role.EMPLOYER)
        self.seats = await training_session(world, self.provider, capacity=capacity)
        return self

    async def request(self, who=None) -> str:
        who = who or await self.world.person(self.org)
        body = await self.world.as_(
            who, REQUEST, {"session": self.seats.session_id, "motivation": MOTIVATION}
        )
        return payload(body)["registration"]["id"]

    async def act(self, who, document: str, registration_id: str, reason: str | None = None) -> dict:
        return await self.world.as_(who, document, {"id": registration_id, "reason": reason})

    async def at(self, status: RegistrationStatus) -> str:
        registration_id = await self.request()
        moves = {
            RegistrationStatus.PENDING_PROVIDER: [(self.employer, VALIDATE)],
            RegistrationStatus.WAITLISTED: [(self.employer, VALIDATE), (self.trainer, WAITLIST)],
            RegistrationStatus.ACCEPTED: [(self.employer, VALIDATE), (self.trainer, SELECT)],
            RegistrationStatus.REFUSED_BY_EMPLOYER: [(self.employer, REFUSE)],
            RegistrationStatus.REJECTED_BY_PROVIDER: [(self.employer, VALIDATE), (self.trainer, REJECT)],
            RegistrationStatus.CANCELLED: [(self.employer, CANCEL)],
        }
        for who, document in moves.get(status, []):
            assert code(await self.act(who, document, registration_id, "Motif de la décision")) == "ok"
        if status in (RegistrationStatus.ATTENDED, RegistrationStatus.ABSENT, RegistrationStatus.EXPIRED):
            async with self.world.db.transaction() as session:
                await session.execute(update(Registration).values(status=status))
        return registration_id


@pytest.fixture
async def cast(world: World) -> Cast:
    return await Cast(world).build()


async def test_the_happy_path_emails_whoever_must_act_or_know(cast: Cast, outbox, db):
    person = await cast.world.person(cast.org)
    registration_id = await cast.request(person)
    assert [m["To"] for m in await outbox.deliver()] == [cast.employer.email]
    validated = payload(await cast.act(cast.employer, VALIDATE, registration_id))
    assert validated["registration"]["status"] == "PENDING_PROVIDER"
    assert sorted(m["To"] for m in await outbox.deliver()) == sorted([person.email, cast.trainer.email])
    selected = payload(await cast.act(cast.trainer, SELECT, registration_id))
    assert (selected["registration"]["status"], selected["registration"]["session"]["seatsLeft"]) == (
        "ACCEPTED",
        9,
    )
    [accepted] = await outbox.deliver()
    assert (accepted["To"], accepted["Subject"]) == (
        person.email,
        "Votre inscription à Accueillir les publics : acceptée : votre place est confirmée",
    )
    async with db.read() as session:
        trail = [
            (a.action, a.from_state, a.to_state, a.actor_role)
            for a in await session.scalars(
                select(AuditEntry).where(AuditEntry.entity_type == "Registration").order_by(AuditEntry.id)
            )
        ]
    assert trail == [
        ("registration.request", None, "PENDING_EMPLOYER", None),
        ("registration.validate", "PENDING_EMPLOYER", "PENDING_PROVIDER", "EMPLOYER"),
        ("registration.select", "PENDING_PROVIDER", "ACCEPTED", "PROVIDER"),
    ]


async def test_refusals_need_a_reason_that_the_person_reads(cast: Cast, outbox):
    registration_id = await cast.request()
    await outbox.deliver()
    missing = payload(await cast.act(cast.employer, REFUSE, registration_id))
    assert missing["errors"] == [
        {"code": "INVALID_INPUT", "message": "Indiquez le motif du refus.", "field": "reason"}
    ]
    refused = payload(await cast.act(cast.employer, REFUSE, registration_id, "Période chargée"))
    assert refused["registration"]["status"] == "REFUSED_BY_EMPLOYER"
    assert refused["registration"]["category"] == "REFUSED"
    assert refused["registration"]["employerDecision"] == {"comment": "Période chargée"}
    [message] = await outbox.deliver()
    assert "Motif : Période chargée" in message.get_body(("plain",)).get_content()


ALL = list(RegistrationStatus)
MOVES = {
    "validate": (VALIDATE, "employer", {RegistrationStatus.PENDING_EMPLOYER}),
    "refuse": (REFUSE, "employer", {RegistrationStatus.PENDING_EMPLOYER}),
    "select": (SELECT, "trainer", {RegistrationStatus.PENDING_PROVIDER, RegistrationStatus.WAITLISTED}),
    "waitlist": (WAITLIST, "trainer", {RegistrationStatus.PENDING_PROVIDER}),
    "reject": (REJECT, "trainer", {RegistrationStatus.PENDING_PROVIDER, RegistrationStatus.WAITLISTED}),
    "cancel": (
        CANCEL,
        "employer",
        {
            RegistrationStatus.PENDING_EMPLOYER,
            RegistrationStatus.PENDING_PROVIDER,
            RegistrationStatus.WAITLISTED,
            RegistrationStatus.ACCEPTED,
        },
    ),
}


@pytest.mark.parametrize("status", ALL, ids=[s.value for s in ALL])
@pytest.mark.parametrize("move", list(MOVES))
async def test_every_move_from_every_state(cast: Cast, move: str, status: RegistrationStatus):
    document, actor, allowed = MOVES[move]
    registration_id = await cast.at(status)
    outcome = code(await cast.act(getattr(cast, actor), document, registration_id, "Motif de la décision"))
    assert outcome == ("ok" if status in allowed else "INVALID_TRANSITION")


async def test_cancelling_an_accepted_seat_offers_it_to_the_waiting_list(world: World, outbox):
    cast = await Cast(world).build(capacity=1)
    accepted = await cast.at(RegistrationStatus.ACCEPTED)
    waiting_person = await world.person(cast.org)
    waiting = await cast.request(waiting_person)
    await cast.act(cast.employer, VALIDATE, waiting)
    full = payload(await cast.act(cast.trainer, SELECT, waiting))
    assert full["errors"][0]["code"] == "SESSION_FULL"
    await cast.act(cast.trainer, WAITLIST, waiting)
    await outbox.deliver()
    cancelled = payload(await cast.act(cast.employer, CANCEL, accepted, "Arrêt maladie"))
    # G7': the freed seat is held for the first person waiting, so nobody else can take it meanwhile.
    assert cancelled["registration"]["session"]["seatsLeft"] == 0
    subjects = {(m["To"], m["Subject"]) for m in await outbox.deliver()}
    assert any(
        to == waiting_person.email
        and subject.startswith("Une place vous est réservée pour Accueillir les publics")
        for to, subject in subjects
    )
    assert any(to == cast.trainer.email and "Désistement" in subject for to, subject in subjects)
    assert any(to == cast.trainer.email and "Place proposée à" in subject for to, subject in subjects)
    # The provider may still select the person himself: the held seat becomes his.
    selected = payload(await cast.act(cast.trainer, SELECT, waiting))["registration"]
    assert (selected["status"], selected["session"]["seatsLeft"]) == ("ACCEPTED", 0)


async def test_no_cancellation_once_the_session_has_started(cast: Cast, clock):
    registration_id = await cast.at(RegistrationStatus.ACCEPTED)
    clock.advance(timedelta(days=31))
    cast.employer.token = cast.world.tokens.issue(cast.employer.pk)  # the earlier one expired meanwhile
    assert code(await cast.act(cast.employer, CANCEL, registration_id, "Trop tard")) == "SESSION_STARTED"


async def test_the_person_cancels_his_own_request(cast: Cast):
    person = await cast.world.person(cast.org)
    registration_id = await cast.request(person)
    cancelled = payload(await cast.act(person, CANCEL, registration_id, "Empêchement"))
    assert cancelled["registration"]["category"] == "CANCELLED"


async def test_an_employer_does_not_validate_his_own_request_unless_he_is_the_only_one(world: World, outbox):
    cast = await Cast(world).build()
    colleague = await world.person(cast.org, Role.EMPLOYER)
    own = await cast.request(cast.employer)
    assert code(await cast.act(cast.employer, VALIDATE, own)) == "FORBIDDEN"
    assert code(await cast.act(colleague, VALIDATE, own)) == "ok"
    # Alone in his structure, an employer's request is validated automatically, and the audit says so.
    lone_org = await world.structure("Structure à un seul employeur")
    lone = await world.person(lone_org, Role.EMPLOYER)
    body = await world.as_(lone, REQUEST, {"session": cast.seats.session_id, "motivation": MOTIVATION})
    registration = payload(body)["registration"]
    assert registration["status"] == "PENDING_PROVIDER"
    assert registration["employerDecision"] == {
        "comment": "Validation automatique : seul employeur de la structure.",
        "by": {"email": lone.email},
    }


async def test_over_the_cap_a_request_waits_and_only_takes_a_seat_nobody_else_wants(world: World):
    cast = await Cast(world).build(capacity=3)
    for _ in range(2):
        await cast.at(RegistrationStatus.ACCEPTED)
    third = await cast.request()
    validated = payload(await cast.act(cast.employer, VALIDATE, third))
    assert validated["registration"]["status"] == "WAITLISTED"
    other_org = await world.structure("Autre structure")
    other_employer = await world.person(other_org, Role.EMPLOYER)
    body = await world.as_(
        await world.person(other_org), REQUEST, {"session": cast.seats.session_id, "motivation": MOTIVATION}
    )
    priority = payload(body)["registration"]["id"]
    await cast.act(other_employer, VALIDATE, priority)
    refused = payload(await cast.act(cast.trainer, SELECT, third))
    assert refused["errors"][0]["code"] == "SESSION_FULL"
    assert code(await cast.act(cast.trainer, SELECT, priority)) == "ok"
