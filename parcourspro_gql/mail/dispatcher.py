"""Delivers the outbox: claims due messages under a lease, sends them, marks each one sent.

Delivery is at least once, never silently twice. Several dispatchers may run at once (API processes and
`parcourspro-gql worker`): a claim is one UPDATE over rows picked with `FOR UPDATE SKIP LOCKED` on
PostgreSQL (SQLite serialises writers), so two dispatchers never hold the same message. No lock is held
while talking to the SMTP server. What keeps a message from leaving twice:

- a dispatcher claims no more messages than it can send within one lease (lease / send time limit);
- before each send it renews its lease on that message with a conditional UPDATE ... RETURNING: a message
  whose lease another dispatcher took over (after this one stalled) is skipped, never sent again;
- a send is abandoned at its time limit, which is shorter than the lease;
- once the relay has accepted a message, the "sent" write is retried until the database takes it;
- on any other error the dispatcher releases the claims it has not started yet, at once.

The remaining duplicates are the ones no sender can rule out: a dispatcher killed (or cut from its
database) after the relay accepted a message but before the "sent" write, and a relay that accepted a
message after the send's time limit. Each attempt is a row of `outbox_attempts`, written before the send,
so both cases show in the database (an attempt without outcome, or TIMED_OUT, followed by another), and
every copy carries the same Message-ID, by which relays and mail clients drop duplicates.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import insert, or_, select, update

from parcourspro_gql.clock import clock
from parcourspro_gql.config import Settings
from parcourspro_gql.db import Database, database_unavailable
from parcourspro_gql.deadline import within
from parcourspro_gql.mail.sender import Sender, build_message
from parcourspro_gql.models import (
    AttemptOutcome,
    OutboxAttachment,
    OutboxAttempt,
    OutboxMessage,
    OutboxStatus,
)

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
SEND_TIMEOUT = timedelta(minutes=1)
BASE_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=2)
# Between two tries of the "sent" write, doubling up to MAX_RETRY_DELAY (seconds).
MAX_RETRY_DELAY = 5.0


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... capped at 2 h."""
    return min(BASE_BACKOFF * (2 ** max(attempts - 1, 0)), MAX_BACKOFF)


@dataclass
class DispatchReport:
    sent: int = 0
    failed: int = 0
    # Claimed, then taken over by another dispatcher before this one reached them: not sent by this one.
    skipped: int = 0


@dataclass(frozen=True)
class _Attempt:
    """A message this dispatcher holds for one send: its attempt row and its attempt number."""

    id: int
    number: int


class Dispatcher:
    def __init__(
        self,
        db: Database,
        sender: Sender,
        mail_from: str,
        max_attempts: int = 8,
        batch_size: int = 20,
        worker_id: str | None = None,
        lease: timedelta = LEASE,
        send_timeout: timedelta = SEND_TIMEOUT,
        retry_delay: float = 0.5,
    ) -> None:
        if not timedelta(0) < send_timeout < lease:
            raise ValueError("a send's time limit must be shorter than the lease")
        self.db = db
        self.sender = sender
        self.mail_from = mail_from
        self.max_attempts = max_attempts
        self.lease = lease
        self.send_timeout = send_timeout
        self.retry_delay = retry_delay
        # No more than can be sent within one lease, even if every send takes its whole time limit: the last
        # message of a claim is reached before its claim expires.
        self.batch_size = max(1, min(batch_size, int(lease / send_timeout)))
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"[:64]

    @classmethod
    def from_settings(cls, db: Database, sender: Sender, settings: Settings) -> Dispatcher:
        """A dispatcher with the lease, time limit and attempts that the settings name."""
        return cls(
            db,
            sender,
            settings.mail_from,
            max_attempts=settings.mail_max_attempts,
            lease=timedelta(seconds=settings.mail_lease_seconds),
            send_timeout=timedelta(seconds=settings.mail_send_timeout_seconds),
        )

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
                .values(claimed_until=now + self.lease, claimed_by=self.worker_id)
                .returning(OutboxMessage.id)
                .execution_options(synchronize_session=False)
            )
            return sorted(result.scalars())

    async def _release(self, ids: list[int]) -> None:
        """Gives back claims not started yet, so that they need not wait for the lease to expire."""
        if not ids:
            return
        try:
            async with self.db.transaction() as session:
                await session.execute(
                    update(OutboxMessage)
                    .where(
                        OutboxMessage.id.in_(ids),
                        OutboxMessage.claimed_by == self.worker_id,
                        OutboxMessage.status == OutboxStatus.PENDING,
                    )
                    .values(claimed_until=None, claimed_by=None)
                    .execution_options(synchronize_session=False)
                )
        except Exception as error:
            # The database is what failed, most likely: the lease will expire instead.
            log.warning("could not release claimed emails", extra={"outbox_ids": ids, "error": repr(error)})

    async def run_once(self) -> DispatchReport:
        """Sends every message due now, one claim after another, and says how it went. If the database fails
        midway, the claims not started yet are released and the error is raised."""
        report = DispatchReport()
        while ids := await self._claim():
            waiting = list(ids)
            try:
                async with self.db.read() as session:
                    messages = (
                        await session.scalars(
                            select(OutboxMessage).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id)
                        )
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
                    attempt = await self._start(message.id)
                    waiting.remove(message.id)
                    if attempt is None:
                        log.info("mail claim taken over, not sent", extra={"outbox_id": message.id})
                        report.skipped += 1
                    elif await self._send(message, attempt, by_message.get(message.id, [])):
                        report.sent += 1
                    else:
                        report.failed += 1
            except BaseException:
                await self._release(waiting)
                raise
        return report

    async def _start(self, message_id: int) -> _Attempt | None:
        """Renews this dispatcher's lease on the message and records the attempt, in one transaction; None
        when the message is no longer this dispatcher's (its lease expired and another took it, or it left)."""
        now = clock.now()
        async with self.db.transaction() as session:
            renewed = (
                await session.execute(
                    update(OutboxMessage)
                    .where(
                        OutboxMessage.id == message_id,
                        OutboxMessage.claimed_by == self.worker_id,
                        OutboxMessage.status == OutboxStatus.PENDING,
                    )
                    .values(claimed_until=now + self.lease, attempts=OutboxMessage.attempts + 1)
                    .returning(OutboxMessage.attempts)
                    .execution_options(synchronize_session=False)
                )
            ).scalar_one_or_none()
            if renewed is None:
                return None
            attempt_id = (
                await session.execute(
                    insert(OutboxAttempt)
                    .values(message_id=message_id, worker=self.worker_id, started_at=now)
                    .returning(OutboxAttempt.id)
                )
            ).scalar_one()
        return _Attempt(attempt_id, renewed)

    async def _send(
        self, message: OutboxMessage, attempt: _Attempt, attachments: list[OutboxAttachment]
    ) -> bool:
        """Sends a message this dispatcher holds; True when the relay accepted it."""
        try:
            await within(
                self.sender.send(build_message(message, attachments, self.mail_from)),
                self.send_timeout.total_seconds(),
            )
        except Exception as error:
            outcome = AttemptOutcome.TIMED_OUT if isinstance(error, TimeoutError) else AttemptOutcome.FAILED
            await self._record_failure(message, attempt, outcome, error)
            return False
        await self._record_sent(message, attempt)
        log.info("mail sent", extra={"outbox_id": message.id, "template": message.template})
        return True

    async def _record_failure(
        self, message: OutboxMessage, attempt: _Attempt, outcome: AttemptOutcome, error: Exception
    ) -> None:
        final = attempt.number >= self.max_attempts
        log.warning(
            "mail delivery failed",
            extra={
                "outbox_id": message.id,
                "attempts": attempt.number,
                "final": final,
                "outcome": outcome.value,
                "error": repr(error),
            },
        )
        now = clock.now()
        async with self.db.transaction() as session:
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message.id, OutboxMessage.claimed_by == self.worker_id)
                .values(
                    last_error=repr(error)[:2000],
                    status=OutboxStatus.FAILED if final else OutboxStatus.PENDING,
                    next_attempt_at=now + backoff(attempt.number),
                    claimed_until=None,
                    claimed_by=None,
                )
                .execution_options(synchronize_session=False)
            )
            await session.execute(
                update(OutboxAttempt)
                .where(OutboxAttempt.id == attempt.id)
                .values(finished_at=now, outcome=outcome, error=repr(error)[:2000])
                .execution_options(synchronize_session=False)
            )

    async def _record_sent(self, message: OutboxMessage, attempt: _Attempt) -> None:
        """The relay has the message: write so until the database takes it. Giving up would let the lease
        expire and another dispatcher send the message again."""
        delay = self.retry_delay
        tries = 0
        while True:
            tries += 1
            try:
                now = clock.now()
                async with self.db.transaction() as session:
                    await session.execute(
                        update(OutboxMessage)
                        .where(OutboxMessage.id == message.id, OutboxMessage.status == OutboxStatus.PENDING)
                        .values(
                            status=OutboxStatus.SENT,
                            sent_at=now,
                            claimed_until=None,
                            claimed_by=None,
                            last_error=None,
                        )
                        .execution_options(synchronize_session=False)
                    )
                    await session.execute(
                        update(OutboxAttempt)
                        .where(OutboxAttempt.id == attempt.id)
                        .values(finished_at=now, outcome=AttemptOutcome.SENT)
                        .execution_options(synchronize_session=False)
                    )
                return
            except Exception as error:
                # One line for the first failures, then one every 10 tries: a database down for an hour
                # must not flood the logs.
                if tries <= 3 or tries % 10 == 0:
                    log.warning(
                        "could not record a sent email, retrying",
                        extra={"outbox_id": message.id, "tries": tries, "error": repr(error)},
                    )
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_RETRY_DELAY)

    async def run_forever(self, stop: asyncio.Event, interval: float = 2.0) -> None:
        """Polls the outbox until `stop` is set; an error is logged and the loop goes on."""
        while not stop.is_set():
            try:
                await self.run_once()
            except Exception as error:
                if database_unavailable(error):
                    # Expected while the database is down: one line per iteration, no trace.
                    log.warning("mail dispatcher: database unavailable", extra={"error": repr(error)})
                else:
                    log.exception("mail dispatcher iteration failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)
