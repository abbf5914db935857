"""Faults that tests inject into real services: a database that refuses some writes, a slow or stalling
SMTP relay. Nothing of ours is replaced: the database really raises, the relay really stalls."""

from __future__ import annotations

import asyncio
import secrets
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from email import message_from_bytes, policy
from typing import Any

from parcourspro_gql.db import Database


@asynccontextmanager
async def refused_writes(
    db: Database, *, table: str, event: str, when: str
) -> AsyncIterator[Callable[[], Awaitable[None]]]:
    """While the block runs, the database refuses each `event` (INSERT, UPDATE) on `table` whose new row
    meets `when` (SQL on NEW, the same text for both dialects) with an error, as a full disk or a broken
    storage would; the yielded function lifts the fault. Everything is dropped at the end."""
    name = f"test_fault_{secrets.token_hex(4)}"
    sqlite = db.dialect == "sqlite"
    async with db.engine.begin() as connection:
        await connection.exec_driver_sql(f"CREATE TABLE {name} (active INTEGER)")
        await connection.exec_driver_sql(f"INSERT INTO {name} VALUES (1)")
        if sqlite:
            await connection.exec_driver_sql(
                f"CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW "
                f"WHEN ({when}) AND EXISTS (SELECT 1 FROM {name}) "
                "BEGIN SELECT RAISE(ABORT, 'injected fault'); END"
            )
        else:
            await connection.exec_driver_sql(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"IF EXISTS (SELECT 1 FROM {name}) THEN RAISE EXCEPTION 'injected fault'; END IF; "
                "RETURN NEW; END $$"
            )
            await connection.exec_driver_sql(
                f"CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW "
                f"WHEN ({when}) EXECUTE FUNCTION {name}()"
            )

    async def lift() -> None:
        async with db.engine.begin() as connection:
            await connection.exec_driver_sql(f"DELETE FROM {name}")

    try:
        yield lift
    finally:
        async with db.engine.begin() as connection:
            await connection.exec_driver_sql(f"DROP TRIGGER {name}" + ("" if sqlite else f" ON {table}"))
            if not sqlite:
                await connection.exec_driver_sql(f"DROP FUNCTION {name}()")
            await connection.exec_driver_sql(f"DROP TABLE {name}")


class Relay:
    """An SMTP server's handler (aiosmtpd) whose behaviour a test sets: it keeps every message it accepts,
    may run a hook on each one, and may stall on one until the test lets it go."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []
        self.on_message: Callable[[int], None] | None = None
        self.stall_on: int | None = None  # 1-based rank of the message to stall on
        self.stalled = threading.Event()
        self.resume = threading.Event()

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        # Kept before answering: the relay has the message even if the sender never hears the answer.
        self.envelopes.append(envelope)
        rank = len(self.envelopes)
        if self.on_message is not None:
            self.on_message(rank)
        if rank == self.stall_on:
            self.stalled.set()
            # Waits in a thread so that the relay keeps serving other connections meanwhile.
            await asyncio.get_running_loop().run_in_executor(None, self.resume.wait, 30)
        return "250 Message accepted for delivery"

    def messages(self) -> list[Any]:
        return [message_from_bytes(envelope.content, policy=policy.default) for envelope in self.envelopes]

    def copies(self) -> dict[int, list[str]]:
        """Outbox id -> the Message-IDs of the copies received."""
        copies: dict[int, list[str]] = {}
        for message in self.messages():
            copies.setdefault(int(message["X-ParcoursPro-Outbox-Id"]), []).append(message["Message-ID"])
        return copies


async def eventually(condition: Callable[[], bool], within: float = 10.0) -> None:
    """Waits (bounded) for something that another task or thread makes true."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        if loop.time() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(0.01)


class TcpProxy:
    """A loopback TCP proxy in front of a database server, which a test stops (connections cut and refused,
    as when the server goes down), starts again on the same port, or freezes (connections accepted, bytes
    held: a server that hangs, as under SIGSTOP)."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._transports: set[asyncio.WriteTransport] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Refuses new connections and cuts the open ones."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for transport in list(self._transports):
            transport.abort()
        self._transports.clear()

    def freeze(self) -> None:
        self._flowing.clear()

    def thaw(self) -> None:
        self._flowing.set()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._transports.add(writer.transport)
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._transports.add(upstream_writer.transport)
        await asyncio.gather(
            self._pipe(reader, upstream_writer), self._pipe(upstream_reader, writer), return_exceptions=True
        )

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                await self._flowing.wait()
                writer.write(data)
                await writer.drain()
        finally:
            writer.transport.abort()
            self._transports.discard(writer.transport)
