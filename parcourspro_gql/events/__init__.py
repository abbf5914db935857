"""Live events (N2): what a committed change tells the open websockets of every process.

A domain function calls `publish` inside its transaction. On PostgreSQL that is `pg_notify` on one channel:
the server delivers it to every listening connection when, and only if, the transaction commits. Each process
listens on one dedicated connection (events/listener.py) and hands what arrives to its `broker`, which fans
it out to the subscriptions of that process. On SQLite (one process) the broker is fed directly once the
session has committed. Nothing is kept: a client that was away reads its inbox.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

log = logging.getLogger("parcourspro_gql.events")

CHANNEL = "parcourspro_events"
# PostgreSQL refuses a NOTIFY payload of 8,000 bytes or more; ours are a few hundred.
MAX_PAYLOAD = 7900
# Events waiting for a slow socket beyond this are dropped (logged): it reads its inbox on reconnection.
QUEUE_SIZE = 256
_PENDING = "parcourspro_events.pending"


def notification_topic(account_id: int) -> str:
    return f"notification:{account_id}"


def seats_topic(session_id: int) -> str:
    return f"seats:{session_id}"


def account_topic(account_id: int) -> str:
    """Revocations of an account's access (disabled, logged out everywhere): its sockets close."""
    return f"account:{account_id}"


@dataclass(eq=False)
class Event:
    """One published event, the same object for every subscription of a process."""

    topic: str
    data: dict[str, Any]
    # Values derived once per process for all its subscriptions (the session row of a seats event, say).
    _shared: dict[str, asyncio.Future[Any]] = field(default_factory=dict, repr=False)

    async def shared(self, key: str, compute: Callable[[], Awaitable[Any]]) -> Any:
        """`compute()` once for every subscription that receives this event in this process."""
        future = self._shared.get(key)
        if future is None:
            future = self._shared[key] = asyncio.ensure_future(compute())
        return await asyncio.shield(future)


class Broker:
    """The subscriptions of this process by topic, and what delivers an event to them."""

    def __init__(self) -> None:
        self._queues: dict[str, set[asyncio.Queue[Event]]] = {}

    def deliver(self, event_: Event) -> None:
        for queue in tuple(self._queues.get(event_.topic, ())):
            try:
                queue.put_nowait(event_)
            except asyncio.QueueFull:
                log.warning("subscriber too slow, event dropped", extra={"topic": event_.topic})

    def deliver_payload(self, payload: str) -> None:
        """An event as it arrives from PostgreSQL; a malformed one is logged and skipped."""
        try:
            decoded = orjson.loads(payload)
            event_ = Event(str(decoded["topic"]), dict(decoded["data"]))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            log.error("malformed event payload", extra={"payload": payload[:200]})
            return
        self.deliver(event_)

    @asynccontextmanager
    async def subscribe(self, *topics: str) -> AsyncIterator[asyncio.Queue[Event]]:
        """A queue that receives the events of `topics` while the block runs."""
        queue: asyncio.Queue[Event] = asyncio.Queue(QUEUE_SIZE)
        for topic in topics:
            self._queues.setdefault(topic, set()).add(queue)
        try:
            yield queue
        finally:
            for topic in topics:
                queues = self._queues.get(topic)
                if queues is not None:
                    queues.discard(queue)
                    if not queues:
                        del self._queues[topic]

    def subscriber_count(self) -> int:
        return sum(len(queues) for queues in self._queues.values())


broker = Broker()


async def publish(session: AsyncSession, topic: str, data: dict[str, Any]) -> None:
    """Tells every process's subscribers of `topic` once `session`'s transaction commits (never if it rolls
    back). `data` must be JSON-serialisable and small."""
    payload = orjson.dumps({"topic": topic, "data": data}).decode()
    if len(payload.encode()) > MAX_PAYLOAD:
        raise ValueError(f"event payload too large for NOTIFY: {len(payload)} bytes")
    if session.get_bind().dialect.name == "postgresql":
        # Transactional: PostgreSQL delivers it at commit, to every LISTENing connection, ours included.
        await session.execute(select(func.pg_notify(CHANNEL, payload)))
    else:
        session.info.setdefault(_PENDING, []).append(Event(topic, data))


async def seats_changed(session: AsyncSession, session_id: int) -> None:
    """N2: `sessionSeatsChanged` subscribers of that training session are pushed it after commit. Every
    change of a session's taken or held seats, or of its capacity, calls this."""
    await publish(session, seats_topic(session_id), {"session_id": session_id})


@event.listens_for(Session, "after_commit")
def _deliver_after_commit(session: Session) -> None:
    for event_ in session.info.pop(_PENDING, ()):
        broker.deliver(event_)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)
