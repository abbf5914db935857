"""The session catalogue (Query.sessions) on 10,000 sessions of 2,000 trainings: statements per page and p50
latency with each filter and with several combined, in-process through the ASGI app; then the week-before
reminders of a session of 1,000 accepted participants (T5): the scheduler's time and the e-mails written.

    .venv/bin/python bench/sessions.py [--sessions 10000] [--requests 100] [--runs 3] [--participants 1000]
    PARCOURSPRO_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/EMPTY \
        .venv/bin/python bench/sessions.py
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests" / "support"))

from registrations import bench_database, measure, served  # noqa: E402
from world import World  # noqa: E402

from parcourspro_gql.app import create_app  # noqa: E402
from parcourspro_gql.auth.tokens import AccessTokens  # noqa: E402
from parcourspro_gql.clock import clock  # noqa: E402
from parcourspro_gql.db import Database  # noqa: E402
from parcourspro_gql.models import Role, Training, TrainingFormat, TrainingSession  # noqa: E402
from parcourspro_gql.models._types import normalize_search  # noqa: E402

CITIES = [
    "Pessac",
    "Mérignac",
    "Bordeaux",
    "Limoges",
    "Poitiers",
    "Pau",
    "Bayonne",
    "La Rochelle",
    "Agen",
    "Niort",
]
TOPICS = ["accueil", "handicap", "orientation", "numérique", "emploi", "jeunes", "illettrisme", "mobilité"]
PAGE = "{ edges { node { id startsAt location seatsLeft training { title format provider { name } } } } }"
CASES = {
    "default page (20)": "",
    "search 'handicap'": 'search: "handicap"',
    "city 'merignac'": 'city: "merignac"',
    "format + seats left": "format: WEBINAR, withSeatsLeft: true",
    "date range (a month)": 'from: "{from}", to: "{to}"',
    "combined (5 filters)": 'search: "accueil", city: "pessac", from: "{from}", withSeatsLeft: true, '
    "reservedToMembers: false",
}


async def build(world: World, db: Database, sessions: int) -> str:
    providers = [await world.structure(f"Organisme {n}") for n in range(20)]
    visitor = await world.person(providers[0], Role.PROVIDER)
    now = clock.now()
    trainings = max(1, sessions // 5)
    formats = list(TrainingFormat)
    async with db.transaction() as session:
        await session.execute(
            insert(Training),
            [
                {
                    "id": n + 1,
                    "title": f"{TOPICS[n % len(TOPICS)].capitalize()} : module {n}",
                    "description": "Description",
                    "objectives": "Objectifs",
                    "content": "",
                    "assessment": "",
                    "format": formats[n % len(formats)],
                    "reserved_to_members": n % 3 == 0,
                    "duration_hours": 7,
                    "provider_structure_id": providers[n % len(providers)].pk,
                    "search_text": normalize_search(f"{TOPICS[n % len(TOPICS)]} module {n}"),
                    "created_at": now,
                }
                for n in range(trainings)
            ],
        )
        rows = []
        for n in range(sessions):
            # A third already ran (the catalogue skips them), the rest spread over two years.
            starts = now + timedelta(days=(n % 1095) - 365, hours=n % 9)
            city = CITIES[n % len(CITIES)]
            rows.append(
                {
                    "training_id": n % trainings + 1,
                    "starts_at": starts,
                    "ends_at": starts + timedelta(hours=7),
                    "location": f"Centre de {city}",
                    "location_search": normalize_search(f"Centre de {city}"),
                    "capacity": 12,
                    "seats_taken": 12 if n % 4 == 0 else n % 12,
                    "registration_opens_at": starts - timedelta(days=60),
                    "registration_closes_at": starts - timedelta(days=1),
                    "created_at": now,
                    "contact": "",
                }
            )
        await session.execute(insert(TrainingSession), rows)
    await db.analyze("structures", "trainings", "training_sessions")
    return visitor.token


async def reminders(world: World, db: Database, participants: int) -> None:
    """A session a week and a minute away with `participants` accepted people: one scheduler pass."""
    from sqlalchemy import func, select

    from parcourspro_gql.domain import reminders as rules
    from parcourspro_gql.models import Account, OutboxMessage, Registration, RegistrationStatus
    from parcourspro_gql.scheduler import Scheduler

    provider = await world.structure("Organisme des rappels")
    org = await world.structure("Structure des participants")
    now = clock.now()
    starts = now + timedelta(days=7, minutes=1)
    async with db.transaction() as session:
        training = Training(
            title="Rappels",
            description="d",
            objectives="o",
            content="",
            assessment="",
            format=TrainingFormat.FORMATION,
            reserved_to_members=False,
            duration_hours=7,
            provider_structure_id=provider.pk,
            search_text="rappels",
            created_at=now,
        )
        session.add(training)
        await session.flush()
        item = TrainingSession(
            training_id=training.id,
            starts_at=starts,
            ends_at=starts + timedelta(hours=7),
            location="Pessac",
            capacity=participants,
            seats_taken=participants,
            registration_opens_at=now - timedelta(days=30),
            registration_closes_at=now + timedelta(days=1),
            created_at=now,
            contact="",
        )
        session.add(item)
        await session.flush()
        people = [
            {
                "email": f"rappel{n}@example.org",
                "email_normalized": f"rappel{n}@example.org",
                "password_hash": "unused",
                "first_name": f"Prénom{n}",
                "last_name": f"Nom{n}",
                "email_verified_at": now,
                "structure_id": org.pk,
                "affiliation_status": "ACTIVE",
                "created_at": now,
            }
            for n in range(participants)
        ]
        ids = (await session.execute(insert(Account).returning(Account.id), people)).scalars().all()
        await session.execute(
            insert(Registration),
            [
                {
                    "beneficiary_id": pk,
                    "session_id": item.id,
                    "training_id": training.id,
                    "structure_id": org.pk,
                    "motivation": "m" * 20,
                    "status": RegistrationStatus.ACCEPTED,
                    "over_structure_cap": False,
                    "requested_at": now,
                    "updated_at": now,
                }
                for pk in ids
            ],
        )
        await rules.schedule_for(session, item)
    clock.advance(timedelta(minutes=2))
    started = time.perf_counter()
    report = await Scheduler(db).run_once()
    elapsed = time.perf_counter() - started
    async with db.read() as session:
        written = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.template == "session_reminder")
        )
    print(
        f"  reminders, {participants} participants: {elapsed:.2f} s for the scheduler pass "
        f"({report.done} task(s)), {written} e-mails written to the outbox"
    )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--participants", type=int, default=1000)
    args = parser.parse_args()
    settings, db = await bench_database("sessions")

    async def gql(*_: object, **__: object) -> dict:
        return {}

    world = World(db, AccessTokens(settings), gql)
    token = await build(world, db, args.sessions)
    app = create_app(settings, db=db)
    today = clock.now().date()
    dates = {"from": str(today + timedelta(days=30)), "to": str(today + timedelta(days=60))}
    print(f"database: {db.dialect}; {args.sessions} sessions; {args.runs} runs of {args.requests} requests")
    async with served(app) as http:
        for name, arguments in CASES.items():
            filters = arguments.format(**dates)
            query = f"{{ sessions({filters}{', ' if filters else ''}first: 20) {PAGE} }}"
            runs = [await measure(http, db, query, token, args.requests) for _ in range(args.runs)]
            p50 = statistics.median(run[1] for run in runs)
            p99 = statistics.median(run[2] for run in runs)
            print(f"  {name:26} {runs[0][0]:2d} statements/page  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms")
    await reminders(world, db, args.participants)
    await db.dispose()


if __name__ == "__main__":
    asyncio.run(main())
