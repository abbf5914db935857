"""A session with accepted participants from two structures, built through the API, for the document tests."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from pypdf import PdfReader
from registration_ops import MOTIVATION, REQUEST, SELECT, VALIDATE, code, payload
from world import Org, Person, Seats, World, training_session

from parcourspro_gql.models import Account, Role

SEND = """
mutation($session: ID!) {
  convocationsSend(input: {sessionId: $session}) {
    session { id }
    errors { code message field }
  }
}
"""
RECORD = """
mutation($session: ID!, $halfDays: Int!, $entries: [AttendanceEntryInput!]!) {
  attendanceRecord(input: {sessionId: $session, halfDays: $halfDays, entries: $entries}) {
    session { id }
    registrations { id status attendanceRate documents { kind fileName } }
    errors { code message field }
  }
}
"""
DOCUMENTS = """
query($id: ID!) {
  node(id: $id) { ... on Registration { status attendanceRate documents { kind url fileName } } }
}
"""
TITLE = "Accueillir é è à ç œ € : les publics"


def pdf_text(content: bytes) -> str:
    """Every page's text as a reader finds it, line breaks and runs of spaces made single spaces."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).split())


async def names(world: World, pk: int) -> tuple[str, str]:
    """The first and last names of an account, as documents print them."""
    async with world.db.read() as session:
        account = await session.get(Account, pk)
        assert account is not None
        return account.first_name, account.last_name


@dataclass
class Course:
    """provider (trainer), structure `org` (employer, referent, people), structure `other` (employer, people)."""

    world: World
    provider: Org = field(init=False)
    trainer: Person = field(init=False)
    org: Org = field(init=False)
    employer: Person = field(init=False)
    referent: Person = field(init=False)
    other: Org = field(init=False)
    other_employer: Person = field(init=False)
    seats: Seats = field(init=False)
    accepted: dict[str, tuple[Person, str]] = field(default_factory=dict)

    async def build(self, *, per_structure: int = 1, title: str = TITLE, capacity: int = 40) -> Course:
        world = self.world
        self.provider = await world.structure("Institut de Formation Aquitaine")
        self.trainer = await world.person(self.provider, Role.PROVIDER)
        self.org = await world.structure("Mission Locale des Graves")
        self.employer = await world.person(self.org, Role.EMPLOYER)
        self.referent = await world.person(self.org, Role.REFERENT)
        self.other = await world.structure("Cap Emploi Gironde")
        self.other_employer = await world.person(self.other, Role.EMPLOYER)
        self.seats = await training_session(world, self.provider, title=title, capacity=capacity)
        for index in range(per_structure):
            await self.accept(f"org{index}", self.org, self.employer)
            await self.accept(f"other{index}", self.other, self.other_employer)
        return self

    def people(self) -> list[Person]:
        fixed = [self.trainer, self.employer, self.referent, self.other_employer]
        return fixed + [person for person, _ in self.accepted.values()]

    def start(self, clock: Any, after: timedelta = timedelta(days=31)) -> None:
        """Moves past the session's start; the access tokens issued before would have expired, so renew them."""
        clock.advance(after)
        for person in self.people():
            person.token = self.world.tokens.issue(person.pk)

    async def ask(self, org: Org, person: Person | None = None) -> tuple[Person, str]:
        person = person or await self.world.person(org)
        body = await self.world.as_(
            person, REQUEST, {"session": self.seats.session_id, "motivation": MOTIVATION}
        )
        return person, payload(body)["registration"]["id"]

    async def accept(self, name: str, org: Org, employer: Person, person: Person | None = None) -> str:
        person, registration_id = await self.ask(org, person)
        for who, document in ((employer, VALIDATE), (self.trainer, SELECT)):
            assert code(await self.world.as_(who, document, {"id": registration_id})) == "ok"
        self.accepted[name] = (person, registration_id)
        return registration_id

    async def send(self, who: Person | None = None) -> dict[str, Any]:
        return await self.world.as_(who or self.trainer, SEND, {"session": self.seats.session_id})

    async def record(
        self, half_days: int, entries: dict[str, int], who: Person | None = None
    ) -> dict[str, Any]:
        variables = {
            "session": self.seats.session_id,
            "halfDays": half_days,
            "entries": [
                {"registrationId": self.accepted[name][1], "halfDaysAttended": count}
                for name, count in entries.items()
            ],
        }
        return await self.world.as_(who or self.trainer, RECORD, variables)

    async def documents(self, name: str, who: Person | None = None) -> dict[str, dict[str, str]]:
        """The documents of a participant's registration that `who` (by default the participant) sees."""
        person, registration_id = self.accepted[name]
        body = await self.world.as_(who or person, DOCUMENTS, {"id": registration_id})
        node = body["data"]["node"]
        return {document["kind"]: document for document in node["documents"]} if node else {}


async def download(client: Any, url: str, who: Person | None) -> Any:
    """GET the document's URL as a client would, with the caller's bearer token."""
    headers = {"Authorization": f"Bearer {who.token}"} if who else {}
    return await client.get(urlsplit(url).path, headers=headers)
