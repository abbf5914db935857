"""The process's one dedicated PostgreSQL connection that LISTENs for events and feeds the broker (N2)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.engine import make_url

from parcourspro_gql.events import CHANNEL, Broker

log = logging.getLogger("parcourspro_gql.events")

# After a lost connection, the next attempts wait this long, doubling up to the maximum.
RETRY_FIRST, RETRY_MAX = 0.5, 30.0
# Opening the connection (issue 20: nothing waits on the database for ever): asyncpg's own default is 60 s,
# during which a socket's connection_init waits on a frozen server. Its TimeoutError is an OSError: retried.
CONNECT_TIMEOUT = 5.0


def asyncpg_dsn(database_url: str) -> str:
    """The SQLAlchemy URL `postgresql+asyncpg://...` as the plain DSN asyncpg connects with."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


class Listener:
    """LISTENs on CHANNEL over one asyncpg connection, outside SQLAlchemy's pool (a pooled connection would
    be handed to requests and lose its LISTEN), and reconnects when it is lost. Events sent while it was
    away are lost for live clients: they read the inbox, which holds them all."""

    def __init__(self, database_url: str, broker: Broker) -> None:
        self.dsn = asyncpg_dsn(database_url)
        self.broker = broker
        self._connection: Any = None
        self._ready = asyncio.Event()
        self._lost = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Returns once the connection listens: an event committed after this reaches the broker."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="parcourspro-events-listener")
        await self._ready.wait()

    @property
    def listening(self) -> bool:
        return self._ready.is_set()

    def _on_notify(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        self.broker.deliver_payload(payload)

    def _on_lost(self, _connection: Any) -> None:
        self._lost.set()

    async def _connect(self) -> None:
        connection = await asyncpg.connect(self.dsn, timeout=CONNECT_TIMEOUT)
        connection.add_termination_listener(self._on_lost)
        await connection.add_listener(CHANNEL, self._on_notify)
        self._connection = connection

    async def _run(self) -> None:
        delay = RETRY_FIRST
        while True:
            try:
                await self._connect()
            except (OSError, asyncpg.PostgresError) as error:
                log.warning("event listener cannot connect", extra={"error": repr(error), "retry_in": delay})
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX)
                continue
            delay = RETRY_FIRST
            self._lost.clear()
            self._ready.set()
            log.info("event listener connected", extra={"channel": CHANNEL})
            await self._lost.wait()
            self._ready.clear()
            log.warning("event listener lost its connection; reconnecting")
            await self._close_connection()

    async def _close_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None and not connection.is_closed():
            with contextlib.suppress(Exception):
                await connection.close(timeout=2)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._close_connection()
        self._ready.clear()


# One listener per process and database (a process serves one database; tests may build several apps).
_LISTENERS: dict[str, Listener] = {}


async def ensure_listening(database_url: str, broker: Broker) -> None:
    """On PostgreSQL, starts this process's listener if needed and returns once it listens; nothing on SQLite
    (the broker is fed at commit, in this very process)."""
    if not database_url.startswith("postgresql"):
        return
    listener = _LISTENERS.get(database_url)
    if listener is None:
        listener = _LISTENERS[database_url] = Listener(database_url, broker)
    await listener.start()


async def stop_listening(database_url: str) -> None:
    listener = _LISTENERS.pop(database_url, None)
    if listener is not None:
        await listener.stop()
