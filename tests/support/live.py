"""A real server (uvicorn, `parcourspro-gql serve`) on a loopback port, and a graphql-transport-ws client."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import websockets

COMMAND = [sys.executable, "-m", "parcourspro_gql.cli"]
PROTOCOL = "graphql-transport-ws"
# How long a test waits at most for something the server must push (never a pause of its own): generous,
# since a loaded CI runner may take seconds to schedule a worker.
WAIT = 60.0


@asynccontextmanager
async def live_server(
    settings: Any, port: int, workers: int, *, background: bool = False, **extra: str
) -> AsyncIterator[httpx.AsyncClient]:
    """`serve` on the suite's database with the suite's keys (the world's tokens are valid there); yields an
    HTTP client of it. Its output is printed if the test fails. `background`: the mail dispatcher and the
    scheduler run in it too (`serve` without --no-mail-dispatch)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PARCOURSPRO_")}
    env.update(
        {
            "PARCOURSPRO_DATABASE_URL": settings.database_url,
            "PARCOURSPRO_VAR_DIR": str(settings.var_dir),
            "PARCOURSPRO_PUBLIC_URL": settings.public_url,
            "PARCOURSPRO_MAIL_URL": settings.mail_url,
            "PARCOURSPRO_PASSWORD_HASH_PROFILE": "test",
            # Every worker reads the account at each request: a revocation is seen at once.
            "PARCOURSPRO_AUTH_CACHE_SECONDS": "0",
            **extra,
        }
    )
    server = await asyncio.create_subprocess_exec(
        *COMMAND,
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
        *([] if background else ["--no-mail-dispatch"]),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            # Workers start in a few seconds; on a loaded machine (CI runners) it may take much longer.
            async with asyncio.timeout(120):
                while True:
                    try:
                        await http.get("/health")
                        break
                    except httpx.TransportError:
                        if server.returncode is not None:
                            raise
                        await asyncio.sleep(0.1)
            yield http
    finally:
        server.terminate()
        output, _ = await asyncio.wait_for(server.communicate(), timeout=30)
        print(output.decode(errors="replace")[-4000:])


async def post(
    http: httpx.AsyncClient, query: str, variables: dict | None = None, token: str | None = None
) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await http.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


class Socket:
    """One graphql-transport-ws connection; answers the server's pings and counts them."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.ids = itertools.count(1)
        self.pings = 0

    @classmethod
    @asynccontextmanager
    async def open(
        cls, http: httpx.AsyncClient, token: str | None = None, **payload: Any
    ) -> AsyncIterator[Socket]:
        url = str(http.base_url).replace("http://", "ws://").rstrip("/") + "/graphql"
        async with websockets.connect(url, subprotocols=[PROTOCOL], open_timeout=WAIT) as connection:
            socket = cls(connection)
            if token is not None:
                payload["Authorization"] = f"Bearer {token}"
            await socket.send({"type": "connection_init", "payload": payload})
            yield socket

    async def send(self, message: dict) -> None:
        await self.connection.send(json.dumps(message))

    async def receive(self, within: float = WAIT) -> dict:
        """The next message other than a ping (answered), within `within` seconds in all (pings included):
        raises TimeoutError past that. The deadline is this method's own and never an outer
        `asyncio.timeout`: on Python 3.11, `wait_for` swallows an outer cancellation that lands as a ping
        arrives, and the wait would then go on for good."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            left = deadline - loop.time()
            if left <= 0:
                raise TimeoutError
            message = json.loads(await asyncio.wait_for(self.connection.recv(), left))
            if message["type"] == "ping":
                self.pings += 1
                await self.send({"type": "pong"})
                continue
            return message

    async def quiet(self, seconds: float) -> None:
        """Asserts that nothing but pings (answered) comes for `seconds`."""
        try:
            message = await self.receive(seconds)
        except TimeoutError:
            return
        raise AssertionError(f"nothing was expected, the server sent {message}")

    async def acknowledged(self) -> None:
        assert (await self.receive())["type"] == "connection_ack"

    async def subscribe(self, query: str, variables: dict | None = None) -> str:
        operation = str(next(self.ids))
        await self.send(
            {"id": operation, "type": "subscribe", "payload": {"query": query, "variables": variables}}
        )
        return operation

    async def settled(self) -> None:
        """A ping answered: the server has handled every message sent before it (its subscriptions are
        registered before it reads the next message)."""
        await self.send({"type": "ping"})
        message = await self.receive()
        assert message["type"] == "pong", message

    async def closed(self, within: float = WAIT) -> tuple[int | None, str | None]:
        """Waits for the server to close the socket (answering pings meanwhile); its close code and reason."""
        try:
            while True:
                await self.receive(within)
        except websockets.ConnectionClosed as closed:
            frame = closed.rcvd
            return (frame.code, frame.reason) if frame else (None, None)
