"""The edges of a registration's life: the cap recounted at every ending (G4'), requests closing at the start
(G9), decisions refused after it, and a request that always alerts someone (G10)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from registration_ops import CANCEL, MOTIVATION, REFUSE, REQUEST, SELECT, VALIDATE, WAITLIST, code, payload
from world import Org, Person, World, training_session

from parcourspro_gql.models import Role

STATE = """
query($id: ID!) {
  node(id: $id) { ... on Registration { status category overStructureCap waitlistPosition } }
}
"""


def fresh(world: World, person: Person) -> Person:
    person.token = world.tokens.issue(person.pk)
    return person


async def ask(world: World, person: Person, session_id: str) -> str:
    body = await world.as_(fresh(world, person), REQUEST, {"session": session_id, "motivation": MOTIVATION})
    return payload(body)["registration"]["id"]


async def act(
    world: World, who: Person, document: str, registration_id: str, reason: str | None = None
) -> str:
    return code(await world.as_(fresh(world, who), document, {"id": registration_id, "reason": reason}))


async def state(world: World, who: Person, registration_id: str) -> dict[str, Any]:
    return (await world.as_(fresh(world, who), STATE, {"id": registration_id}))["data"]["node"]


class Colleagues:
    """A provider's training, and a structure whose employer validates the requests of its people."""

    async def build(self, world: World, **session: Any) -> Colleagues:
        self.world = world
        self.provider = await world.structure("Institut de Formation")
        self.trainer = await world.person(self.provider, Role.PROVIDER)
        self.org: Org = await world.structure("Mission Locale")
        self.employer = await world.person(self.org, Role.EMPLOYER)
        self.seats = await training_session(world, self.provider, **session)
        return self

    async def validated(self, session_id: str | None = None) -> str:
        registration_id = await ask(
            self.world, await self.world.person(self.org), session_id or self.seats.session_id
        )
        assert await act(self.world, self.employer, VALIDATE, registration_id) == "ok"
        return registration_id


async def three_colleagues(world: World) -> tuple[Colleagues, str, str, str]:
    team = await Colleagues().build(world)
    first, second = await team.validated(), await team.validated()
    third = await team.validated()
    over = await state(world, team.trainer, third)
    assert (over["status"], over["overStructureCap"]) == ("WAITLISTED", True)
    return team, first, second, third


async def test_an_over_cap_colleague_becomes_eligible_when_a_colleague_is_refused(world: World, outbox):
    team = await Colleagues().build(world)
    first = await ask(world, await world.person(team.org), team.seats.session_id)  # still PENDING_EMPLOYER
    await team.validated()
    third = await team.validated()
    assert (await state(world, team.trainer, third))["overStructureCap"] is True
    await outbox.deliver()
    assert await act(world, team.employer, REFUSE, first, "Période chargée") == "ok"
    lifted = await state(world, team.trainer, third)
    assert (lifted["status"], lifted["overStructureCap"]) == ("PENDING_PROVIDER", False)
    mail = await outbox.deliver()
    assert any(m["To"] == team.trainer.email for m in mail)  # the provider is told a request reached him


async def test_an_over_cap_colleague_becomes_eligible_when_a_colleague_cancels(world: World):
    team, first, _second, third = await three_colleagues(world)
    assert await act(world, team.trainer, SELECT, first) == "ok"
    assert await act(world, team.employer, CANCEL, first, "Empêchement") == "ok"
    lifted = await state(world, team.trainer, third)
    assert (lifted["status"], lifted["overStructureCap"]) == ("PENDING_PROVIDER", False)


async def test_a_provider_waitlisted_request_stays_waitlisted_when_the_cap_lifts(world: World):
    team = await Colleagues().build(world)
    first, second = await team.validated(), await team.validated()
    assert await act(world, team.trainer, WAITLIST, second) == "ok"
    third = await team.validated()
    assert await act(world, team.employer, CANCEL, first, "Empêchement") == "ok"
    # The third was waitlisted for the cap only: it goes to the provider. The second stays where he put it.
    assert (await state(world, team.trainer, third))["status"] == "PENDING_PROVIDER"
    assert (await state(world, team.trainer, second))["status"] == "WAITLISTED"


async def test_an_over_cap_colleague_becomes_eligible_when_a_colleague_expires(
    world: World, clock, scheduler
):
    team = await Colleagues().build(world, starts_in=timedelta(days=40))
    early = await training_session(
        world, team.provider, starts_in=timedelta(days=10), training_pk=team.seats.training_pk
    )
    undecided = await ask(
        world, await world.person(team.org), early.session_id
    )  # PENDING_EMPLOYER at the start
    await team.validated()
    third = await team.validated()
    assert (await state(world, team.trainer, third))["overStructureCap"] is True
    clock.advance(timedelta(days=10))
    await scheduler.run_once()
    assert (await state(world, team.trainer, undecided))["status"] == "EXPIRED"
    lifted = await state(world, team.trainer, third)
    assert (lifted["status"], lifted["overStructureCap"]) == ("PENDING_PROVIDER", False)


async def test_a_session_starting_closes_every_undecided_request(world: World, clock, scheduler, outbox):
    team = await Colleagues().build(world, capacity=2)
    other = await world.structure("Cap Emploi")
    other_employer = await world.person(other, Role.EMPLOYER)
    people = {
        name: await world.person(org)
        for name, org in (
            ("employer", team.org),
            ("provider", team.org),
            ("accepted", other),
            ("offered", other),
        )
    }
    ids = {name: await ask(world, person, team.seats.session_id) for name, person in people.items()}
    assert await act(world, team.employer, VALIDATE, ids["provider"]) == "ok"
    for name in ("accepted", "offered"):
        assert await act(world, other_employer, VALIDATE, ids[name]) == "ok"
        assert await act(world, team.trainer, SELECT, ids[name]) == "ok"
    # A third structure's request waitlisted, then a seat freed and offered to it (seat held at the start).
    waiting = await world.person(await world.structure("Cinquième"), Role.EMPLOYER)  # alone: self-validated
    ids["waiting"] = await ask(world, waiting, team.seats.session_id)
    assert await act(world, team.trainer, WAITLIST, ids["waiting"]) == "ok"
    assert await act(world, other_employer, CANCEL, ids["offered"], "Empêchement") == "ok"
    del ids["offered"]
    assert (await state(world, team.trainer, ids["waiting"]))["status"] == "WAITLISTED"  # holding the offer
    await outbox.deliver()

    clock.advance(timedelta(days=30))
    # Decisions after the start are refused, before the scheduler has even run.
    assert await act(world, team.employer, VALIDATE, ids["employer"]) == "SESSION_STARTED"
    assert await act(world, team.trainer, SELECT, ids["provider"]) == "SESSION_STARTED"
    await scheduler.run_once()
    outcome = {name: (await state(world, team.trainer, pk))["status"] for name, pk in ids.items()}
    assert outcome == {
        "employer": "EXPIRED",
        "provider": "EXPIRED",
        "accepted": "ACCEPTED",
        "waiting": "EXPIRED",
    }
    assert (await state(world, team.trainer, ids["employer"]))["category"] == "CANCELLED"
    mail = await outbox.deliver()
    told = {m["To"] for m in mail if m["Subject"].startswith("Demande clôturée sans suite")}
    assert told == {people["employer"].email, people["provider"].email}
    # The offer's deadline (never past the close) came first: that seat was given back by its own expiry.
    assert any(m["To"] == waiting.email and m["Subject"].startswith("Place non confirmée") for m in mail)
    # G2 is free again: the person asks for a later session of the same training.
    later = await training_session(world, team.provider, training_pk=team.seats.training_pk)
    await ask(world, people["employer"], later.session_id)


async def test_a_request_alerts_the_referents_when_the_structure_has_no_employer(world: World, outbox):
    provider = await world.structure("Institut de Formation")
    seats = await training_session(world, provider)
    org = await world.structure("Sans employeur")
    referent = await world.person(org, Role.REFERENT)
    await ask(world, await world.person(org), seats.session_id)
    [message] = await outbox.deliver()
    assert message["To"] == referent.email
    assert message["Subject"].startswith("[ParcoursPro] Demande d'inscription à décider")
    assert "désignez-en un" in message.get_body(("plain",)).get_content()
    # Nobody but the requester in his structure: the managers are alerted.
    manager = await world.manager()
    lonely = await world.structure("Seul")
    await ask(world, await world.person(lonely, Role.REFERENT), seats.session_id)
    [message] = await outbox.deliver()
    assert message["To"] == manager.email


async def test_colleagues_requesting_at_once_leave_exactly_two_under_the_cap(world: World):
    provider = await world.structure("Institut de Formation")
    org = await world.structure("Mission Locale")
    await world.person(org, Role.EMPLOYER)
    for _round in range(3):
        seats = await training_session(world, provider, title=f"Formation {_round}")
        people = [await world.person(org) for _ in range(6)]
        answers = await asyncio.gather(
            *(
                world.as_(person, REQUEST, {"session": seats.session_id, "motivation": MOTIVATION})
                for person in people
            )
        )
        flags = sorted(payload(answer)["registration"]["overStructureCap"] for answer in answers)
        assert flags == [False, False, True, True, True, True]
