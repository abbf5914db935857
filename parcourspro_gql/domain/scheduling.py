"""The scheduler's tasks: what must happen at a given time (G7' offer deadlines, G9 closing at the start,
reminders), written in the transaction of the change that makes it due, run later by parcourspro_gql.scheduler.

A task is identified by its key ("offer-expiry:42"): scheduling the same key again moves its due time. Each
kind has one handler, registered here with `@handler(kind)` by the domain module that owns the move; the
handler runs in the scheduler's transaction, under the lock order of domain.registrations, and answers None
once the move is made (or no longer needed), or a later time to be run again then (a session moved later).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from parcourspro_gql.clock import clock
from parcourspro_gql.models import ScheduledTask

Handler = Callable[[AsyncSession, ScheduledTask], Awaitable[datetime | None]]
HANDLERS: dict[str, Handler] = {}

OFFER_EXPIRY = "offer-expiry"
SESSION_START = "session-start"


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Registers the function that makes the move of tasks of `kind` (one per kind)."""

    def register(function: Handler) -> Handler:
        if kind in HANDLERS and HANDLERS[kind] is not function:
            raise ValueError(f"a handler for {kind!r} exists already")
        HANDLERS[kind] = function
        return function

    return register


async def schedule(
    session: AsyncSession,
    kind: str,
    key: str,
    due_at: datetime,
    *,
    session_id: int | None = None,
    registration_id: int | None = None,
) -> None:
    """Makes the task `key` due at `due_at`, in `session`'s transaction: created, or moved (and made pending
    again) if it exists. One statement (an upsert), so two transactions scheduling one key never collide."""
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(ScheduledTask).values(
        kind=kind,
        key=key,
        due_at=due_at,
        session_id=session_id,
        registration_id=registration_id,
        created_at=clock.now(),
        attempts=0,
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[ScheduledTask.key],
            set_={"due_at": due_at, "done_at": None, "last_error": None, "attempts": 0},
        )
    )


async def schedule_session_start(session: AsyncSession, session_id: int, starts_at: datetime) -> None:
    """G9: the session closes its undecided requests when it starts (call again when the start moves)."""
    await schedule(session, SESSION_START, f"{SESSION_START}:{session_id}", starts_at, session_id=session_id)
