"""Employer overview (100 registrations, nested beneficiary/session/training/provider/decision) and the
beneficiary's history (5 rows): statements per request, p50 and p99 latency, in-process through the ASGI app.

    .venv/bin/python bench/registrations.py [--requests 200] [--runs 3]
    PARCOURSPRO_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/EMPTY \
        .venv/bin/python bench/registrations.py

Statements are counted on a warm request: the caller's account then comes from the account cache
(PARCOURSPRO_AUTH_CACHE_SECONDS), so a cold one, or a mutation, reads one statement more. Requests per second
through 2 uvicorn workers, next to a raw-SQL baseline, are measured by throughput.py.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import event
from starlette.applications import Starlette

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "support"))

from registration_ops import MOTIVATION  # noqa: E402
from world import World, training_session  # noqa: E402

from parcourspro_gql.app import create_app  # noqa: E402
from parcourspro_gql.auth.tokens import AccessTokens  # noqa: E402
from parcourspro_gql.clock import clock  # noqa: E402
from parcourspro_gql.config import Settings, load_settings  # noqa: E402
from parcourspro_gql.db import Database  # noqa: E402
from parcourspro_gql.migrate import upgrade  # noqa: E402
from parcourspro_gql.models import Registration, RegistrationStatus, Role  # noqa: E402

# What an employer's screen asks for: ~100 rows, ~1,100 leaf values (issue 5's "~1,000 fields").
OVERVIEW = """{ employerOverview { pendingCount validatedCount refusedCount
  registrations(first: 100) { edges { node { id status requestedAt
    beneficiary { id firstName lastName }
    session { id startsAt endsAt training { id title } } } } } } }"""
# The same page with every relation and decision: ~2,200 leaf values.
OVERVIEW_WIDE = """{ employerOverview { pendingCount validatedCount refusedCount
  registrations(first: 100) { edges { node { id status motivation requestedAt overStructureCap
    beneficiary { id firstName lastName email }
    session { id startsAt endsAt location training { id title format provider { id name } } }
    employerDecision { at comment by { id lastName } } } } } } }"""
HISTORY = """{ me { registrations(first: 20) { edges { node { id status category requestedAt
  session { startsAt location training { title format } } } } } } }"""


async def build(db: Database, settings) -> tuple[str, str]:
    async def gql(*_: object, **__: object) -> dict:
        return {}

    world = World(db, AccessTokens(settings), gql)
    provider = await world.structure("Institut de Formation")
    org = await world.structure("Mission Locale")
    employer = await world.person(org, Role.EMPLOYER)
    sessions = [
        await training_session(world, provider, title=f"Formation {i}", capacity=500) for i in range(10)
    ]
    person = await world.person(org)
    statuses = list(RegistrationStatus)
    async with db.transaction() as session:
        for i in range(100):
            who = person if i < 5 else await world.person(org)
            seats = sessions[i % 10]
            session.add(
                Registration(
                    beneficiary_id=who.pk,
                    session_id=seats.session_pk,
                    training_id=seats.training_pk,
                    structure_id=org.pk,
                    motivation=MOTIVATION,
                    status=statuses[i % len(statuses)],
                    over_structure_cap=False,
                    requested_at=clock.now() - timedelta(minutes=i),
                    updated_at=clock.now(),
                    employer_decision_by_id=employer.pk,
                    employer_decision_at=clock.now(),
                )
            )
    # As a database in service would have them (autovacuum's analyze would otherwise come in mid-run).
    await db.analyze(
        "accounts", "account_roles", "structures", "trainings", "training_sessions", "registrations"
    )
    return employer.token, person.token


async def measure(
    http: httpx.AsyncClient, db: Database, query: str, token: str, requests: int
) -> tuple[int, float, float]:
    statements = 0

    def count(*_: object) -> None:
        nonlocal statements
        statements += 1

    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(20):
        await http.post("/graphql", json={"query": query}, headers=headers)
    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    await http.post("/graphql", json={"query": query}, headers=headers)
    event.remove(db.engine.sync_engine, "before_cursor_execute", count)
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        answer = await http.post("/graphql", json={"query": query}, headers=headers)
        times.append((time.perf_counter() - started) * 1000)
        assert "errors" not in answer.json(), answer.text
    times.sort()
    return statements, statistics.median(times), times[int(0.99 * (len(times) - 1))]


async def bench_database(name: str) -> tuple[Settings, Database]:
    """A migrated database for a benchmark (a new SQLite file unless PARCOURSPRO_DATABASE_URL names one), mail
    dispatch off, quiet logs, the clock frozen."""
    folder = Path(tempfile.mkdtemp(prefix=f"pp-bench-{name}-"))
    os.environ.setdefault("PARCOURSPRO_DATABASE_URL", f"sqlite+aiosqlite:///{folder}/bench.db")
    os.environ.update(
        {
            "PARCOURSPRO_VAR_DIR": str(folder),
            "PARCOURSPRO_MAIL_DISPATCH": "false",
            "PARCOURSPRO_LOG_LEVEL": "WARNING",
        }
    )
    settings = load_settings()
    db = Database.from_url(settings.database_url, settings)
    await upgrade(db.engine)
    clock.freeze(clock.now())
    return settings, db


@asynccontextmanager
async def served(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """A client of `app` in-process, the app running its lifespan as a server does (httpx's transport does not):
    garbage-collector settings included."""
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as http,
    ):
        yield http


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    settings, db = await bench_database("registrations")
    employer_token, person_token = await build(db, settings)
    app = create_app(settings, db=db)
    print(f"database: {db.dialect}; {args.runs} runs of {args.requests} sequential requests, in-process")
    async with served(app) as http:
        for name, query, token in (
            ("employer overview (100 rows)", OVERVIEW, employer_token),
            ("overview, wide (100 rows)", OVERVIEW_WIDE, employer_token),
            ("beneficiary history (5 rows)", HISTORY, person_token),
        ):
            runs = [await measure(http, db, query, token, args.requests) for _ in range(args.runs)]
            p50 = statistics.median(run[1] for run in runs)
            p99 = statistics.median(run[2] for run in runs)
            print(
                f"  {name:30} {runs[0][0]:2d} statements/request (warm)  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms"
            )
    await db.dispose()


if __name__ == "__main__":
    asyncio.run(main())
