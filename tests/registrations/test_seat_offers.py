"""G7': a freed seat is held for the first person waiting, who accepts or declines it before its deadline; an
unanswered offer expires and the seat passes down the line. Driven by the scheduler and the clock."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from registration_ops import CANCEL, MOTIVATION, REQUEST, SELECT, VALIDATE, WAITLIST, code, payload
from sqlalchemy import func, select
from world import Org, Person, World, training_session

from parcourspro_gql.models import AuditEntry, Registration, RegistrationStatus, Role, TrainingSession

STATE = """
query($id: ID!) {
  node(id: $id) {
    ... on Registration {
      status category waitlistPosition seatOffer { offeredAt expiresAt }
      session { seatsLeft waitlistCount }
    }
  }
}
"""
ACCEPT = """
mutation($id: ID!) {
  seatOfferAccept(input: {registrationId: $id}) {
    registration { status category seatOffer { expiresAt } session { seatsLeft } }
    errors { code message field }
  }
}
"""
DECLINE = """
mutation($id: ID!, $reason: String) {
  seatOfferDecline(input: {registrationId: $id, reason: $reason}) {
    registration { status category cancellation { comment } session { seatsLeft } }
    errors { code message field }
  }
}
"""


class Line:
    """A provider's session of `capacity` seats, all taken, and people waiting in line (each of his own
    structure, so that no structure cap interferes)."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.waiting: list[tuple[Person, str]] = []

    async def build(self, *, waiting: int, capacity: int = 1, **session: Any) -> Line:
        world = self.world
        self.provider = await world.structure("Institut de Formation")
        self.trainer = await world.person(self.provider, Role.PROVIDER)
        self.seats = await training_session(world, self.provider, capacity=capacity, **session)
        self.accepted = [await self.join(select=True) for _ in range(capacity)]
        self.waiting = [await self.join(select=False) for _ in range(waiting)]
        return self

    async def join(self, *, select: bool) -> tuple[Person, str]:
        org: Org = await self.world.structure()
        employer = await self.world.person(org, Role.EMPLOYER)
        person = await self.world.person(org)
        body = await self.world.as_(
            person, REQUEST, {"session": self.seats.session_id, "motivation": MOTIVATION}
        )
        registration_id = payload(body)["registration"]["id"]
        assert code(await self.world.as_(employer, VALIDATE, {"id": registration_id})) == "ok"
        move = SELECT if select else WAITLIST
        assert code(await self.world.as_(self.trainer, move, {"id": registration_id})) == "ok"
        return person, registration_id

    async def state(self, registration_id: str) -> dict[str, Any]:
        body = await self.world.as_(fresh(self.world, self.trainer), STATE, {"id": registration_id})
        return body["data"]["node"]

    async def free_the_seat(self) -> None:
        person, registration_id = self.accepted[0]
        body = await self.world.as_(
            fresh(self.world, person), CANCEL, {"id": registration_id, "reason": "Empêchement"}
        )
        assert code(body) == "ok"


def fresh(world: World, person: Person) -> Person:
    """The person with an access token issued now (the clock moves past earlier tokens' lifetime)."""
    person.token = world.tokens.issue(person.pk)
    return person


def subjects_to(messages: list[Any], person: Person) -> list[str]:
    return [message["Subject"] for message in messages if message["To"] == person.email]


async def test_an_unanswered_offer_expires_and_passes_down_a_line_of_three(
    world: World, clock, scheduler, outbox
):
    line = await Line(world).build(waiting=3)
    (first, first_id), (second, second_id), (third, third_id) = line.waiting
    assert [(await line.state(pk))["waitlistPosition"] for pk in (first_id, second_id, third_id)] == [1, 2, 3]
    await outbox.deliver()

    await line.free_the_seat()
    offered = await line.state(first_id)
    assert offered["status"] == "WAITLISTED"
    assert offered["seatOffer"] == {
        "offeredAt": clock.now().isoformat(),
        "expiresAt": (clock.now() + timedelta(hours=48)).isoformat(),
    }
    # The held seat counts: nobody else may take it, and the person left the waiting list.
    assert offered["session"] == {"seatsLeft": 0, "waitlistCount": 2}
    assert offered["waitlistPosition"] is None
    assert [(await line.state(pk))["waitlistPosition"] for pk in (second_id, third_id)] == [1, 2]
    mail = await outbox.deliver()
    assert subjects_to(mail, first)[0].startswith("Une place vous est réservée pour Accueillir les publics")
    assert any("Place proposée à" in subject for subject in subjects_to(mail, line.trainer))

    # Nothing happens before the deadline.
    clock.advance(timedelta(hours=47, minutes=59))
    await scheduler.run_once()
    assert (await line.state(first_id))["status"] == "WAITLISTED"

    for person, expired_id, nxt in (
        (first, first_id, second_id),
        (second, second_id, third_id),
        (third, third_id, None),
    ):
        clock.advance(timedelta(hours=48))
        await scheduler.run_once()
        gone = await line.state(expired_id)
        assert (gone["status"], gone["category"], gone["seatOffer"]) == ("EXPIRED", "CANCELLED", None)
        mail = await outbox.deliver()
        assert subjects_to(mail, person) == ["Place non confirmée à temps : Accueillir les publics"]
        if nxt is not None:
            assert (await line.state(nxt))["seatOffer"] is not None
            assert (await line.state(nxt))["session"]["seatsLeft"] == 0
        # An answer after the deadline gets OFFER_EXPIRED, never the seat.
        late = await world.as_(fresh(world, person), ACCEPT, {"id": expired_id})
        assert payload(late)["errors"][0]["code"] == "OFFER_EXPIRED"
    # Nobody is offered a seat twice: with the line exhausted, the seat stays free for the provider.
    final = await line.state(third_id)
    assert final["session"] == {"seatsLeft": 1, "waitlistCount": 0}
    clock.advance(timedelta(hours=48))
    await scheduler.run_once()
    async with world.db.read() as session:
        offers = await session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "registration.seat_offer")
        )
        expiries = await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "registration.seat_offer_expire", AuditEntry.actor_id.is_(None))
        )
    assert (offers, expiries) == (3, 3)


async def test_a_decline_cancels_and_offers_the_seat_to_the_next_person(world: World, outbox):
    line = await Line(world).build(waiting=2)
    (first, first_id), (_second, second_id) = line.waiting
    await line.free_the_seat()
    await outbox.deliver()
    declined = payload(await world.as_(first, DECLINE, {"id": first_id, "reason": None}))
    assert declined["errors"] == []
    assert declined["registration"]["status"] == "CANCELLED"
    assert declined["registration"]["cancellation"] == {"comment": "Place proposée déclinée."}
    assert declined["registration"]["session"]["seatsLeft"] == 0  # held again, for the next person
    assert (await line.state(second_id))["seatOffer"] is not None
    mail = await outbox.deliver()
    assert any("a décliné la place" in subject for subject in subjects_to(mail, line.trainer))


async def test_accepting_takes_the_held_seat_and_only_the_person_may_answer(world: World, outbox):
    line = await Line(world).build(waiting=2)
    (first, first_id), (second, second_id) = line.waiting
    await line.free_the_seat()
    assert payload(await world.as_(second, ACCEPT, {"id": first_id}))["errors"][0]["code"] == "FORBIDDEN"
    assert (
        payload(await world.as_(line.trainer, ACCEPT, {"id": first_id}))["errors"][0]["code"] == "FORBIDDEN"
    )
    # The second person holds no offer: nothing to accept.
    assert (
        payload(await world.as_(second, ACCEPT, {"id": second_id}))["errors"][0]["code"]
        == "INVALID_TRANSITION"
    )
    await outbox.deliver()
    accepted = payload(await world.as_(first, ACCEPT, {"id": first_id}))
    assert accepted["errors"] == []
    assert accepted["registration"] == {
        "status": "ACCEPTED",
        "category": "REQUESTED",
        "seatOffer": None,
        "session": {"seatsLeft": 0},
    }
    mail = await outbox.deliver()
    assert subjects_to(mail, first) == [
        "Votre inscription à Accueillir les publics : acceptée : votre place est confirmée"
    ]
    assert any("a accepté la place" in subject for subject in subjects_to(mail, line.trainer))
    again = payload(await world.as_(first, ACCEPT, {"id": first_id}))
    assert again["errors"][0]["code"] == "INVALID_TRANSITION"
    async with world.db.read() as session:
        item = await session.get(TrainingSession, line.seats.session_pk)
        accepted_count = await session.scalar(
            select(func.count())
            .select_from(Registration)
            .where(Registration.session_id == item.id, Registration.status == RegistrationStatus.ACCEPTED)
        )
    assert (item.seats_taken, accepted_count) == (1, 1)


async def test_an_offer_never_runs_past_the_registration_close(world: World, clock, scheduler):
    # The window closes 20 days from now (world.training_session): an offer made 19 days on lasts one day.
    line = await Line(world).build(waiting=2)
    (_first, first_id), (_second, second_id) = line.waiting
    clock.advance(timedelta(days=19))
    await line.free_the_seat()
    offer = (await line.state(first_id))["seatOffer"]
    assert offer["expiresAt"] == (clock.now() + timedelta(days=1)).isoformat()
    # After the close, an expired offer passes to nobody: the provider selects from the waiting list himself.
    clock.advance(timedelta(days=1))
    await scheduler.run_once()
    left = await line.state(second_id)
    assert (left["status"], left["seatOffer"], left["waitlistPosition"]) == ("WAITLISTED", None, 1)
    assert left["session"]["seatsLeft"] == 1
    assert code(await world.as_(fresh(world, line.trainer), SELECT, {"id": second_id})) == "ok"
