"""Live updates (N2): N open subscriptions on a server of W workers, one event to all of them.

Starts `parcourspro-gql serve --workers W` on a fresh database (the demo world), opens N anonymous websockets
(graphql-transport-ws), each following `sessionSeatsChanged` of the same session, then the provider selects a
participant of that session: one commit, one NOTIFY, fanned out by every worker to its sockets. Prints the
delivery delay of each socket from the moment the mutation was sent (p50, p95, max), and how long the
mutation itself took (its answer comes after the commit, so it is part of every delay).

    PARCOURSPRO_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/bench_live \\
        .venv/bin/python bench/subscriptions.py --sockets 1000 --workers 2
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import httpx
import websockets

COMMAND = [sys.executable, "-m", "parcourspro_gql.cli"]
LOGIN = """mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { accessToken } }"""
PENDING = """{ trainings(first: 10) { edges { node { sessions(first: 5) { edges { node {
  id registrations(first: 5, status: PENDING_PROVIDER) { edges { node { id } } } } } } } } } }"""
SELECT = """mutation($id: ID!) { registrationSelect(input: {registrationId: $id}) { errors { code } } }"""
SEATS = "subscription($id: ID!) { sessionSeatsChanged(sessionId: $id) { id seatsLeft } }"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def open_socket(url: str, session_id: str) -> websockets.ClientConnection:
    connection = await websockets.connect(url, subprotocols=["graphql-transport-ws"], open_timeout=120)
    await connection.send(json.dumps({"type": "connection_init", "payload": {}}))
    assert json.loads(await connection.recv())["type"] == "connection_ack"
    await connection.send(
        json.dumps(
            {"id": "1", "type": "subscribe", "payload": {"query": SEATS, "variables": {"id": session_id}}}
        )
    )
    # A ping answered: the subscription is registered (see tests/support/live.py).
    await connection.send(json.dumps({"type": "ping"}))
    assert json.loads(await connection.recv())["type"] == "pong"
    return connection


async def wait_next(connection: websockets.ClientConnection) -> float:
    while True:
        message = json.loads(await connection.recv())
        if message["type"] == "ping":
            await connection.send(json.dumps({"type": "pong"}))
            continue
        assert message["type"] == "next", message
        return time.perf_counter()


def prepare() -> tuple[argparse.Namespace, dict[str, str], subprocess.Popen[bytes]]:
    """The arguments, a migrated demo database and the server being started."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 4 * args.sockets + 256)), hard))
    var = tempfile.mkdtemp()
    env = {
        **os.environ,
        "PARCOURSPRO_VAR_DIR": var,
        "PARCOURSPRO_MAIL_URL": f"file://{var}/mail",
        "PARCOURSPRO_PASSWORD_HASH_PROFILE": "test",
    }
    for command in ("migrate", "seed-demo"):
        subprocess.run([*COMMAND, command], env=env, check=True, capture_output=True)
    server = subprocess.Popen(
        [*COMMAND, "serve", "--port", str(args.port), "--workers", str(args.workers), "--no-mail-dispatch"],
        env={**env, "PARCOURSPRO_LOG_LEVEL": "WARNING"},
    )
    return args, env, server


async def main(args: argparse.Namespace, env: dict[str, str]) -> None:
    from parcourspro_gql.seed import DEMO_PASSWORD

    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{args.port}", timeout=120) as http:
        for _ in range(3000):
            try:
                await http.get("/health")
                break
            except httpx.TransportError:
                await asyncio.sleep(0.1)
        login = {"e": "formateur@demo.parcourspro.fr", "p": DEMO_PASSWORD}
        token = (await http.post("/graphql", json={"query": LOGIN, "variables": login})).json()
        headers = {"Authorization": f"Bearer {token['data']['login']['accessToken']}"}
        body = (await http.post("/graphql", json={"query": PENDING}, headers=headers)).json()
        assert body.get("data"), body
        pending = [
            (session["node"]["id"], registration["node"]["id"])
            for training in body["data"]["trainings"]["edges"]
            for session in training["node"]["sessions"]["edges"]
            for registration in session["node"]["registrations"]["edges"]
        ]
        session_id, registration_id = pending[0]
        url = f"ws://127.0.0.1:{args.port}/graphql"
        started = time.perf_counter()
        sockets: list[websockets.ClientConnection] = []
        # Batches of 20: the subscribes read the session, and the pools stay within their 10 connections.
        for batch in range(0, args.sockets, 20):
            sockets += await asyncio.gather(
                *(open_socket(url, session_id) for _ in range(batch, min(args.sockets, batch + 20)))
            )
        opened = time.perf_counter() - started
        waiters = [asyncio.create_task(wait_next(socket)) for socket in sockets]
        await asyncio.sleep(0.5)  # the waiters are reading before the event is made
        sent = time.perf_counter()
        answer = await http.post(
            "/graphql", json={"query": SELECT, "variables": {"id": registration_id}}, headers=headers
        )
        answered = time.perf_counter()
        assert answer.json()["data"]["registrationSelect"]["errors"] == [], answer.text
        received = await asyncio.wait_for(asyncio.gather(*waiters), 120)
        delays = [(moment - sent) * 1000 for moment in received]
        print(
            f"{args.sockets} sockets on {args.workers} workers ({env.get('PARCOURSPRO_DATABASE_URL', 'sqlite')}"
            f"): opened in {opened:.1f} s; mutation answered in {(answered - sent) * 1000:.0f} ms; delivery "
            f"from the mutation's sending: p50 {statistics.median(delays):.0f} ms, p95 "
            f"{percentile(delays, 0.95):.0f} ms, max {max(delays):.0f} ms, all {len(delays)} delivered once"
        )
        await asyncio.gather(*(socket.close() for socket in sockets))


if __name__ == "__main__":
    arguments, environment, process = prepare()
    try:
        asyncio.run(main(arguments, environment))
    finally:
        process.terminate()
        process.wait(timeout=60)
