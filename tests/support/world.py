"""Builds the people and structures of a test directly in the database, and logs them in."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from parcourspro_gql.auth.tokens import AccessTokens
from parcourspro_gql.clock import clock
from parcourspro_gql.domain.scheduling import schedule_session_start
from parcourspro_gql.domain.structures import index_terms, search_text
from parcourspro_gql.models import (
    Account,
    AccountRole,
    AffiliationStatus,
    Membership,
    Role,
    Structure,
    StructureStatus,
    Training,
    TrainingFormat,
    TrainingSession,
)
from parcourspro_gql.models._types import normalize_search
from parcourspro_gql.schema.relay import to_global_id
from parcourspro_gql.seed import demo_siret


async def add_structures(
    db: Any,
    names_and_cities: list[tuple[str, str]],
    status: StructureStatus = StructureStatus.VALIDATED,
    start: int = 0,
) -> list[int]:
    """Structures in bulk (the i-th has SIRET demo_siret(1000 + start + i)), with their search terms and the
    terms' counts as the domain writes them; their ids."""
    async with db.transaction() as session:
        rows = []
        for i, (name, city) in enumerate(names_and_cities, start):
            siret = demo_siret(1000 + i)
            rows.append(
                Structure(
                    name=name,
                    siret=siret,
                    ape_code="85.59A",
                    street=f"{i} rue de la Paix",
                    postal_code="33600",
                    city=city,
                    status=status,
                    search_text=search_text(name, siret, city),
                    requested_at=clock.now() - timedelta(days=1),
                )
            )
        session.add_all(rows)
        await session.flush()
        await index_terms(session, rows)
        return [row.id for row in rows]


@dataclass
class Person:
    pk: int
    email: str
    token: str

    @property
    def id(self) -> str:
        return to_global_id("Account", self.pk)


@dataclass
class Org:
    pk: int
    siret: str

    @property
    def id(self) -> str:
        return to_global_id("Structure", self.pk)


@dataclass
class World:
    db: Any
    tokens: AccessTokens
    gql: Any
    counter: list[int] = field(default_factory=lambda: [0])

    def _next(self) -> int:
        self.counter[0] += 1
        return self.counter[0]

    async def structure(
        self,
        name: str | None = None,
        status: StructureStatus = StructureStatus.VALIDATED,
        age: timedelta = timedelta(),
    ) -> Org:
        n = self._next()
        name = name or f"Structure {n}"
        siret = demo_siret(500 + n)
        async with self.db.transaction() as session:
            row = Structure(
                name=name,
                siret=siret,
                ape_code="85.59A",
                street=f"{n} rue Sainte-Catherine",
                postal_code="33000",
                city="Bordeaux",
                status=status,
                search_text=search_text(name, siret, "Bordeaux"),
                requested_at=clock.now() - age,
            )
            session.add(row)
            await session.flush()
            await index_terms(session, [row])
            return Org(row.id, siret)

    async def person(
        self,
        org: Org | None = None,
        *roles: Role,
        status: AffiliationStatus | None = None,
        verified: bool = True,
        age: timedelta = timedelta(),
    ) -> Person:
        n = self._next()
        email = f"person{n}@example.org"
        status = status or (AffiliationStatus.ACTIVE if org else AffiliationStatus.NONE)
        now = clock.now()
        async with self.db.transaction() as session:
            row = Account(
                email=email,
                email_normalized=email,
                password_hash="unused",
                first_name=f"Prénom{n}",
                last_name=f"Nom{n:03d}",
                email_verified_at=now if verified else None,
                structure_id=org.pk if org else None,
                affiliation_status=status,
                affiliation_requested_at=now - age if org else None,
                created_at=now - age,
            )
            session.add(row)
            await session.flush()
            for role in roles:
                session.add(AccountRole(account_id=row.id, role=role, granted_at=now))
            pk = row.id
        return Person(pk, email, self.tokens.issue(pk))

    async def manager(self) -> Person:
        return await self.person(None, Role.MANAGER)

    async def as_(self, who: Person | None, query: str, variables: dict | None = None) -> dict:
        return await self.gql(query, variables, token=who.token if who else None)


@dataclass
class Seats:
    """A training and one of its sessions, with the ids clients use."""

    training_pk: int
    session_pk: int
    provider: Org

    @property
    def session_id(self) -> str:
        return to_global_id("TrainingSession", self.session_pk)

    @property
    def training_id(self) -> str:
        return to_global_id("Training", self.training_pk)


async def training_session(
    world: World,
    provider: Org,
    *,
    title: str = "Accueillir les publics",
    format: TrainingFormat = TrainingFormat.FORMATION,
    reserved: bool = False,
    capacity: int = 10,
    starts_in: timedelta = timedelta(days=30),
    open_: bool = True,
    second_phase_in: timedelta | None = None,
    training_pk: int | None = None,
    location: str = "Cap Métiers, Pessac",
    duration: timedelta = timedelta(days=1, hours=8),
) -> Seats:
    """A training (or another session of `training_pk`) whose registration window is open now, or closed."""
    now = clock.now()
    async with world.db.transaction() as session:
        if training_pk is None:
            training = Training(
                title=title,
                description="Description",
                objectives="Objectifs",
                format=format,
                reserved_to_members=reserved,
                duration_hours=14,
                provider_structure_id=provider.pk,
                search_text=normalize_search(title),
                created_at=now,
                content="",
                assessment="",
            )
            session.add(training)
            await session.flush()
            training_pk = training.id
        starts = now + starts_in
        item = TrainingSession(
            training_id=training_pk,
            starts_at=starts,
            ends_at=starts + duration,
            location=location,
            capacity=capacity,
            seats_taken=0,
            registration_opens_at=now - timedelta(days=10) if open_ else now + timedelta(days=1),
            registration_closes_at=min(starts, now + timedelta(days=20))
            if open_
            else now + timedelta(days=2),
            second_phase_at=now + second_phase_in if second_phase_in else None,
            created_at=now,
            contact="",
        )
        session.add(item)
        await session.flush()
        # As domain.catalogue.create_session does: the session closes its undecided requests at its start (G9).
        await schedule_session_start(session, item.id, item.starts_at)
        return Seats(training_pk, item.id, provider)


async def member_of(world: World, org: Org, year: int) -> None:
    async with world.db.transaction() as session:
        session.add(Membership(structure_id=org.pk, year=year, granted_at=clock.now()))
