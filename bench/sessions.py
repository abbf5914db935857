"""The session catalogue (Query.sessions) on 10,000 sessions of 2,000 trainings: statements per page and p50
latency with each filter and with several combined, in-process through the ASGI app.

    .venv/bin/python bench/sessions.py [--sessions 10000] [--requests 100] [--runs 3]
    PARCOURSPRO_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/EMPTY \
        .venv/bin/python bench/sessions.py
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
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


async def build(db: Database, settings: object, sessions: int) -> str:
    async def gql(*_: object, **__: object) -> dict:
        return {}

    world = World(db, AccessTokens(settings), gql)  # type: ignore[arg-type]
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


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    settings, db = await bench_database("sessions")
    token = await build(db, settings, args.sessions)
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
    await db.dispose()


if __name__ == "__main__":
    asyncio.run(main())
