"""Issue 18: `statistics` over a year of 100,000 registrations (p50), and the CSV and XLSX exports of those
100,000 rows (time to the last byte, peak memory of the server process), through a real uvicorn server.

    .venv/bin/python bench/reporting.py [--registrations 100000] [--requests 20]
    PARCOURSPRO_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/EMPTY .venv/bin/python bench/reporting.py

The world: 200 structures, 20,000 people (5 registrations each, on 5 different trainings), 500 trainings of one
provider with 4 sessions each in the current year, every status of the life cycle, decisions with their
deciders, attendance recorded. The server is `parcourspro-gql serve` (one worker, no mail dispatch), started
afresh for each export so that its peak resident memory (VmHWM, read in /proc) belongs to that export alone;
the same server first answers a small export (one structure, ~500 rows), so that the growth from ~500 to
100,000 rows shows whether memory stays constant.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics as stats
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import insert

ROOT = Path(__file__).resolve().parents[1]

from parcourspro_gql.auth.tokens import AccessTokens  # noqa: E402
from parcourspro_gql.config import load_settings  # noqa: E402
from parcourspro_gql.db import Database  # noqa: E402
from parcourspro_gql.domain.ids import global_id  # noqa: E402
from parcourspro_gql.migrate import upgrade  # noqa: E402
from parcourspro_gql.models import (  # noqa: E402
    Account,
    AccountRole,
    AffiliationStatus,
    Registration,
    RegistrationStatus,
    Role,
    Structure,
    StructureStatus,
    Training,
    TrainingFormat,
    TrainingSession,
)
from parcourspro_gql.seed import demo_siret  # noqa: E402

STATISTICS = """query($structure: ID) { statistics(year: %d, structureId: $structure) {
  registrationsByStatus { status count } sessions seatsOffered seatsTaken fillRate attendanceRate
  averageRating beneficiaries structures } }"""
STRUCTURES, TRAININGS, SESSIONS_PER_TRAINING, PER_PERSON = 200, 500, 4, 5


async def build(db: Database, registrations: int, year: int) -> tuple[int, int]:
    """The year's world, bulk-inserted; returns (a manager's id, one structure's id)."""
    now = datetime.now(UTC)
    people = registrations // PER_PERSON
    statuses = list(RegistrationStatus)
    async with db.transaction() as session:
        await session.execute(
            insert(Structure),
            [
                {
                    "id": n + 1,
                    "name": f"Structure {n + 1}",
                    "siret": demo_siret(1000 + n),
                    "ape_code": "85.59A",
                    "street": f"{n} rue",
                    "postal_code": "33000",
                    "city": "Bordeaux",
                    "status": StructureStatus.VALIDATED,
                    "search_text": f"structure {n + 1}",
                    "requested_at": now,
                }
                for n in range(STRUCTURES + 1)
            ],
        )
        provider = STRUCTURES + 1
        secret = "unused"  # nobody logs in: the manager gets a token directly
        account_rows = [
            {
                "id": n + 1,
                "email": f"personne{n + 1}@example.org",
                "email_normalized": f"personne{n + 1}@example.org",
                "password_hash": secret,
                "first_name": f"Prénom{n + 1}",
                "last_name": f"Nom{n + 1}",
                "email_verified_at": now,
                "structure_id": n % STRUCTURES + 1,
                "affiliation_status": AffiliationStatus.ACTIVE,
                "created_at": now,
            }
            for n in range(people)
        ]
        manager = people + 1
        trainer = people + 2
        account_rows += [
            {**account_rows[0], "id": manager, "email": "chef@example.org", "email_normalized": "chef@example.org",
             "structure_id": None, "affiliation_status": AffiliationStatus.NONE},
            {**account_rows[0], "id": trainer, "email": "formateur@example.org",
             "email_normalized": "formateur@example.org", "structure_id": provider},
        ]  # fmt: skip
        for start in range(0, len(account_rows), 10_000):
            await session.execute(insert(Account), account_rows[start : start + 10_000])
        # The first person of each structure is its employer.
        roles = [{"account_id": n + 1, "role": Role.EMPLOYER, "granted_at": now} for n in range(STRUCTURES)]
        roles += [
            {"account_id": manager, "role": Role.MANAGER, "granted_at": now},
            {"account_id": trainer, "role": Role.PROVIDER, "granted_at": now},
        ]
        await session.execute(insert(AccountRole), roles)
        await session.execute(
            insert(Training),
            [
                {
                    "id": t + 1,
                    "title": f"Formation {t + 1}",
                    "description": "Description",
                    "objectives": "Objectifs",
                    "content": "",
                    "assessment": "",
                    "format": TrainingFormat.FORMATION,
                    "reserved_to_members": False,
                    "duration_hours": 14,
                    "provider_structure_id": provider,
                    "search_text": f"formation {t + 1}",
                    "created_at": now,
                }
                for t in range(TRAININGS)
            ],
        )
        first_day = datetime(year, 1, 10, 8, tzinfo=UTC)
        await session.execute(
            insert(TrainingSession),
            [
                {
                    "id": s + 1,
                    "training_id": s // SESSIONS_PER_TRAINING + 1,
                    "starts_at": first_day + timedelta(hours=(s * 37) % (330 * 24)),
                    "ends_at": first_day + timedelta(hours=(s * 37) % (330 * 24) + 8),
                    "location": "Pessac",
                    "capacity": 60,
                    "seats_taken": 0,
                    "registration_opens_at": first_day - timedelta(days=60),
                    "registration_closes_at": first_day - timedelta(days=1),
                    "contact": "",
                    "created_at": now,
                }
                for s in range(TRAININGS * SESSIONS_PER_TRAINING)
            ],
        )
        batch = []
        for r in range(registrations):
            person = r // PER_PERSON
            training = (person + (r % PER_PERSON) * (TRAININGS // PER_PERSON)) % TRAININGS
            status = statuses[r % len(statuses)]
            decided = status is not RegistrationStatus.PENDING_EMPLOYER
            batch.append(
                {
                    "beneficiary_id": person + 1,
                    "session_id": training * SESSIONS_PER_TRAINING + person % SESSIONS_PER_TRAINING + 1,
                    "training_id": training + 1,
                    "structure_id": person % STRUCTURES + 1,
                    "motivation": "Motivation de banc d'essai, assez longue pour la règle.",
                    "status": status,
                    "over_structure_cap": False,
                    "requested_at": now,
                    "updated_at": now,
                    "employer_decision_by_id": person % STRUCTURES + 1 if decided else None,
                    "employer_decision_at": now if decided else None,
                    "employer_decision_comment": '=HYPERLINK("http://x")' if r % 97 == 0 else None,
                    "provider_decision_by_id": trainer if decided else None,
                    "provider_decision_at": now if decided else None,
                    "attendance_rate": 0.75 if status is RegistrationStatus.ATTENDED else None,
                    "half_days_attended": 3 if status is RegistrationStatus.ATTENDED else None,
                }
            )
            if len(batch) == 10_000:
                await session.execute(insert(Registration), batch)
                batch = []
        if batch:
            await session.execute(insert(Registration), batch)
    if db.dialect == "postgresql":
        # Bulk inserts with explicit ids leave the sequences behind.
        async with db.engine.begin() as connection:
            for table in ("structures", "accounts", "trainings", "training_sessions"):
                await connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                )
    await db.analyze(
        "accounts", "account_roles", "structures", "trainings", "training_sessions", "registrations"
    )
    return manager, 1


def peak_kib(pid: int) -> int:
    """The process's peak resident memory so far (VmHWM), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM")


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) the process has used so far: what a request costs the server whatever else the
    shared machine runs (PostgreSQL's own work is in its backend, not here)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Server:
    """`parcourspro-gql serve` on a free port, in its own process."""

    def __init__(self, env: dict[str, str], port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            [str(ROOT / ".venv/bin/parcourspro-gql"), "serve", "--port", str(port), "--no-mail-dispatch"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    async def ready(self) -> None:
        async with httpx.AsyncClient() as http:
            for _ in range(1200):  # two minutes: a loaded machine starts a server slowly
                try:
                    if (await http.get(f"{self.url}/health")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        raise RuntimeError("the server did not start")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        self.process.wait(timeout=30)


async def download(http: httpx.AsyncClient, url: str, headers: dict[str, str]) -> tuple[float, int]:
    """Seconds to the last byte, and bytes received (streamed, never kept)."""
    started = time.perf_counter()
    size = 0
    async with http.stream("GET", url, headers=headers, timeout=600) as response:
        assert response.status_code == 200, response.status_code
        async for chunk in response.aiter_bytes():
            size += len(chunk)
    return time.perf_counter() - started, size


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def time_statistics(
    http: httpx.AsyncClient, headers: dict, year: int, structure: str | None, n: int, pid: int
) -> str:
    variables = {"structure": structure} if structure else {}
    times = []
    cpu = 0.0
    for index in range(n + 3):
        if index == 3:  # the first ones warm the caches up
            cpu = cpu_seconds(pid)
        begun = time.perf_counter()
        answer = await http.post(
            "/graphql", json={"query": STATISTICS % year, "variables": variables}, headers=headers
        )
        times.append((time.perf_counter() - begun) * 1000)
        assert "errors" not in answer.json(), answer.text
    used = (cpu_seconds(pid) - cpu) * 1000 / n if n else 0.0
    times = sorted(times[3:])
    counted = sum(row["count"] for row in answer.json()["data"]["statistics"]["registrationsByStatus"])
    return (
        f"p50 {stats.median(times):7.1f} ms  max {times[-1]:7.1f} ms  server CPU {used:6.1f} ms/request  "
        f"({counted:,} registrations)"
    )


async def measure_export(env: dict, headers: dict, form: str, year: int, structure: str) -> str:
    server = Server(env, free_port())
    try:
        await server.ready()
        async with httpx.AsyncClient(base_url=server.url, timeout=600) as http:
            pid = server.process.pid
            await time_statistics(http, headers, year, None, 1, pid)  # a warm server, as in service
            base = peak_kib(server.process.pid)
            url = f"/exports/registrations.{form}?year={year}"
            small, small_size = await download(http, f"{url}&structureId={structure}", headers)
            after_small = peak_kib(server.process.pid)
            cpu = cpu_seconds(pid)
            whole, whole_size = await download(http, url, headers)
            cpu = cpu_seconds(pid) - cpu
            after_whole = peak_kib(server.process.pid)
    finally:
        server.stop()
    return (
        f"one structure {small:6.2f} s ({small_size / 1e6:.2f} MB); all {whole:6.2f} s ({whole_size / 1e6:.1f} MB, "
        f"server CPU {cpu:.1f} s); "
        f"server peak RSS {base / 1024:.0f} MiB before, {after_small / 1024:.0f} after one structure, "
        f"{after_whole / 1024:.0f} after all"
    )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--registrations", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--exports", default="csv,xlsx", help="the formats to measure, comma-separated")
    parser.add_argument(
        "--reuse",
        metavar="DIR",
        help="measure again the world that an earlier run built (its folder: secret key, SQLite file), migrated",
    )
    args = parser.parse_args()
    folder = Path(args.reuse) if args.reuse else Path(tempfile.mkdtemp(prefix="pp-bench-reporting-"))
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
    year = datetime.now(UTC).year
    started = time.perf_counter()
    if args.reuse:
        manager, structure_pk = args.registrations // PER_PERSON + 1, 1
    else:
        manager, structure_pk = await build(db, args.registrations, year)
    await db.dispose()
    built = time.perf_counter() - started
    print(
        f"database: {db.dialect}; {args.registrations:,} registrations of {year} built in {built:.0f} s ({folder})"
    )
    headers = {"Authorization": f"Bearer {AccessTokens(settings).issue(manager)}"}
    structure = global_id("Structure", structure_pk)
    env = dict(os.environ)
    server = Server(env, free_port())
    try:
        await server.ready()
        async with httpx.AsyncClient(base_url=server.url, timeout=600) as http:
            for label, wanted in (("all structures", None), ("one structure", structure)):
                figures = await time_statistics(
                    http, headers, year, wanted, args.requests, server.process.pid
                )
                print(f"  statistics, {label:15} {figures}")
    finally:
        server.stop()
    for form in args.exports.split(","):
        print(f"  export {form:4}  {await measure_export(env, headers, form, year, structure)}")


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
