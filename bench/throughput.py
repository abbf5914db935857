"""Employer overview and beneficiary history through a real server with 2 uvicorn workers, next to raw-SQL
baseline routes returning the same JSON (bench/server.py): p50, p99 and requests per second, medians of runs.

    .venv/bin/python bench/throughput.py [--seconds 5] [--connections 16] [--runs 3] [--workers 2]
    PARCOURSPRO_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/EMPTY .venv/bin/python bench/throughput.py

The load comes from this process on the same 2-core machine (httpx, keep-alive connections, which uvicorn's
workers share through the listening socket): it competes with the server for CPU, so the absolute figures
are lower bounds; the ratios to the baseline are the point.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT.parent / "tests" / "support"))

from registrations import HISTORY, OVERVIEW, build  # noqa: E402

from parcourspro_gql.clock import clock  # noqa: E402
from parcourspro_gql.config import load_settings  # noqa: E402
from parcourspro_gql.db import Database  # noqa: E402
from parcourspro_gql.migrate import upgrade  # noqa: E402


async def prepare() -> tuple[str, str]:
    settings = load_settings()
    db = Database.from_url(settings.database_url, settings)
    await upgrade(db.engine)
    # Tokens must outlive the run: issue them with the real clock, at the end of the setup.
    clock.freeze(clock.now())
    tokens = await build(db, settings)
    clock.unfreeze()
    await db.dispose()
    return tokens


async def load(
    base: str, method: str, path: str, body: dict | None, token: str, seconds: float, connections: int
):
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    times: list[float] = []
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30, headers=headers) as http:
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                answer = await http.request(method, path, json=body)
                times.append((time.perf_counter() - started) * 1000)
                assert answer.status_code == 200, answer.text

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - started
    times.sort()
    return statistics.median(times), times[int(0.99 * (len(times) - 1))], len(times) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8790)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="pp-bench-throughput-"))
    os.environ.setdefault("PARCOURSPRO_DATABASE_URL", f"sqlite+aiosqlite:///{folder}/bench.db")
    os.environ.update(
        {
            "PARCOURSPRO_VAR_DIR": str(folder),
            "PARCOURSPRO_MAIL_DISPATCH": "false",
            "PARCOURSPRO_LOG_LEVEL": "WARNING",
        }
    )
    employer_token, person_token = asyncio.run(prepare())
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "server:app",
            "--app-dir",
            str(ROOT),
            "--port",
            str(args.port),
            "--workers",
            str(args.workers),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{args.port}"
    try:
        for _ in range(100):
            try:
                httpx.get(f"{base}/health", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        print(
            f"database: {os.environ['PARCOURSPRO_DATABASE_URL'].split('+')[0]}, {args.workers} uvicorn workers, "
            f"{args.connections} connections, {args.runs} runs of {args.seconds:.0f} s (medians)"
        )
        targets = [
            ("overview GraphQL (100 rows)", "POST", "/graphql", {"query": OVERVIEW}, employer_token),
            ("overview raw SQL baseline", "GET", "/baseline/overview", None, employer_token),
            ("history GraphQL (5 rows)", "POST", "/graphql", {"query": HISTORY}, person_token),
            ("history raw SQL baseline", "GET", "/baseline/history", None, person_token),
        ]
        for name, method, path, body, token in targets:
            runs = [
                asyncio.run(load(base, method, path, body, token, args.seconds, args.connections))
                for _ in range(args.runs)
            ]
            p50, p99, rps = (statistics.median(run[i] for run in runs) for i in range(3))
            print(f"  {name:30} p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  {rps:7.0f} req/s")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
