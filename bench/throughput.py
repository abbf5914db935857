"""Employer overview and beneficiary history through a real server with 2 uvicorn workers, next to raw-SQL
baseline routes returning the same JSON (bench/server.py): p50, p99 and requests per second, medians of runs.

    .venv/bin/python bench/throughput.py [--seconds 10] [--connections 4] [--runs 3] [--workers 2] [--only history]
    PARCOURSPRO_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/EMPTY .venv/bin/python bench/throughput.py

The load comes from wrk (Debian package `wrk`, one C thread): each worker is a uvicorn process on its own
port with its own wrk, so the connections are spread evenly as a balancer would spread them (with
`uvicorn --workers 2` on one shared socket, one worker may accept every connection of wrk's opening burst
and the other stay idle). The client takes little of the 2 cores; without wrk, from this process through httpx,
which competes with the server for CPU (absolute figures are then lower bounds; compare the ratios).
Before measuring, the script checks that each GraphQL answer and its baseline are the same JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
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

from registrations import HISTORY, OVERVIEW, OVERVIEW_WIDE, build  # noqa: E402

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


WRK_SCRIPT = """
wrk.method = "{method}"
wrk.body = {body}
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {token}"
"""
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _wrk_command(base: str, path: str, script: str, seconds: float, connections: int) -> list[str]:
    # --timeout 10s: a slow request is measured rather than dropped from the latencies as a "socket error".
    return [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds:.0f}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        script,
        base + path,
    ]


def _parse(output: str) -> tuple[float, float, float]:
    if "Non-2xx" in output or "Socket errors" in output:
        raise RuntimeError(output)
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", output, re.MULTILINE))

    def ms(value: str) -> float:
        number, unit = re.match(r"([\d.]+)(\w+)", value).groups()  # type: ignore[union-attr]
        return float(number) * UNITS[unit]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    return ms(percentiles["50"]), ms(percentiles["99"]), rps


def wrk(
    bases: list[str], method: str, path: str, body: dict | None, token: str, seconds: float, connections: int
) -> tuple[float, float, float]:
    """p50, p99 (ms) and requests per second measured by one wrk per worker, run at the same time: the
    connections are spread evenly, as a balancer would (the kernel's accept on a shared socket lets one
    worker take every connection of a short burst). p50 is the mean of the workers' medians, p99 the worst,
    req/s the sum."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        lua_body = json.dumps(json.dumps(body)) if body is not None else "nil"
        script.write(WRK_SCRIPT.format(method=method, body=lua_body, token=token))
    each = max(1, connections // len(bases))
    processes = [
        subprocess.Popen(
            _wrk_command(base, path, script.name, seconds, each), stdout=subprocess.PIPE, text=True
        )
        for base in bases
    ]
    results = [_parse(process.communicate()[0]) for process in processes]
    os.unlink(script.name)
    return (
        statistics.mean(r[0] for r in results),
        max(r[1] for r in results),
        sum(r[2] for r in results),
    )


def same_json(base: str, targets: list[tuple]) -> None:
    """Each GraphQL target and the baseline that follows it answer the same document."""
    answers = [
        httpx.request(method, base + path, json=body, headers={"Authorization": f"Bearer {token}"}).json()
        for _, method, path, body, token in targets
    ]
    for (name, *_), graphql, baseline in zip(targets[::2], answers[::2], answers[1::2], strict=True):
        if graphql["data"] != baseline["data"]:  # GraphQL answers carry their cost in "extensions" too
            raise SystemExit(f"{name}: the baseline does not answer the same JSON\n{graphql}\n{baseline}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8790)
    parser.add_argument(
        "--only", choices=("overview", "history"), help="measure one view (and its baseline) only"
    )
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
    # One uvicorn process per worker, each on its own port, and one wrk per port: a client-side balancer.
    servers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "server:app",
                "--app-dir",
                str(ROOT),
                "--port",
                str(args.port + n),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            env=dict(os.environ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for n in range(args.workers)
    ]
    bases = [f"http://127.0.0.1:{args.port + n}" for n in range(args.workers)]
    base = bases[0]
    try:
        for server_base in bases:
            for _ in range(100):
                try:
                    httpx.get(f"{server_base}/health", timeout=1)
                    break
                except httpx.TransportError:
                    time.sleep(0.2)
        client = "wrk" if shutil.which("wrk") else "httpx (install wrk for cleaner figures)"
        print(
            f"database: {os.environ['PARCOURSPRO_DATABASE_URL'].split('+')[0]}, {args.workers} uvicorn workers "
            f"(one process and port each), {args.connections} connections from {client}, "
            f"{args.runs} runs of {args.seconds:.0f} s (medians)"
        )
        targets = [
            ("overview GraphQL (100 rows)", "POST", "/graphql", {"query": OVERVIEW}, employer_token),
            ("overview raw SQL baseline", "GET", "/baseline/overview", None, employer_token),
            ("overview wide GraphQL", "POST", "/graphql", {"query": OVERVIEW_WIDE}, employer_token),
            ("overview wide baseline", "GET", "/baseline/overview-wide", None, employer_token),
            ("history GraphQL (5 rows)", "POST", "/graphql", {"query": HISTORY}, person_token),
            ("history raw SQL baseline", "GET", "/baseline/history", None, person_token),
        ]
        if args.only:
            targets = [target for target in targets if target[0].startswith(args.only)]
        same_json(base, targets)
        has_wrk = shutil.which("wrk") is not None

        def measure(target: tuple, seconds: float) -> tuple[float, float, float]:
            _, method, path, body, token = target
            if has_wrk:
                return wrk(bases, method, path, body, token, seconds, args.connections)
            return asyncio.run(load(base, method, path, body, token, seconds, args.connections))

        # Each view and its baseline are measured in turns (GraphQL, baseline, GraphQL, ...): a slower minute
        # of the shared machine then weighs on both sides of the ratio, not on one.
        for graphql, baseline in zip(targets[::2], targets[1::2], strict=True):
            if has_wrk:  # warm-up, not measured: imports, caches, connection pools
                measure(graphql, 2)
                measure(baseline, 2)
            runs: dict[str, list[tuple[float, float, float]]] = {graphql[0]: [], baseline[0]: []}
            for _ in range(args.runs):
                for target in (graphql, baseline):
                    runs[target[0]].append(measure(target, args.seconds))
            medians = {}
            for name, measured in runs.items():
                p50, p99, rps = (statistics.median(run[i] for run in measured) for i in range(3))
                medians[name] = p50
                print(f"  {name:30} p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  {rps:7.0f} req/s")
            ratios = sorted(g[0] / b[0] for g, b in zip(runs[graphql[0]], runs[baseline[0]], strict=True))
            print(
                f"  {'ratio of p50':30} {medians[graphql[0]] / medians[baseline[0]]:.2f}x "
                f"(run by run: {', '.join(f'{ratio:.2f}' for ratio in ratios)})"
            )
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
