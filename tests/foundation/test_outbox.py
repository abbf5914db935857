"""Emails leave through the outbox: written with the change, delivered once to a real SMTP server."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from parcourspro_gql.mail.dispatcher import Dispatcher
from parcourspro_gql.mail.outbox import Attachment, enqueue
from parcourspro_gql.mail.sender import SmtpSender
from parcourspro_gql.models import OutboxMessage, OutboxStatus

MAIL_FROM = "ParcoursPro <no-reply@parcourspro.test>"


def context(n: int = 0) -> dict:
    return {
        "first_name": f"Camille{n}",
        "link": f"https://parcourspro.test/verify-email?token=t{n}",
        "valid_hours": 48,
    }


async def enqueue_many(db, count: int, **kwargs) -> list[int]:
    async with db.transaction() as session:
        rows = [
            await enqueue(
                session, to=f"person{i}@example.org", template="verify_email", context=context(i), **kwargs
            )
            for i in range(count)
        ]
        return [row.id for row in rows]


def dispatcher(db, smtp, **kwargs) -> Dispatcher:
    return Dispatcher(db, SmtpSender(smtp.url, timeout=5), MAIL_FROM, **kwargs)


async def statuses(db) -> list[tuple[OutboxStatus, int]]:
    async with db.read() as session:
        rows = (await session.execute(select(OutboxMessage.status, OutboxMessage.attempts))).all()
    return [tuple(row) for row in rows]


async def test_committed_email_arrives_once(db, smtp, clock):
    await enqueue_many(db, 1)
    report = await dispatcher(db, smtp).run_once()
    assert (report.sent, report.failed) == (1, 0)
    [message] = smtp.mailbox.messages()
    assert message["To"] == "person0@example.org"
    assert message["Subject"] == "Confirmez votre adresse e-mail sur ParcoursPro"
    assert "https://parcourspro.test/verify-email?token=t0" in message.get_body(("plain",)).get_content()
    assert (
        'href="https://parcourspro.test/verify-email?token=t0"' in message.get_body(("html",)).get_content()
    )
    again = await dispatcher(db, smtp).run_once()
    assert (again.sent, again.failed) == (0, 0)
    assert len(smtp.mailbox.envelopes) == 1
    assert await statuses(db) == [(OutboxStatus.SENT, 1)]


async def test_rolled_back_change_sends_nothing(db, smtp):
    with pytest.raises(RuntimeError):
        async with db.transaction() as session:
            await enqueue(session, to="a@example.org", template="verify_email", context=context())
            raise RuntimeError("the change that caused the email failed")
    await dispatcher(db, smtp).run_once()
    assert smtp.mailbox.envelopes == []
    assert await statuses(db) == []


async def test_html_is_escaped_and_attachments_travel(db, smtp, clock):
    async with db.transaction() as session:
        await enqueue(
            session,
            to="a@example.org",
            template="verify_email",
            context={**context(), "first_name": "<b>Zoé</b>"},
            attachments=[Attachment("convocation.pdf", "application/pdf", b"%PDF-1.4 test")],
        )
    await dispatcher(db, smtp).run_once()
    [message] = smtp.mailbox.messages()
    assert "&lt;b&gt;Zoé&lt;/b&gt;" in message.get_body(("html",)).get_content()
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "convocation.pdf"
    assert attachment.get_content() == b"%PDF-1.4 test"


async def test_failed_delivery_is_retried_with_backoff(db, smtp, clock):
    await enqueue_many(db, 1)
    smtp.stop()
    report = await dispatcher(db, smtp).run_once()
    assert (report.sent, report.failed) == (0, 1)
    assert await statuses(db) == [(OutboxStatus.PENDING, 1)]
    smtp.start()
    # Not due yet: the first retry waits 30 seconds.
    assert (await dispatcher(db, smtp).run_once()).sent == 0
    clock.advance(timedelta(seconds=31))
    assert (await dispatcher(db, smtp).run_once()).sent == 1
    assert len(smtp.mailbox.envelopes) == 1
    assert await statuses(db) == [(OutboxStatus.SENT, 2)]


async def test_delivery_gives_up_after_the_last_attempt(db, smtp, clock):
    await enqueue_many(db, 1)
    smtp.stop()
    for _ in range(3):
        await dispatcher(db, smtp, max_attempts=3).run_once()
        clock.advance(timedelta(hours=3))
    assert await statuses(db) == [(OutboxStatus.FAILED, 3)]


async def test_two_dispatchers_at_once_deliver_each_email_once(db, smtp, clock):
    ids = await enqueue_many(db, 30)
    first, second = dispatcher(db, smtp, batch_size=4), dispatcher(db, smtp, batch_size=4)
    reports = await asyncio.gather(first.run_once(), second.run_once())
    assert sum(report.sent for report in reports) == 30
    delivered = sorted(int(message["X-ParcoursPro-Outbox-Id"]) for message in smtp.mailbox.messages())
    assert delivered == sorted(ids)
    assert set(await statuses(db)) == {(OutboxStatus.SENT, 1)}


async def test_expired_claim_is_taken_over(db, smtp, clock):
    """A dispatcher that died after claiming does not keep its messages forever."""
    await enqueue_many(db, 1)
    stalled = dispatcher(db, smtp)
    assert await stalled._claim()
    assert (await dispatcher(db, smtp).run_once()).sent == 0
    clock.advance(timedelta(minutes=6))
    assert (await dispatcher(db, smtp).run_once()).sent == 1
