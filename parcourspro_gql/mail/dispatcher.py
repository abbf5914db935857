"""Delivers the outbox: claims due messages under a lease, sends them, marks each sent once.

Several dispatchers may run at once (API processes and `parcourspro-gql worker`): a claim is one
UPDATE over rows picked with `FOR UPDATE SKIP LOCKED` on PostgreSQL (SQLite serialises writers), so two
dispatchers never hold the same message. No lock is held while talking to the SMTP server.
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

from parcourspro_gql.clock import clock
from parcourspro_gql.db import Database
from parcourspro_gql.mail.sender import Sender, build_message
from parcourspro_gql.models import OutboxAttachment, OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
BASE_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=2)


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... capped at 2 h."""
    return min(BASE_BACKOFF * (2 ** max(attempts - 1, 0)), MAX_BACKOFF)


@dataclass
class DispatchReport:
    sent: int = 0
    failed: int = 0


class Dispatcher:
    def __init__(
        self,
        db: Database,
        sender: Sender,
        mail_from: str,
        max_attempts: int = 8,
        batch_size: int = 20,
        worker_id: str | None = None,
    ) -> None:
        self.db = db
        self.sender = sender
        self.mail_from = mail_from
        self.max_attempts = max_attempts
        self.batch_size = batch_size
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"

    async def _claim(self) -> list[int]:
        now = clock.now()
        due = (
            select(OutboxMessage.id)
            .where(
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.next_attempt_at <= now,
                or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
            )
            .order_by(OutboxMessage.id)
            .limit(self.batch_size)
            .with_for_update(skip_locked=True)
        )
        async with self.db.transaction() as session:
            result = await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(due.scalar_subquery()))
                .values(claimed_until=now + LEASE, claimed_by=self.worker_id)
                .returning(OutboxMessage.id)
                .execution_options(synchronize_session=False)
            )
            return sorted(result.scalars())

    async def run_once(self) -> DispatchReport:
        """Sends every message due now, one batch after another, and says how it went."""
        report = DispatchReport()
        while ids := await self._claim():
            async with self.db.read() as session:
                messages = (
                    await session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids)))
                ).all()
                attachments = (
                    await session.scalars(
                        select(OutboxAttachment)
                        .where(OutboxAttachment.message_id.in_(ids))
                        .order_by(OutboxAttachment.id)
                    )
                ).all()
            by_message: dict[int, list[OutboxAttachment]] = {}
            for attachment in attachments:
                by_message.setdefault(attachment.message_id, []).append(attachment)
            for message in messages:
                if await self._deliver(message, by_message.get(message.id, [])):
                    report.sent += 1
                else:
                    report.failed += 1
        return report

    async def _deliver(self, message: OutboxMessage, attachments: list[OutboxAttachment]) -> bool:
        mine = and_(OutboxMessage.id == message.id, OutboxMessage.claimed_by == self.worker_id)
        try:
            await self.sender.send(build_message(message, attachments, self.mail_from))
        except Exception as error:
            attempts = message.attempts + 1
            final = attempts >= self.max_attempts
            log.warning(
                "mail delivery failed",
                extra={"outbox_id": message.id, "attempts": attempts, "final": final, "error": repr(error)},
            )
            async with self.db.transaction() as session:
                await session.execute(
                    update(OutboxMessage)
                    .where(mine)
                    .values(
                        attempts=attempts,
                        last_error=repr(error)[:2000],
                        status=OutboxStatus.FAILED if final else OutboxStatus.PENDING,
                        next_attempt_at=clock.now() + backoff(attempts),
                        claimed_until=None,
                        claimed_by=None,
                    )
                )
            return False
        async with self.db.transaction() as session:
            await session.execute(
                update(OutboxMessage)
                .where(mine)
                .values(
                    status=OutboxStatus.SENT,
                    attempts=message.attempts + 1,
                    sent_at=clock.now(),
                    claimed_until=None,
                    last_error=None,
                )
            )
        log.info("mail sent", extra={"outbox_id": message.id, "template": message.template})
        return True

    async def run_forever(self, stop: asyncio.Event, interval: float = 2.0) -> None:
        """Polls the outbox until `stop` is set; an error is logged and the loop goes on."""
        while not stop.is_set():
            try:
                await self.run_once()
            except Exception:
                log.exception("mail dispatcher iteration failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)
