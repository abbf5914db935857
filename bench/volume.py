"""Volume: the main operations at two sizes of one skewed world, and the growth factor of each.

    # build each world once into a database of its own (PostgreSQL only; kept for later runs)
    .venv/bin/python bench/volume.py build --scale 0.01 --database volume_small    # ~10 s
    .venv/bin/python bench/volume.py build --scale 1 --database volume_full        # a few minutes
    # measure both, in turns, and print p50 and statements per operation with their growth
    .venv/bin/python bench/volume.py measure volume_small volume_full [--requests 60] [--runs 3]

At scale 1 the world is issue 19's national roll-out: 20,000 structures, 200,000 accounts, 2,000 trainings,
10,000 sessions over three years, 1,000,000 registrations and 5,000,000 audit rows, skewed: five structures
hold 8,000 registrations each (400 people with 20 registrations), the others about 48. Everything is made by
SQL set operations (generate_series, INSERT ... SELECT) but the few thousand structures and trainings, whose
search words are computed by the package's own functions. Every table is then VACUUM ANALYZEd, as
autovacuum would have left a database in service.

Requests go through the real ASGI app in-process (httpx), sequentially; statements are counted with a
SQLAlchemy event listener on one warm request (the caller's account comes from the account cache). Each run
measures every operation on each world in turn, so that a busier minute of the shared machine weighs on
both sides of the ratio; p50 is the median of the runs' medians.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy import event
from sqlalchemy.engine import make_url

from parcourspro_gql.app import create_app
from parcourspro_gql.auth.passwords import hasher
from parcourspro_gql.auth.tokens import AccessTokens
from parcourspro_gql.clock import clock
from parcourspro_gql.config import Settings, load_settings
from parcourspro_gql.db import Database
from parcourspro_gql.domain.structures import search_text
from parcourspro_gql.migrate import upgrade
from parcourspro_gql.models._types import distinct_words, normalize_search, search_terms

SERVER = os.environ.get("PARCOURSPRO_BENCH_SERVER", "postgresql+asyncpg://postgres@127.0.0.1:5432")
PASSWORD = "volume-bench-password-2026"
# What docs/operations.md advises for this workload, per database and per table.
OPERATIONS_SETTINGS = ("random_page_cost = 1.1", "work_mem = '16MB'", "effective_io_concurrency = 200")
OPERATIONS_TABLES = (
    "registrations SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.01)",
    "registration_counts SET (fillfactor = 80, autovacuum_vacuum_scale_factor = 0.05)",
    "audit_entries SET (autovacuum_vacuum_insert_scale_factor = 0.05)",
)
BIG_STRUCTURES = 5
BIG_PERSON_REGISTRATIONS = 20
# Towns of the structures: the first ones are frequent (a big town), the others rare.
CITIES = [
    "Bordeaux",
    "Pessac",
    "Mérignac",
    "Limoges",
    "Poitiers",
    "La Rochelle",
    "Pau",
    "Bayonne",
    "Angoulême",
    "Niort",
    "Périgueux",
    "Agen",
    "Mont-de-Marsan",
    "Brive-la-Gaillarde",
    "Tulle",
    "Guéret",
    "Talence",
    "Libourne",
    "Arcachon",
    "Dax",
    "Biarritz",
    "Anglet",
    "Saintes",
    "Rochefort",
    "Cognac",
    "Bergerac",
    "Villeneuve-sur-Lot",
    "Marmande",
    "Châtellerault",
    "Bressuire",
    "Thouars",
    "Parthenay",
    "Royan",
    "Sarlat-la-Canéda",
    "Oloron-Sainte-Marie",
    "Orthez",
    "Lormont",
    "Cenon",
    "Bègles",
    "Gradignan",
]
KINDS = [
    "Mission Locale",
    "Centre d'information et d'orientation",
    "Maison de l'emploi",
    "Cap emploi",
    "Organisme de formation",
    "Association d'insertion",
    "Point information jeunesse",
    "PLIE",
]
THEMES = [
    "accueil des publics",
    "handicap et emploi",
    "orientation tout au long de la vie",
    "numérique et inclusion",
    "entretien motivationnel",
    "création d'entreprise",
    "illettrisme",
    "égalité professionnelle",
    "santé au travail",
    "mobilité internationale",
    "VAE",
    "techniques de recherche d'emploi",
    "animation de réseaux",
    "décrochage scolaire",
    "transitions professionnelles",
    "intelligence artificielle",
    "métiers de l'industrie",
    "accompagnement des jeunes",
    "interculturalité",
    "outils collaboratifs",
]
FILLER = (
    "Cette action permet aux professionnels de l'accompagnement de consolider leurs pratiques, d'échanger "
    "sur des situations rencontrées et de repartir avec des outils directement utilisables. "
)


@dataclass(frozen=True)
class Size:
    structures: int
    accounts: int
    trainings: int
    sessions: int
    registrations: int
    audit: int
    big_people: int  # accounts of the five big structures

    @classmethod
    def of(cls, scale: float) -> Size:
        big_people = BIG_STRUCTURES * max(4, round(400 * scale))
        return cls(
            structures=max(50, round(20_000 * scale)),
            accounts=max(big_people * 2, round(200_000 * scale)),
            trainings=max(20, round(2_000 * scale)),
            sessions=max(100, round(10_000 * scale)),
            registrations=max(big_people * BIG_PERSON_REGISTRATIONS * 2, round(1_000_000 * scale)),
            audit=round(5_000_000 * scale),
            big_people=big_people,
        )


def url_of(database: str) -> str:
    return f"{SERVER}/{database}"


async def _admin(sql: str) -> None:
    url = make_url(SERVER + "/postgres")
    connection = await asyncpg.connect(
        host=url.host, port=url.port, user=url.username, password=url.password, database="postgres"
    )
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def _settings(database: str, bulk: bool = False) -> Settings:
    folder = Path(tempfile.mkdtemp(prefix="pp-volume-"))
    if bulk:
        # The load's INSERT ... SELECT of a million rows and its VACUUM run for minutes, far above the API's
        # per-statement limits (issue 20).
        os.environ.update(
            {
                "PARCOURSPRO_DB_STATEMENT_TIMEOUT_SECONDS": "0",
                "PARCOURSPRO_DB_COMMAND_TIMEOUT_SECONDS": "3600",
            }
        )
    os.environ.update(
        {
            "PARCOURSPRO_DATABASE_URL": url_of(database),
            "PARCOURSPRO_VAR_DIR": str(folder),
            "PARCOURSPRO_MAIL_DISPATCH": "false",
            "PARCOURSPRO_LOG_LEVEL": "WARNING",
        }
    )
    return load_settings()


async def build(scale: float, database: str) -> None:
    size = Size.of(scale)
    started = time.perf_counter()
    await _admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    await _admin(f'CREATE DATABASE "{database}"')
    # docs/operations.md's settings for this workload that a database can carry (the others are the server's).
    for setting in OPERATIONS_SETTINGS:
        await _admin(f'ALTER DATABASE "{database}" SET {setting}')
    settings = _settings(database, bulk=True)
    db = Database.from_url(settings.database_url, settings)
    await upgrade(db.engine)
    now = datetime.now(UTC).replace(microsecond=0)
    password_hash = hasher("default").hash(PASSWORD)
    print(f"building {database}: {size}")
    async with db.engine.connect() as connection:
        raw = (await connection.get_raw_connection()).driver_connection
        assert raw is not None
        # A bulk load of consistent data: no foreign-key or user triggers per row (superuser only).
        await raw.execute("SET session_replication_role = replica")

        async def step(label: str, sql: str, *args: object) -> None:
            begun = time.perf_counter()
            await raw.execute(sql, *args)
            print(f"  {label:28} {time.perf_counter() - begun:6.1f} s", flush=True)

        # Structures (Python: their search words come from the package's own normalisation).
        structures, terms = [], []
        for pk in range(1, size.structures + 1):
            city = CITIES[pk % len(CITIES)] if pk % 3 else CITIES[pk % 4]
            name = f"{KINDS[pk % len(KINDS)]} {city} {pk}"
            siret = f"9{pk:013d}"
            text = search_text(name, siret, city)
            pending = size.structures - pk < 30  # the managers' queue, the same at every size
            structures.append(
                (
                    pk,
                    name,
                    siret,
                    "88.99B",
                    f"{pk} rue de la République",
                    "33000",
                    city,
                    "PENDING" if pending else "VALIDATED",
                    text,
                    now,
                    None,
                )
            )
            terms.extend((term, pk, name) for term in search_terms(text))
        begun = time.perf_counter()
        await raw.copy_records_to_table(
            "structures",
            records=structures,
            columns=[
                "id",
                "name",
                "siret",
                "ape_code",
                "street",
                "postal_code",
                "city",
                "status",
                "search_text",
                "requested_at",
                "rejection_reason",
            ],
        )
        await raw.copy_records_to_table(
            "structure_search_terms", records=terms, columns=["term", "structure_id", "name"]
        )
        await raw.execute(  # what index_terms keeps: structures per term (migration 0015)
            "INSERT INTO structure_search_term_counts (term, structures) "
            "SELECT term, count(*) FROM structure_search_terms GROUP BY term"
        )
        print(f"  {'structures and terms':28} {time.perf_counter() - begun:6.1f} s", flush=True)

        # Accounts: 1..big_people belong to the five big structures; the last one is a manager, and the 40
        # before it wait for a referent's confirmation (the managers' queue, the same at every size).
        big_each = size.big_people // BIG_STRUCTURES
        await step(
            "accounts",
            """INSERT INTO accounts (id, email, email_normalized, password_hash, first_name, last_name,
                   email_verified_at, structure_id, affiliation_status, affiliation_requested_at, created_at)
               SELECT i, 'personne' || i || '@volume.example', 'personne' || i || '@volume.example', $1,
                   'Prénom' || i, 'Nom' || i, $2::timestamptz,
                   CASE WHEN i <= $3 THEN (i - 1) / $4 + 1 ELSE 6 + (i * 7) % ($5 - 35) END,
                   CASE WHEN i BETWEEN $6 - 40 AND $6 - 1 THEN 'PENDING' ELSE 'ACTIVE' END,
                   $2::timestamptz - interval '3 days', $2::timestamptz - interval '3 years'
               FROM generate_series(1, $6) AS i""",
            password_hash,
            now,
            size.big_people,
            big_each,
            size.structures,
            size.accounts,
        )
        await raw.execute(
            "UPDATE accounts SET structure_id = NULL, affiliation_status = 'NONE' WHERE id = $1",
            size.accounts,
        )
        await step(
            "roles",
            """INSERT INTO account_roles (account_id, role, granted_at)
               SELECT (s - 1) * $1 + 1, 'EMPLOYER', $2::timestamptz FROM generate_series(1, $3) AS s
               UNION ALL SELECT $4, 'MANAGER', $2::timestamptz""",
            big_each,
            now,
            BIG_STRUCTURES,
            size.accounts,
        )

        # Trainings (Python: a long description, as real ones are).
        trainings = []
        for pk in range(1, size.trainings + 1):
            theme = THEMES[pk % len(THEMES)]
            title = f"{theme.capitalize()} — module {pk}"
            description = f"{FILLER * 8}Thème : {theme}."
            # A third of the trainings mention "handicap" too: the searched page is full at every size.
            objectives = f"Maîtriser {theme} ; {'handicap ; ' if pk % 3 == 0 else ''}{FILLER * 3}"
            trainings.append(
                (
                    pk,
                    title,
                    description,
                    objectives,
                    "",
                    "",
                    ["FORMATION", "AUTOFORMATION", "LAB_INNOV", "WEBINAR"][pk % 4],
                    pk % 2 == 0,
                    14.0,
                    6 + pk % (size.structures - 40),
                    distinct_words(normalize_search(f"{title} {description} {objectives}")),
                    now,
                )
            )
        begun = time.perf_counter()
        await raw.copy_records_to_table(
            "trainings",
            records=trainings,
            columns=[
                "id",
                "title",
                "description",
                "objectives",
                "content",
                "assessment",
                "format",
                "reserved_to_members",
                "duration_hours",
                "provider_structure_id",
                "search_text",
                "created_at",
            ],
        )
        print(f"  {'trainings':28} {time.perf_counter() - begun:6.1f} s", flush=True)

        # Sessions: training (s - 1) % T + 1, spread from three years ago to six months ahead.
        await step(
            "sessions",
            """INSERT INTO training_sessions (id, training_id, starts_at, ends_at, location, capacity, seats_taken,
                   registration_opens_at, registration_closes_at, contact, created_at)
               SELECT s, (s - 1) % $1 + 1, start, start + interval '7 hours', 'Bordeaux', 1000, 0,
                   start - interval '90 days', start - interval '2 days', '', start - interval '120 days'
               FROM generate_series(1, $2) AS s,
                    LATERAL (SELECT $3::timestamptz - interval '1000 days'
                                    + (s::float8 / $2 * 1180) * interval '1 day' AS start) AS t""",
            size.trainings,
            size.sessions,
            now,
        )
        # Registrations: the k-th of person p is for a different training (k * 101 mod T, 101 prime to T), so
        # one live registration per person and training holds. Past sessions end decided, or EXPIRED (closed
        # undecided at the start, G9, or an offer left unanswered); future ones pending or decided.
        per_training = size.sessions // size.trainings
        others = size.accounts - size.big_people - 1
        await step(
            "registrations",
            f"""INSERT INTO registrations (id, beneficiary_id, session_id, training_id, structure_id, motivation,
                   status, over_structure_cap, requested_at, updated_at, employer_decision_by_id,
                   employer_decision_at, provider_decision_at, cancelled_at, source)
               SELECT i, p, s.id, s.training_id, a.structure_id,
                   'Je souhaite consolider mes pratiques professionnelles grâce à cette action.',
                   st, false, s.starts_at - interval '20 days' - (i % 997) * interval '1 minute', $4::timestamptz,
                   CASE WHEN st NOT IN ('PENDING_EMPLOYER') THEN 1 END,
                   CASE WHEN st NOT IN ('PENDING_EMPLOYER') THEN s.starts_at - interval '15 days' END,
                   CASE WHEN st IN ('ACCEPTED', 'ATTENDED', 'ABSENT', 'REJECTED_BY_PROVIDER', 'WAITLISTED')
                        THEN s.starts_at - interval '10 days' END,
                   CASE WHEN st = 'CANCELLED' THEN s.starts_at - interval '5 days' END,
                   'platform'
               FROM generate_series(0, $1 - 1) AS i
                   CROSS JOIN LATERAL (SELECT CASE WHEN i < $2 THEN i / {BIG_PERSON_REGISTRATIONS} + 1
                                        ELSE $2 / {BIG_PERSON_REGISTRATIONS} + 1 + (i - $2) % $3 END AS p,
                                   CASE WHEN i < $2 THEN i % {BIG_PERSON_REGISTRATIONS}
                                        ELSE (i - $2) / $3 END AS k) AS pk
                   CROSS JOIN LATERAL (SELECT (pk.p * 37 + pk.k * 101) % $5 + 1 AS t) AS tr
                   JOIN training_sessions AS s ON s.id = tr.t + $5 * ((pk.p + pk.k) % $6)
                   JOIN accounts AS a ON a.id = pk.p
                   CROSS JOIN LATERAL (SELECT CASE
                       WHEN s.starts_at < $4::timestamptz THEN (ARRAY['ATTENDED', 'ATTENDED', 'ATTENDED', 'ATTENDED',
                           'ATTENDED', 'ABSENT', 'CANCELLED', 'REFUSED_BY_EMPLOYER', 'REJECTED_BY_PROVIDER',
                           'EXPIRED'])[i % 10 + 1]
                       ELSE (ARRAY['PENDING_EMPLOYER', 'PENDING_PROVIDER', 'ACCEPTED', 'ACCEPTED', 'WAITLISTED',
                           'CANCELLED', 'REFUSED_BY_EMPLOYER', 'ACCEPTED', 'PENDING_PROVIDER',
                           'ACCEPTED'])[i % 10 + 1]
                       END AS st) AS status""",
            size.registrations,
            size.big_people * BIG_PERSON_REGISTRATIONS,
            others,
            now,
            size.trainings,
            per_training,
        )
        await step(
            "seats taken",
            """UPDATE training_sessions AS s SET seats_taken = c.n
               FROM (SELECT session_id, count(*) AS n FROM registrations WHERE status IN ('ACCEPTED', 'ATTENDED',
                     'ABSENT') GROUP BY session_id) AS c WHERE c.session_id = s.id""",
        )
        await step(
            "audit",
            """INSERT INTO audit_entries (at, actor_id, actor_role, entity_type, entity_id, action, from_state,
                   to_state)
               SELECT $1::timestamptz - (i % 1000) * interval '1 day', 1, 'EMPLOYER', 'Registration', i % $2 + 1,
                   'registration.validate', 'PENDING_EMPLOYER', 'PENDING_PROVIDER'
               FROM generate_series(1, $3) AS i""",
            now,
            size.registrations,
            size.audit,
        )
        counters = await raw.fetchval("SELECT to_regclass('registration_counts') IS NOT NULL")
        if counters:
            await step(
                "registration counts",
                """INSERT INTO registration_counts (structure_id, status, employer_decided, n)
                   SELECT structure_id, status, employer_decision_at IS NOT NULL, count(*) FROM registrations
                   GROUP BY 1, 2, 3""",
            )
        for table in (
            "structures",
            "accounts",
            "trainings",
            "training_sessions",
            "registrations",
            "audit_entries",
        ):
            await raw.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
        for table_setting in OPERATIONS_TABLES:
            await raw.execute(f"ALTER TABLE {table_setting}")
        await raw.execute("SET session_replication_role = origin")
        await connection.commit()
    async with db.engine.connect() as connection:
        connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
        begun = time.perf_counter()
        await connection.exec_driver_sql("VACUUM ANALYZE")
        print(f"  {'vacuum analyze':28} {time.perf_counter() - begun:6.1f} s")
        megabytes = (await connection.exec_driver_sql("SELECT pg_database_size(current_database())")).scalar()
    await db.dispose()
    print(f"built {database} in {time.perf_counter() - started:.0f} s, {megabytes / 2**20:.0f} MiB")


# The operations of issue 19's table. Each is (name, document, variables, caller).
OVERVIEW = """query Overview($after: String) { employerOverview { pendingCount validatedCount refusedCount
  registrations(first: 20, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { id
    status requestedAt beneficiary { id firstName lastName } session { id startsAt training { id title } } } } } } }"""
TRAININGS = """query Search($search: String) { trainings(search: $search, first: 5) { totalCount
  edges { node { id title format sessions(first: 3) { edges { node { id startsAt seatsLeft } } } } } } }"""
STRUCTURES = """query Picker($search: String) { structures(search: $search, first: 10) { totalCount
  edges { node { id name siret address { city } } } } }"""
HISTORY = """{ me { registrations(first: 20) { totalCount edges { node { id status category requestedAt
  session { startsAt location training { title format } } } } } } }"""
SESSION = """query Session($id: ID!) { node(id: $id) { ... on TrainingSession { id capacity seatsLeft
  registrations(first: 50) { totalCount edges { node { id status requestedAt
    beneficiary { firstName lastName } } } } } } }"""
DASHBOARD = """{ managerDashboard { overdueCount
  pendingStructures(first: 20) { totalCount edges { node { id name requestedAt } } }
  pendingAffiliations(first: 20) { totalCount edges { node { id firstName lastName } } } } }"""
ME = """{ me { id email firstName lastName roles affiliationStatus structure { id name } } }"""
LOGIN = """mutation Login($email: String!, $password: String!) { login(input: {email: $email, password: $password})
  { accessToken errors { code } } }"""


@dataclass
class World:
    name: str
    db: Database
    http: httpx.AsyncClient
    employer: str
    person: str
    manager: str
    page50: str | None
    session_id: str
    person_email: str


async def _post(http: httpx.AsyncClient, query: str, variables: dict, token: str | None) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    answer = await http.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    body = answer.json()
    assert answer.status_code == 200, answer.text[:500]
    assert "errors" not in body, answer.text[:500]
    return body["data"]


@asynccontextmanager
async def opened(database: str) -> AsyncIterator[World]:
    settings = _settings(database)
    db = Database.from_url(settings.database_url, settings)
    app = create_app(settings, db=db)
    tokens = AccessTokens(settings)
    async with db.engine.connect() as connection:
        manager = (await connection.exec_driver_sql("SELECT max(id) FROM accounts")).scalar()
        # The busiest session of the big structures' registrations, and a person of a big structure.
        session_pk = (
            await connection.exec_driver_sql(
                "SELECT session_id FROM registrations WHERE beneficiary_id = 2 ORDER BY session_id LIMIT 1"
            )
        ).scalar()
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as http,
    ):
        employer = tokens.issue(1)
        # The cursor of page 50 (rows 981-1000) of the big structure's overview, or of its last full page.
        after = None
        for _ in range(49):
            page = (await _post(http, OVERVIEW, {"after": after}, employer))["employerOverview"][
                "registrations"
            ]
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        yield World(
            name=database,
            db=db,
            http=http,
            employer=employer,
            person=tokens.issue(2),
            manager=tokens.issue(manager),
            page50=after,
            session_id=base64.b64encode(f"TrainingSession:{session_pk}".encode()).decode(),
            person_email="personne2@volume.example",
        )
    await db.dispose()


def operations(world: World) -> list[tuple[str, str, dict, str | None]]:
    return [
        ("employer overview, first 20 + counts", OVERVIEW, {}, world.employer),
        ("overview page 50 via cursor", OVERVIEW, {"after": world.page50}, world.employer),
        ('trainings(search: "handicap")', TRAININGS, {"search": "handicap"}, None),
        ('structures(search: "pessac")', STRUCTURES, {"search": "pessac"}, None),
        ("history (me.registrations)", HISTORY, {}, world.person),
        ("session registrations, 50", SESSION, {"id": world.session_id}, world.manager),
        ("manager dashboard", DASHBOARD, {}, world.manager),
        ("me", ME, {}, world.person),
        ("login", LOGIN, {"email": world.person_email, "password": PASSWORD}, None),
    ]


async def statements_of(world: World, query: str, variables: dict, token: str | None) -> int:
    count = 0

    def counted(*_: object) -> None:
        nonlocal count
        count += 1

    await _post(world.http, query, variables, token)  # warm: the caller's account is in the cache
    event.listen(world.db.engine.sync_engine, "before_cursor_execute", counted)
    try:
        await _post(world.http, query, variables, token)
    finally:
        event.remove(world.db.engine.sync_engine, "before_cursor_execute", counted)
    return count


async def timed(world: World, query: str, variables: dict, token: str | None, requests: int) -> float:
    times = []
    for _ in range(requests):
        begun = time.perf_counter()
        await _post(world.http, query, variables, token)
        times.append((time.perf_counter() - begun) * 1000)
    return statistics.median(times)


async def measure(small: str, big: str, requests: int, runs: int) -> None:
    clock.freeze(clock.now())
    async with opened(small) as one, opened(big) as two:
        worlds = (one, two)
        for world in worlds:
            async with world.db.engine.connect() as connection:
                count = (await connection.exec_driver_sql("SELECT count(*) FROM registrations")).scalar()
            print(f"{world.name}: {count:,} registrations")
        names = [name for name, *_ in operations(one)]
        statements = {
            w.name: [await statements_of(w, q, v, t) for _, q, v, t in operations(w)] for w in worlds
        }
        medians: dict[str, list[list[float]]] = {w.name: [[] for _ in names] for w in worlds}
        for _ in range(runs):
            for index in range(len(names)):
                for world in worlds:
                    _, query, variables, token = operations(world)[index]
                    # Warm up, then time; logins are slow (argon2), so fewer of them.
                    many = max(3, requests // 10) if names[index] == "login" else requests
                    await _post(world.http, query, variables, token)
                    medians[world.name][index].append(await timed(world, query, variables, token, many))
    print(
        f"{runs} runs of {requests} sequential requests in-process (login: {max(3, requests // 10)}); p50 in ms"
    )
    print(f"| operation | {small} p50 | {big} p50 | growth | statements {small} / {big} |")
    print("|---|---|---|---|---|")
    for index, name in enumerate(names):
        a = statistics.median(medians[small][index])
        b = statistics.median(medians[big][index])
        print(
            f"| {name} | {a:.1f} | {b:.1f} | ×{b / a:.2f} | {statements[small][index]} / {statements[big][index]} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    built = commands.add_parser("build", help="(re)builds a world into a PostgreSQL database of its own")
    built.add_argument("--scale", type=float, required=True, help="1 = a million registrations")
    built.add_argument("--database", required=True)
    measured = commands.add_parser("measure", help="measures the operations on two built worlds")
    measured.add_argument("small")
    measured.add_argument("big")
    measured.add_argument("--requests", type=int, default=60)
    measured.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if args.command == "build":
        asyncio.run(build(args.scale, args.database))
    else:
        asyncio.run(measure(args.small, args.big, args.requests, args.runs))


if __name__ == "__main__":
    main()
