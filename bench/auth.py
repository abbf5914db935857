"""Login latency (argon2 cost) and throughput of an authenticated `me` query.

Runs a real uvicorn server on 127.0.0.1 over a fresh SQLite (or PARCOURSPRO_DATABASE_URL) database, with
the production password-hash profile, and drives it with httpx from this process.

    .venv/bin/python bench/auth.py [--logins 20] [--requests 2000] [--concurrency 16] [--workers 1]
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

LOGIN = """mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) {
  accessToken errors { code } } }"""
ME = "{ me { id email firstName lastName emailVerified roles affiliationStatus } }"
EMAIL, PASSWORD = "bench@example.org", "une phrase de passe pour le banc"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--logins", type=int, default=20)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="pp-bench-"))
    env = {
        **os.environ,
        "PARCOURSPRO_DATABASE_URL": os.environ.get(
            "PARCOURSPRO_DATABASE_URL", f"sqlite+aiosqlite:///{folder}/bench.db"
        ),
        "PARCOURSPRO_VAR_DIR": str(folder),
        "PARCOURSPRO_MAIL_URL": f"file://{folder}/mail",
        "PARCOURSPRO_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "parcourspro_gql.cli"]
    subprocess.run([*command, "migrate"], env=env, check=True, capture_output=True)
    subprocess.run(
        [
            *command,
            "create-manager",
            "--email",
            EMAIL,
            "--password",
            PASSWORD,
            "--first-name",
            "B",
            "--last-name",
            "C",
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    server = subprocess.Popen(
        [*command, "serve", "--port", str(args.port), "--workers", str(args.workers), "--no-mail-dispatch"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        asyncio.run(drive(f"http://127.0.0.1:{args.port}", args))
    finally:
        server.terminate()
        server.wait(timeout=20)


async def drive(base: str, args: argparse.Namespace) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        for _ in range(100):
            try:
                await http.get("/health")
                break
            except httpx.TransportError:
                await asyncio.sleep(0.1)
        latencies = []
        token = ""
        for _ in range(args.logins):
            started = time.perf_counter()
            answer = await http.post(
                "/graphql", json={"query": LOGIN, "variables": {"e": EMAIL, "p": PASSWORD}}
            )
            latencies.append((time.perf_counter() - started) * 1000)
            token = answer.json()["data"]["login"]["accessToken"]
            assert token, answer.text
        print(
            f"login (argon2 default profile): p50 {statistics.median(latencies):.1f} ms, "
            f"p95 {percentile(latencies, 0.95):.1f} ms over {args.logins} sequential logins"
        )

    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=args.concurrency, max_keepalive_connections=args.concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits, headers=headers) as http:
        me_latencies: list[float] = []
        remaining = args.requests

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                started = time.perf_counter()
                answer = await http.post("/graphql", json={"query": ME})
                me_latencies.append((time.perf_counter() - started) * 1000)
                assert answer.json()["data"]["me"]["email"] == EMAIL

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(args.concurrency)))
        elapsed = time.perf_counter() - started
        print(
            f"authenticated me: {args.requests / elapsed:.0f} req/s with {args.concurrency} connections, "
            f"{args.workers} worker(s); p50 {statistics.median(me_latencies):.1f} ms, "
            f"p99 {percentile(me_latencies, 0.99):.1f} ms"
        )


if __name__ == "__main__":
    main()
