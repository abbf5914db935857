"""/health/live and /health/ready (issue 20): readiness fails, within its budget, on a read-only SQLite file,
a frozen database, a full disk; reports the outbox's backlog; and never tells an anonymous caller which
database runs behind."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from faults import TcpProxy
from sqlalchemy.engine import make_url

from parcourspro_gql.app import create_app
from parcourspro_gql.db import Database, create_engine
from parcourspro_gql.mail.outbox import enqueue
from parcourspro_gql.migrate import upgrade

# The budget of the frozen-database tests; the others are given more, so that a busy machine (CI runs
# the suite four times at once) never makes a healthy check time out.
BUDGET = 1.0
ROOMY = 5.0
KEYS = {"status", "database", "writable", "disk", "outbox", "outboxBacklog", "outboxStuck"}


class Probed:
    """The real app over a database of the test's choosing, probed as an orchestrator does."""

    def __init__(self, settings, url: str, budget: float = ROOMY, **changes) -> None:
        self.settings = replace(settings, database_url=url, health_timeout_seconds=budget, **changes)
        self.db = Database.from_url(url, self.settings)
        self.app = create_app(self.settings, db=self.db)
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://t")

    async def ready(self) -> tuple[httpx.Response, float]:
        loop = asyncio.get_running_loop()
        began = loop.time()
        response = await self.http.get("/health/ready")
        return response, loop.time() - began

    async def close(self) -> None:
        await self.http.aclose()
        await self.db.dispose()


async def chattr(flag: str, path: str) -> None:
    process = await asyncio.create_subprocess_exec("chattr", flag, path)
    assert await process.wait() == 0


async def sqlite_file(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path}/ready.db"
    engine = create_engine(url)
    await upgrade(engine)
    await engine.dispose()
    return url


async def test_ready_and_live_on_a_healthy_database_say_nothing_of_the_dialect(settings, db, client):
    ready = await client.get("/health/ready")
    assert ready.status_code == 200
    assert set(ready.json()) == KEYS
    assert ready.json()["status"] == "ok"
    assert (await client.get("/health")).json() == ready.json()
    for word in ("sqlite", "postgres", "dialect", "version"):
        assert word not in ready.text.lower()
    live = await client.get("/health/live")
    assert (live.status_code, live.json()) == (200, {"status": "ok"})


async def test_readiness_fails_on_a_read_only_sqlite_file(settings, tmp_path):
    url = await sqlite_file(tmp_path)
    path = make_url(url).database
    probed = Probed(settings, url)
    # Root ignores file modes: the immutable attribute makes the file read-only for root too.
    as_root = os.geteuid() == 0
    if as_root:
        await chattr("+i", path)
    else:
        os.chmod(path, 0o444)
    try:
        response, took = await probed.ready()
    finally:
        if as_root:
            await chattr("-i", path)
        await probed.close()
    assert response.status_code == 503
    assert response.headers["retry-after"]
    body = response.json()
    assert (body["status"], body["database"], body["writable"]) == ("unavailable", "ok", "read_only")
    assert took < ROOMY


async def test_readiness_fails_on_a_frozen_database_within_its_budget(settings, db, tmp_path):
    if db.dialect == "sqlite":
        # SQLite has no server to freeze: another process holding the write lock freezes every writer.
        url = await sqlite_file(tmp_path)
        probed = Probed(settings, url, BUDGET)
        holder = sqlite3.connect(make_url(url).database, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            assert (await probed.http.get("/health/live")).status_code == 200
            response, took = await probed.ready()
        finally:
            holder.rollback()
            holder.close()
        assert response.json()["writable"] in {"timeout", "busy"}
    else:
        # A server that hangs (as under SIGSTOP): connections accepted, nothing answered.
        target = make_url(settings.database_url)
        proxy = TcpProxy(target.host or "127.0.0.1", target.port or 5432)
        await proxy.start()
        url = target.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        probed = Probed(settings, url, BUDGET)
        try:
            proxy.freeze()
            response, took = await probed.ready()
        finally:
            proxy.thaw()
            await proxy.stop()
        assert response.json()["database"] == "timeout"
    try:
        assert response.status_code == 503
        assert response.json()["status"] == "unavailable"
        # The budget, plus what a busy machine takes to schedule the answer: not the 19.9 s of before.
        assert took < BUDGET + 1
    finally:
        await probed.close()


async def test_readiness_fails_when_the_disk_of_a_sqlite_file_is_nearly_full(settings, tmp_path):
    url = await sqlite_file(tmp_path)
    # More free space required than any disk has.
    probed = Probed(settings, url, health_min_free_disk_mb=10**12)
    try:
        response, _ = await probed.ready()
    finally:
        await probed.close()
    assert response.status_code == 503
    assert response.json()["disk"] == "low"


async def test_readiness_reports_the_outbox_backlog_and_stuck_claims_without_failing(client, db, clock):
    from parcourspro_gql.mail.dispatcher import Dispatcher
    from parcourspro_gql.mail.sender import FileSender

    async with db.transaction() as session:
        for n in range(2):
            await enqueue(
                session,
                to=f"p{n}@example.org",
                template="verify_email",
                context={"first_name": "P", "link": "https://t/verify-email?token=1", "valid_hours": 48},
            )
    # One message claimed by a dispatcher that then died.
    dead = Dispatcher(db, FileSender(Path("unused")), "x@example.org", batch_size=1)
    assert await dead._claim()
    clock.advance(timedelta(minutes=11))
    response = await client.get("/health/ready")
    assert response.status_code == 200
    body = response.json()
    assert (body["outbox"], body["outboxBacklog"], body["outboxStuck"]) == ("degraded", 2, 1)


@pytest.mark.parametrize("seconds", ["0", "abc", "11"])
def test_the_budget_is_a_bounded_setting(tmp_path, seconds):
    from parcourspro_gql.config import ConfigError, load_settings

    with pytest.raises(ConfigError, match="PARCOURSPRO_HEALTH_TIMEOUT_SECONDS"):
        load_settings({"PARCOURSPRO_VAR_DIR": str(tmp_path), "PARCOURSPRO_HEALTH_TIMEOUT_SECONDS": seconds})
