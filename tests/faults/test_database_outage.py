"""The database unavailable (issue 20): stopped under load, frozen, or holding a lock past its limit. Every
request then gets a 503 in JSON with SERVICE_UNAVAILABLE, Retry-After and its request id, logged in one
line without a trace, within the time limits; and the service recovers by itself once the database is back."""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
from dataclasses import replace
from typing import Any

import httpx
import pytest
from faults import TcpProxy
from sqlalchemy import text
from sqlalchemy.engine import make_url
from world import World

from parcourspro_gql.app import create_app
from parcourspro_gql.auth.tokens import AccessTokens
from parcourspro_gql.db import Database

ON_POSTGRES = os.environ.get("PARCOURSPRO_TEST_DATABASE_URL", "").startswith("postgresql")
ANONYMOUS = "{ structures(first: 5) { edges { node { name } } } }"
ME = "{ me { email } }"
LOGIN = """mutation { login(input: {email: "nobody@example.org", password: "pas le bon mot de passe"}) {
  accessToken errors { code } } }"""


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["retry-after"] == "7"
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    assert error["extensions"]["requestId"] == response.headers["x-request-id"]
    assert "indisponible" in error["message"]


class Service:
    """The real app over its own Database, whose settings (time limits) the test chooses."""

    def __init__(self, settings: Any, **changes: Any) -> None:
        self.settings = replace(settings, retry_after_seconds=7, auth_cache_seconds=0, **changes)
        self.db = Database.from_url(self.settings.database_url, self.settings)
        self.app = create_app(self.settings, db=self.db)
        self.http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://t", timeout=30
        )

    async def post(self, query: str, token: str | None = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return await self.http.post("/graphql", json={"query": query}, headers=headers)

    async def close(self) -> None:
        await self.http.aclose()
        await self.db.dispose()


@pytest.fixture
async def proxy(settings):
    if not ON_POSTGRES:
        pytest.skip("a database server to stop or freeze: the suite's PostgreSQL pass")
    url = make_url(settings.database_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    yield proxy
    proxy.thaw()
    await proxy.stop()


@pytest.fixture
async def behind_proxy(settings, proxy):
    url = make_url(settings.database_url).set(host="127.0.0.1", port=proxy.port)
    service = Service(
        settings,
        database_url=url.render_as_string(hide_password=False),
        db_connect_timeout_seconds=2.0,
        db_command_timeout_seconds=3.0,
    )
    yield service
    await service.close()


async def test_a_database_stopped_under_load_answers_503_and_recovers_by_itself(
    db, settings, proxy, behind_proxy, caplog
):
    person = await World(db, AccessTokens(settings), None).person()
    service = behind_proxy

    async def load(rounds: int) -> list[httpx.Response]:
        async def client(n: int) -> list[httpx.Response]:
            return [
                await service.post(ANONYMOUS if (n + i) % 2 else ME, None if (n + i) % 2 else person.token)
                for i in range(rounds)
            ]

        return [
            response
            for answers in await asyncio.gather(*(client(n) for n in range(4)))
            for response in answers
        ]

    assert {response.status_code for response in await load(2)} == {200}
    caplog.set_level(logging.INFO)
    caplog.clear()
    await proxy.stop()
    down = await load(3)
    for response in down:  # logged-in requests too: authentication reads the account
        assert_unavailable(response)
    # One warning line per request, no trace of ours.
    lines = [r for r in caplog.records if r.getMessage() == "database unavailable"]
    assert len(lines) == len(down)
    assert {line.levelno for line in lines} == {logging.WARNING}
    assert not [r for r in caplog.records if r.name.startswith("parcourspro_gql") and r.exc_info]
    await proxy.start()
    back = await load(2)
    assert {response.status_code for response in back} == {200}
    assert all("errors" not in response.json() for response in back)


async def test_a_frozen_database_answers_503_within_the_time_limits(db, settings, proxy, behind_proxy):
    service = behind_proxy
    assert (await service.post(ANONYMOUS)).status_code == 200
    proxy.freeze()
    loop = asyncio.get_running_loop()
    began = loop.time()
    # A pooled connection waits for its command limit (3 s), then a new one for its connect limit (2 s).
    assert_unavailable(await service.post(ANONYMOUS))
    assert loop.time() - began < 8
    proxy.thaw()
    await proxy.stop()  # the frozen connections are dead to their clients: cut them, as a restart would
    await proxy.start()
    assert (await service.post(ANONYMOUS)).status_code == 200


async def test_a_dropped_connection_is_retried_once_for_a_query(db, settings, proxy, behind_proxy, caplog):
    service = behind_proxy
    assert (await service.post(ANONYMOUS)).status_code == 200
    # The server "restarts" between two requests: the pooled connection is dead, the server is back.
    await proxy.stop()
    await proxy.start()
    caplog.set_level(logging.INFO)
    answer = await service.post(ANONYMOUS)
    assert answer.status_code == 200, answer.text
    assert "errors" not in answer.json()
    assert any(r.getMessage() == "query retried after a dropped database connection" for r in caplog.records)


@pytest.fixture
async def locked_service(settings):
    service = Service(settings, db_lock_timeout_seconds=0.2, sqlite_busy_timeout_seconds=0.2)
    yield service
    await service.close()


async def test_a_write_waiting_past_its_lock_limit_answers_503_then_succeeds(db, locked_service):
    """Another process holds the lock a login's write needs (SQLite: the database's write lock; PostgreSQL:
    the table's): the write gives up at the limit (0.2 s here) instead of hanging."""
    service = locked_service
    if db.dialect == "sqlite":
        holder = sqlite3.connect(make_url(db.engine.url).database, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        release = holder.rollback
    else:
        connection = await db.engine.connect()
        await connection.execute(text("LOCK TABLE login_attempts IN ACCESS EXCLUSIVE MODE"))

        async def release() -> None:
            await connection.rollback()
            await connection.close()

    try:
        loop = asyncio.get_running_loop()
        began = loop.time()
        assert_unavailable(await service.post(LOGIN))
        assert loop.time() - began < 3
    finally:
        result = release()
        if asyncio.iscoroutine(result):
            await result
    answer = await service.post(LOGIN)
    assert answer.status_code == 200
    assert answer.json()["data"]["login"]["errors"] == [{"code": "INVALID_CREDENTIALS"}]


async def test_an_unreachable_database_is_503_for_anonymous_and_logged_in_callers(settings, tmp_path, caplog):
    """Before: anonymous callers got "Erreur interne" in a 200, logged-in ones a text/plain 500 without
    request id (authentication runs before GraphQL's error handling), and documents the same."""
    service = Service(settings, database_url=f"sqlite+aiosqlite:///{tmp_path}/missing-folder/db.sqlite")
    token = AccessTokens(settings).issue(1)
    caplog.set_level(logging.INFO)
    try:
        assert_unavailable(await service.post(ANONYMOUS))
        assert_unavailable(await service.post(ME, token))
        assert_unavailable(await service.post(LOGIN))
        assert_unavailable(
            await service.http.get("/documents/whatever", headers={"Authorization": f"Bearer {token}"})
        )
    finally:
        await service.close()
    lines = [r for r in caplog.records if r.getMessage() == "database unavailable"]
    assert len(lines) == 4
    assert not [r for r in caplog.records if r.name.startswith("parcourspro_gql") and r.exc_info]


async def test_an_unexpected_failure_outside_graphql_is_a_json_500_with_its_request_id(settings, db, caplog):
    app = create_app(settings, db=db)

    async def failing(_request):
        raise RuntimeError("a bug outside GraphQL")

    app.router.add_route("/failing", failing)
    caplog.set_level(logging.ERROR)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        response = await http.get("/failing", headers={"X-Request-ID": "front-500-abcdef"})
    assert response.status_code == 500
    assert response.headers["x-request-id"] == "front-500-abcdef"
    assert response.json()["errors"][0]["extensions"] == {
        "code": "INTERNAL_SERVER_ERROR",
        "requestId": "front-500-abcdef",
    }
    [record] = [r for r in caplog.records if r.exc_info]
    assert record.request_id == "front-500-abcdef"
    assert "a bug outside GraphQL" in str(record.exc_info[1])


async def test_the_time_limits_are_settings_that_reach_the_database(settings):
    from sqlalchemy.exc import DBAPIError

    from parcourspro_gql.db import database_unavailable

    limited = replace(
        settings,
        db_statement_timeout_seconds=0.25,
        db_lock_timeout_seconds=0.1,
        sqlite_busy_timeout_seconds=0.3,
    )
    database = Database.from_url(limited.database_url, limited)
    try:
        async with database.read() as session:
            if database.dialect == "sqlite":
                assert await session.scalar(text("PRAGMA busy_timeout")) == 300
                return
            assert await session.scalar(text("SHOW statement_timeout")) == "250ms"
            assert await session.scalar(text("SHOW lock_timeout")) == "100ms"
        with pytest.raises(DBAPIError) as raised:
            async with database.read() as session:
                await session.execute(text("SELECT pg_sleep(2)"))
        assert database_unavailable(raised.value) == "timeout"
    finally:
        await database.dispose()


def test_the_production_defaults_of_the_time_limits(tmp_path):
    from parcourspro_gql.config import load_settings

    settings = load_settings({"PARCOURSPRO_VAR_DIR": str(tmp_path)})
    assert (
        settings.db_connect_timeout_seconds,
        settings.db_pool_timeout_seconds,
        settings.db_statement_timeout_seconds,
        settings.db_lock_timeout_seconds,
        settings.db_command_timeout_seconds,
        settings.sqlite_busy_timeout_seconds,
        settings.health_timeout_seconds,
    ) == (5.0, 10.0, 15.0, 5.0, 20.0, 10.0, 1.5)
