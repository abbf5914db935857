"""Runs the scheduler's due tasks (domain.scheduling): claimed under a lease, each made in its own transaction.

Several schedulers may run at once (API processes and `parcourspro-gql worker`): a claim is one UPDATE over due
rows picked with `FOR UPDATE SKIP LOCKED` on PostgreSQL (SQLite serialises writers), so two processes never
hold the same task. A task's move and its "done" mark are written in one transaction, and the mark is a
conditional UPDATE on the claim: a process whose lease ran out (and whose task another process took) rolls
its move back instead of making it twice. Time is the application's clock, so tests move it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from parcourspro_gql.clock import clock
from parcourspro_gql.db import Database, database_unavailable, rows_changed

# The domain modules that own a kind of task register its handler when imported.
from parcourspro_gql.domain import registrations, reminders  # noqa: F401
from parcourspro_gql.domain.scheduling import HANDLERS
from parcourspro_gql.models import ScheduledTask

log = logging.getLogger(__name__)

BASE_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=1)


class LeaseLost(Exception):
    """Another process took the task after this one's lease ran out: this run's move is rolled back."""


@dataclass
class SchedulerReport:
    done: int = 0
    failed: int = 0


class Scheduler:
    def __init__(
        self,
        db: Database,
        lease: timedelta = timedelta(minutes=5),
        batch_size: int = 20,
        worker_id: str | None = None,
    ) -> None:
        self.db = db
        self.lease = lease
        self.batch_size = batch_size
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"

    async def _claim(self) -> list[int]:
        now = clock.now()
        due = (
            select(ScheduledTask.id)
            .where(
                ScheduledTask.done_at.is_(None),
                ScheduledTask.due_at <= now,
                or_(ScheduledTask.claimed_until.is_(None), ScheduledTask.claimed_until < now),
            )
            .order_by(ScheduledTask.due_at, ScheduledTask.id)
            .limit(self.batch_size)
            .with_for_update(skip_locked=True)
        )
        async with self.db.transaction() as session:
            result = await session.execute(
                update(ScheduledTask)
                .where(ScheduledTask.id.in_(due.scalar_subquery()))
                .values(claimed_until=now + self.lease, claimed_by=self.worker_id)
                .returning(ScheduledTask.id, ScheduledTask.due_at)
                .execution_options(synchronize_session=False)
            )
            return [row.id for row in sorted(result.all(), key=lambda row: (row.due_at, row.id))]

    async def run_once(self) -> SchedulerReport:
        """Makes every move due now, batch after batch, and says how it went."""
        report = SchedulerReport()
        while ids := await self._claim():
            for task_id in ids:
                if await self._run(task_id):
                    report.done += 1
                else:
                    report.failed += 1
        return report

    async def _run(self, task_id: int) -> bool:
        mine = and_(ScheduledTask.id == task_id, ScheduledTask.claimed_by == self.worker_id)

        async def work(session: AsyncSession) -> None:
            # Read without a lock: the task row is locked last (by the UPDATE below), after the rows the move
            # locks in the domain's order, so a change scheduling this key meanwhile cannot deadlock with it.
            task = await session.scalar(select(ScheduledTask).where(mine, ScheduledTask.done_at.is_(None)))
            if task is None:
                return
            handler = HANDLERS.get(task.kind)
            if handler is None:
                raise LookupError(f"no handler for scheduled tasks of kind {task.kind!r}")
            again = await handler(session, task)
            now = clock.now()
            values = (
                {"due_at": again, "attempts": 0}
                if again is not None and again > now
                else {"done_at": now, "attempts": ScheduledTask.attempts + 1}
            )
            marked = await session.execute(
                update(ScheduledTask)
                .where(mine, ScheduledTask.done_at.is_(None))
                .values(claimed_until=None, claimed_by=None, last_error=None, **values)
                .execution_options(synchronize_session=False)
            )
            if rows_changed(marked) != 1:
                raise LeaseLost(task_id)

        try:
            await self.db.transact(work)
            return True
        except LeaseLost:
            log.warning("scheduled task taken over by another process", extra={"task_id": task_id})
            return False
        except Exception as error:
            log.exception("scheduled task failed", extra={"task_id": task_id})
            await self._release(task_id, error)
            return False

    async def _release(self, task_id: int, error: Exception) -> None:
        """A failed task is handed back, due again after a growing pause, with what went wrong."""
        async with self.db.transaction() as session:
            task = await session.scalar(
                select(ScheduledTask).where(
                    ScheduledTask.id == task_id, ScheduledTask.claimed_by == self.worker_id
                )
            )
            if task is None:
                return
            task.attempts += 1
            task.last_error = repr(error)[:2000]
            task.due_at = clock.now() + min(BASE_BACKOFF * 2 ** (task.attempts - 1), MAX_BACKOFF)
            task.claimed_until = task.claimed_by = None

    async def run_forever(self, stop: asyncio.Event, interval: float = 15.0) -> None:
        """Looks for due tasks every `interval` seconds until `stop` is set; an error is logged and the loop
        goes on."""
        while not stop.is_set():
            try:
                await self.run_once()
            except Exception as error:
                # A database outage is one warning line per iteration, not a trace every `interval` (issue 20).
                if database_unavailable(error):
                    log.warning("scheduler: database unavailable", extra={"error": repr(error)})
                else:
                    log.exception("scheduler iteration failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)
