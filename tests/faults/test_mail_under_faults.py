"""The outbox under faults (issue 20): an SMTP outage, a failed "sent" write, a database failing midway, a
killed worker, a relay slower than the lease and a send past its time limit. Every message arrives; the
only duplicates are those the documented at-least-once guarantee allows, and the database records them."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from datetime import UTC, datetime, timedelta

import pytest
from aiosmtpd.controller import Controller
from faults import Relay, eventually, refused_writes
from sqlalchemy import select

from parcourspro_gql.clock import clock as app_clock
from parcourspro_gql.mail.dispatcher import Dispatcher
from parcourspro_gql.mail.outbox import enqueue
from parcourspro_gql.mail.sender import SmtpSender
from parcourspro_gql.models import AttemptOutcome, OutboxAttempt, OutboxMessage, OutboxStatus

MAIL_FROM = "ParcoursPro <no-reply@parcourspro.test>"


class RelayServer:
    """The relay's SMTP server on loopback, which a test may stop and start again (an outage)."""

    def __init__(self, handler: Relay, port: int) -> None:
        self.handler, self.port = handler, port
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def relay(unused_port):
    handler = Relay()
    handler.port = unused_port
    handler.server = RelayServer(handler, unused_port)
    handler.server.start()
    yield handler
    handler.resume.set()
    handler.server.stop()


def dispatcher(db, relay, **kwargs) -> Dispatcher:
    return Dispatcher(db, SmtpSender(f"smtp://127.0.0.1:{relay.port}", timeout=5), MAIL_FROM, **kwargs)


async def enqueue_many(db, count: int) -> list[int]:
    async with db.transaction() as session:
        rows = [
            await enqueue(
                session,
                to=f"person{i}@example.org",
                template="verify_email",
                context={
                    "first_name": f"P{i}",
                    "link": f"https://t/verify-email?token={i}",
                    "valid_hours": 48,
                },
            )
            for i in range(count)
        ]
        return [row.id for row in rows]


async def rows(db) -> dict[int, OutboxMessage]:
    async with db.read() as session:
        return {row.id: row for row in await session.scalars(select(OutboxMessage))}


async def attempts(db) -> dict[int, list[OutboxAttempt]]:
    async with db.read() as session:
        found = await session.scalars(select(OutboxAttempt).order_by(OutboxAttempt.id))
    by_message: dict[int, list[OutboxAttempt]] = {}
    for attempt in found:
        by_message.setdefault(attempt.message_id, []).append(attempt)
    return by_message


async def test_an_smtp_outage_delays_every_email_and_duplicates_none(db, relay, clock):
    ids = await enqueue_many(db, 3)
    relay.server.stop()
    report = await dispatcher(db, relay).run_once()
    assert (report.sent, report.failed) == (0, 3)
    # Each failure gives its claim back at once (with a backoff), and is recorded.
    assert {(row.status, row.claimed_by) for row in (await rows(db)).values()} == {
        (OutboxStatus.PENDING, None)
    }
    assert [[a.outcome for a in found] for found in (await attempts(db)).values()] == [
        [AttemptOutcome.FAILED]
    ] * 3
    relay.server.start()
    clock.advance(timedelta(seconds=31))
    assert (await dispatcher(db, relay).run_once()).sent == 3
    assert relay.copies().keys() == set(ids)
    assert all(len(copies) == 1 for copies in relay.copies().values())
    assert {row.status for row in (await rows(db)).values()} == {OutboxStatus.SENT}
    assert [[a.outcome for a in found] for found in (await attempts(db)).values()] == [
        [AttemptOutcome.FAILED, AttemptOutcome.SENT]
    ] * 3


async def test_a_failed_sent_write_is_retried_and_the_email_never_sent_again(db, relay, clock, caplog):
    ids = await enqueue_many(db, 2)
    caplog.set_level(logging.WARNING, logger="parcourspro_gql.mail.dispatcher")
    async with refused_writes(
        db, table="outbox_messages", event="UPDATE", when="NEW.status = 'SENT'"
    ) as lift:
        running = asyncio.create_task(dispatcher(db, relay, retry_delay=0.01).run_once())
        await eventually(
            lambda: sum(r.message == "could not record a sent email, retrying" for r in caplog.records) >= 3
        )
        # The relay has the first email; the dispatcher is still trying to write so, and sends nothing else.
        assert list(relay.copies()) == [ids[0]]
        # Another dispatcher meanwhile finds the first email claimed, and the second too.
        assert (await dispatcher(db, relay).run_once()).sent == 0
        await lift()
        report = await asyncio.wait_for(running, timeout=10)
    assert report.sent == 2
    assert relay.copies().keys() == set(ids)
    assert all(len(copies) == 1 for copies in relay.copies().values())
    assert {row.status for row in (await rows(db)).values()} == {OutboxStatus.SENT}
    assert [[a.outcome for a in found] for found in (await attempts(db)).values()] == [
        [AttemptOutcome.SENT]
    ] * 2


async def test_claims_are_given_back_at_once_when_the_database_fails_midway(db, relay, clock):
    first, second, third = await enqueue_many(db, 3)
    async with refused_writes(
        db, table="outbox_attempts", event="INSERT", when=f"NEW.message_id = {second}"
    ) as lift:
        with pytest.raises(Exception, match="injected fault"):
            await dispatcher(db, relay).run_once()
        state = await rows(db)
        assert state[first].status is OutboxStatus.SENT
        # Not held for the five minutes of the lease: free for any dispatcher right away.
        assert [(state[i].status, state[i].claimed_by) for i in (second, third)] == [
            (OutboxStatus.PENDING, None)
        ] * 2
        await lift()
        assert (await dispatcher(db, relay).run_once()).sent == 2
    assert relay.copies().keys() == {first, second, third}
    assert all(len(copies) == 1 for copies in relay.copies().values())


async def test_a_relay_slower_than_the_lease_gets_each_email_once(db, relay, clock):
    """Each message takes the relay 2 minutes: a claim of 5 takes 10, twice the 5-minute lease. The tail of
    a claim expires while its dispatcher works; another takes it over, and the first skips it."""
    ids = await enqueue_many(db, 10)
    started = app_clock.now()
    relay.on_message = lambda _rank: app_clock.advance(timedelta(minutes=2))
    first, second = dispatcher(db, relay), dispatcher(db, relay)
    assert first.batch_size == 5  # a 5-minute lease, a 1-minute limit per send
    reports = await asyncio.gather(first.run_once(), second.run_once())
    assert sum(report.sent for report in reports) == 10
    assert app_clock.now() - started >= timedelta(minutes=20)
    assert relay.copies().keys() == set(ids)
    assert all(len(copies) == 1 for copies in relay.copies().values())
    assert all(len(found) == 1 for found in (await attempts(db)).values())


async def test_a_send_past_its_time_limit_may_arrive_twice_and_says_so(db, relay, clock):
    [only] = await enqueue_many(db, 1)
    relay.stall_on = 1
    slow = dispatcher(db, relay, lease=timedelta(seconds=1), send_timeout=timedelta(seconds=0.3))
    loop = asyncio.get_running_loop()
    began = loop.time()
    report = await slow.run_once()
    # Cut at its limit: the SMTP client's own clean-up (QUIT to a stalled relay, 5 s here) is not waited for.
    assert loop.time() - began < 4
    assert (report.sent, report.failed) == (0, 1)
    relay.resume.set()
    clock.advance(timedelta(seconds=31))
    assert (await dispatcher(db, relay).run_once()).sent == 1
    # The relay had kept the first copy: two copies, one Message-ID, and both attempts on record.
    [copies] = relay.copies().values()
    assert len(copies) == 2
    assert copies[0] == copies[1]
    assert [a.outcome for a in (await attempts(db))[only]] == [AttemptOutcome.TIMED_OUT, AttemptOutcome.SENT]


async def test_a_killed_worker_duplicates_only_the_email_in_flight(db, settings, relay, tmp_path):
    ids = await enqueue_many(db, 3)
    relay.stall_on = 2
    environ = {key: value for key, value in os.environ.items() if not key.startswith("PARCOURSPRO_")}
    environ.update(
        {
            "PARCOURSPRO_DATABASE_URL": settings.database_url,
            "PARCOURSPRO_VAR_DIR": str(tmp_path),
            "PARCOURSPRO_MAIL_URL": f"smtp://127.0.0.1:{relay.port}",
            "PARCOURSPRO_MAIL_FROM": MAIL_FROM,
        }
    )
    worker = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "parcourspro_gql.cli", "worker", env=environ, stderr=asyncio.subprocess.DEVNULL
    )
    try:
        assert await asyncio.to_thread(relay.stalled.wait, 60), "the worker never reached the second email"
    finally:
        worker.send_signal(signal.SIGKILL)
        await worker.wait()
    relay.resume.set()
    state = await rows(db)
    assert [state[i].status for i in ids] == [OutboxStatus.SENT, OutboxStatus.PENDING, OutboxStatus.PENDING]
    # The dead worker's claims expire with its lease; a survivor then takes them over.
    app_clock.freeze(datetime.now(UTC) + timedelta(minutes=5, seconds=1))
    try:
        assert (await dispatcher(db, relay).run_once()).sent == 2
    finally:
        app_clock.unfreeze()
    copies = relay.copies()
    assert [len(copies[i]) for i in ids] == [1, 2, 1]
    assert copies[ids[1]][0] == copies[ids[1]][1]
    # The database shows the possible duplicate: an attempt cut short, then one that succeeded.
    record = await attempts(db)
    assert [a.outcome for a in record[ids[1]]] == [None, AttemptOutcome.SENT]
    assert record[ids[1]][0].worker != record[ids[1]][1].worker
    assert {row.status for row in (await rows(db)).values()} == {OutboxStatus.SENT}


def test_the_lease_and_the_send_limit_are_settings_that_must_fit_together(tmp_path):
    from parcourspro_gql.config import ConfigError, load_settings

    base = {"PARCOURSPRO_VAR_DIR": str(tmp_path)}
    settings = load_settings(
        {**base, "PARCOURSPRO_MAIL_LEASE_SECONDS": "120", "PARCOURSPRO_MAIL_SEND_TIMEOUT_SECONDS": "7.5"}
    )
    assert (settings.mail_lease_seconds, settings.mail_send_timeout_seconds) == (120.0, 7.5)
    assert Dispatcher.from_settings(None, None, settings).batch_size == 16
    with pytest.raises(ConfigError, match="PARCOURSPRO_MAIL_SEND_TIMEOUT_SECONDS"):
        load_settings({**base, "PARCOURSPRO_MAIL_LEASE_SECONDS": "30"})
    with pytest.raises(ConfigError, match="PARCOURSPRO_MAIL_LEASE_SECONDS"):
        load_settings({**base, "PARCOURSPRO_MAIL_LEASE_SECONDS": "nan"})
