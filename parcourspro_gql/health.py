"""Liveness and readiness: what a balancer or an orchestrator asks before sending traffic.

Readiness answers within a fixed budget (`PARCOURSPRO_HEALTH_TIMEOUT_SECONDS`, 1.5 s), whatever the
database does: the checks run on connections of their own (not the request pool, which a frozen database
may hold entirely) with time limits no longer than the budget, and whatever has not finished when the
budget runs out counts as "timeout". The body has the same keys on SQLite and PostgreSQL, so that an
anonymous caller learns nothing of the deployment (the log line of a failed check names the dialect).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from parcourspro_gql.clock import clock
from parcourspro_gql.config import Settings
from parcourspro_gql.db import Database, DatabaseLimits, create_engine, database_unavailable
from parcourspro_gql.deadline import within
from parcourspro_gql.models import HealthProbe, OutboxMessage, OutboxStatus

log = logging.getLogger("parcourspro_gql.health")

# A claim whose lease ended this long ago and that no dispatcher took over: no dispatcher is running.
STUCK_AFTER_SECONDS = 60
# Checks whose failure makes the process not ready. The outbox is reported, not required: taking API
# processes out of the balancer would not deliver one more email, and would turn a mail incident into an
# outage of the whole service.
REQUIRED = ("database", "writable", "disk")


@dataclass
class Readiness:
    checks: dict[str, str] = field(
        default_factory=lambda: dict.fromkeys(("database", "writable", "disk", "outbox"), "timeout")
    )
    outbox_backlog: int | None = None
    outbox_stuck: int | None = None

    @property
    def ready(self) -> bool:
        return all(self.checks[name] == "ok" for name in REQUIRED)

    def body(self) -> dict[str, Any]:
        return {
            "status": "ok" if self.ready else "unavailable",
            **self.checks,
            "outboxBacklog": self.outbox_backlog,
            "outboxStuck": self.outbox_stuck,
        }


class HealthChecks:
    """Readiness of one process: the database reachable and writable, room on the disk of a SQLite file,
    and the outbox's backlog (due for longer than `health_outbox_max_age_minutes`) and stuck claims."""

    def __init__(self, database: Database, settings: Settings) -> None:
        self.settings = settings
        self.budget = settings.health_timeout_seconds
        url = database.engine.url
        self.sqlite_folder = (
            Path(url.database or ".").resolve().parent if url.get_backend_name() == "sqlite" else None
        )
        # Own connections (no pool: a probe every few seconds needs none) whose every wait ends within the
        # budget, so that an abandoned check does not linger.
        limits = replace(
            DatabaseLimits.from_settings(settings),
            connect=self.budget,
            command=self.budget + 0.5,
            statement=self.budget,
            lock=self.budget,
            sqlite_busy=self.budget,
        )
        self.probe = Database(
            create_engine(make_url(url).render_as_string(hide_password=False), limits, poolclass=NullPool),
            settings,
        )

    async def readiness(self) -> Readiness:
        """Runs the checks within the budget; what has not answered by then is "timeout"."""
        work = Readiness()
        with contextlib.suppress(TimeoutError):
            await within(self._run(work), self.budget)
        # A copy: the abandoned checks may still write into `work` while they wind down.
        result = Readiness(dict(work.checks), work.outbox_backlog, work.outbox_stuck)
        if not result.ready:
            log.warning(
                "not ready",
                extra={"checks": result.checks, "dialect": self.probe.dialect, "budget": self.budget},
            )
        return result

    async def _run(self, result: Readiness) -> None:
        result.checks["disk"] = await self._disk()
        result.checks["database"] = await self._step(self._reachable())
        if result.checks["database"] != "ok":
            result.checks["writable"] = result.checks["outbox"] = "unknown"
            return
        result.checks["writable"] = await self._step(self._write())
        try:
            result.outbox_backlog, result.outbox_stuck = await self._outbox()
        except Exception as error:
            result.checks["outbox"] = database_unavailable(error) or "failed"
            return
        result.checks["outbox"] = "ok" if result.outbox_backlog == result.outbox_stuck == 0 else "degraded"

    @staticmethod
    async def _step(check: Any) -> str:
        try:
            await check
        except Exception as error:
            return database_unavailable(error) or "failed"
        return "ok"

    async def _disk(self) -> str:
        if self.sqlite_folder is None:
            # PostgreSQL's disk is the server's to watch (a full disk fails the write check); this process
            # writes nothing locally.
            return "ok"
        try:
            usage = await asyncio.to_thread(shutil.disk_usage, self.sqlite_folder)
        except OSError:  # the folder is gone or unreadable: the database check says more
            return "unreachable"
        return "ok" if usage.free >= self.settings.health_min_free_disk_mb * 1024 * 1024 else "low"

    async def _reachable(self) -> None:
        async with self.probe.read() as session:
            await session.execute(select(1))

    async def _write(self) -> None:
        """Commits a write, as requests do: a read-only file or standby, a full disk or a lock that does not
        come free within the budget all fail it."""
        insert = sqlite_insert if self.probe.dialect == "sqlite" else postgresql_insert
        now = clock.now()
        statement = insert(HealthProbe).values(name="ready", checked_at=now)
        async with self.probe.transaction() as session:
            await session.execute(
                statement.on_conflict_do_update(index_elements=["name"], set_={"checked_at": now})
            )

    async def _outbox(self) -> tuple[int, int]:
        now = clock.now()
        max_age = now - timedelta(minutes=self.settings.health_outbox_max_age_minutes)
        stuck_before = now - timedelta(seconds=STUCK_AFTER_SECONDS)
        pending = OutboxMessage.status == OutboxStatus.PENDING
        statement = select(
            func.count(case((and_(pending, OutboxMessage.next_attempt_at < max_age), 1))),
            func.count(
                case(
                    (
                        and_(
                            pending,
                            OutboxMessage.claimed_by.is_not(None),
                            OutboxMessage.claimed_until < stuck_before,
                        ),
                        1,
                    )
                )
            ),
        ).where(pending)
        async with self.probe.read() as session:
            backlog, stuck = (await session.execute(statement)).one()
        return int(backlog), int(stuck)

    async def dispose(self) -> None:
        await self.probe.dispose()
