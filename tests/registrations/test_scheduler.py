"""The scheduler: due tasks claimed under a lease (FOR UPDATE SKIP LOCKED on PostgreSQL), each move made once
whatever the number of processes, a task taken over after a lease ran out, a failing task retried later."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from live import live_server
from sqlalchemy import func, select
from test_seat_offers import Line
from world import World

from parcourspro_gql.domain.scheduling import HANDLERS, schedule
from parcourspro_gql.models import AuditEntry, OutboxMessage, OutboxStatus, ScheduledTask
from parcourspro_gql.scheduler import Scheduler


async def expiries(db) -> int:
    async with db.read() as session:
        return await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "registration.seat_offer_expire")
        )


async def test_several_schedulers_at_once_make_each_move_once(world: World, db, clock):
    lines = [await Line(world).build(waiting=2) for _ in range(3)]
    for line in lines:
        await line.free_the_seat()
    clock.advance(timedelta(hours=48))
    reports = await asyncio.gather(*(Scheduler(db, worker_id=f"worker-{n}").run_once() for n in range(4)))
    # Three offers expired, each once; the three next people were offered the seats.
    assert await expiries(db) == 3
    assert sum(report.done for report in reports) >= 3
    async with db.read() as session:
        pending = await session.scalar(
            select(func.count())
            .select_from(ScheduledTask)
            .where(ScheduledTask.kind == "offer-expiry", ScheduledTask.done_at.is_(None))
        )
    assert pending == 3  # the new offers' deadlines


async def test_a_claimed_task_waits_for_its_lease_then_another_process_takes_it(world: World, db, clock):
    line = await Line(world).build(waiting=2)
    await line.free_the_seat()
    clock.advance(timedelta(hours=48))
    dead = Scheduler(db, worker_id="dead", lease=timedelta(minutes=5))
    claimed = await dead._claim()  # a process claims the due task, then dies before making the move
    assert claimed
    other = Scheduler(db, worker_id="other", lease=timedelta(minutes=5))
    assert (await other.run_once()).done == 0  # still reserved to the dead process
    assert await expiries(db) == 0
    clock.advance(timedelta(minutes=5, seconds=1))
    assert (await other.run_once()).done >= 1
    assert await expiries(db) == 1
    # The process that lost its lease wakes up: its move is refused, not made twice.
    await dead._run(claimed[0])
    assert await expiries(db) == 1


async def test_a_failing_task_is_handed_back_and_retried_later(db, clock):
    calls: list[int] = []

    async def flaky(session, task) -> None:
        calls.append(task.id)
        if len(calls) == 1:
            raise RuntimeError("relais indisponible")

    HANDLERS["test-flaky"] = flaky
    try:
        async with db.transaction() as session:
            await schedule(session, "test-flaky", "test-flaky:1", clock.now())
        scheduler = Scheduler(db)
        assert (await scheduler.run_once()).failed == 1
        async with db.read() as session:
            task = await session.scalar(select(ScheduledTask).where(ScheduledTask.key == "test-flaky:1"))
        assert (task.done_at, task.attempts, task.claimed_by) == (None, 1, None)
        assert "relais indisponible" in task.last_error
        assert (await scheduler.run_once()).done == 0  # not before its pause
        clock.advance(timedelta(seconds=30))
        assert (await scheduler.run_once()).done == 1
        assert len(calls) == 2
    finally:
        del HANDLERS["test-flaky"]


async def test_scheduling_a_key_again_moves_its_due_time(db, clock):
    async with db.transaction() as session:
        await schedule(session, "session-start", "session-start:test", clock.now() + timedelta(days=2))
    async with db.transaction() as session:
        await schedule(session, "session-start", "session-start:test", clock.now() + timedelta(days=5))
    async with db.read() as session:
        rows = list(
            await session.scalars(select(ScheduledTask).where(ScheduledTask.key == "session-start:test"))
        )
    assert [row.due_at for row in rows] == [clock.now() + timedelta(days=5)]


async def unsent(db) -> int:
    async with db.read() as session:
        return await session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status != OutboxStatus.SENT)
        )


async def test_serve_runs_the_scheduler_and_the_outbox_beside_the_api(
    world: World, db, settings, clock, unused_port
):
    # An offer made long enough ago, on the real clock (the server's), that its deadline has passed.
    clock.freeze(datetime.now(UTC) - timedelta(hours=settings.seat_offer_hours + 1))
    line = await Line(world).build(waiting=2)
    await line.free_the_seat()
    clock.unfreeze()
    assert await expiries(db) == 0
    async with live_server(
        settings, unused_port, 1, background=True, PARCOURSPRO_SCHEDULER_INTERVAL_SECONDS="0.2"
    ):
        # Polled for at most a minute (a loaded CI runner may be slow to schedule the server).
        for _ in range(300):
            # The expiry is made, and the next person's offer went out by e-mail (the outbox's loop).
            if await expiries(db) == 1 and await unsent(db) == 0:
                break
            await asyncio.sleep(0.2)
    assert await expiries(db) == 1
    assert await unsent(db) == 0
    async with db.read() as session:
        offers = await session.scalar(
            select(func.count())
            .select_from(ScheduledTask)
            .where(ScheduledTask.kind == "offer-expiry", ScheduledTask.done_at.is_(None))
        )
    assert offers == 1  # the seat passed down the line: the second person's offer has its deadline
