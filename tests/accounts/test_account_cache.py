"""A query may reuse the caller's account as a recent read of this process saw it (PARCOURSPRO_AUTH_CACHE_SECONDS);
a mutation never does, and a write of this process is seen at once."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from typing import Any

import httpx
import pytest
from accounts_support import LOGOUT, ME
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from parcourspro_gql.app import create_app

RESEND = "mutation { verificationEmailResend { ok errors { code } } }"


async def revoke_elsewhere(database_url: str, moment: Any) -> None:
    """What a logout served by another worker process does to the account: a commit this process never sees."""
    engine = create_async_engine(database_url)  # not ours: no hook of this process sees its commit
    async with engine.begin() as connection:
        await connection.execute(
            text("UPDATE accounts SET tokens_valid_after = :at"),
            {"at": moment.replace(tzinfo=None) if engine.dialect.name == "sqlite" else moment},
        )
    await engine.dispose()


@pytest.fixture
def worker(settings, db):
    """Another app on the same database (as a second worker would be), with `seconds` of account cache."""

    def make(seconds: int) -> Any:
        app = create_app(replace(settings, auth_cache_seconds=seconds), db=db)
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50001))

        async def gql(query: str, token: str) -> dict[str, Any]:
            async with httpx.AsyncClient(transport=transport, base_url="http://worker") as http:
                answer = await http.post(
                    "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"}
                )
                return answer.json()

        return gql

    return make


async def test_a_logout_elsewhere_reaches_queries_within_the_cache_period_and_mutations_at_once(
    people, settings, clock, worker
):
    await people.verified()
    token = (await people.login())["accessToken"]
    gql = worker(seconds=1)
    assert (await gql(ME, token))["data"]["me"]["email"] == "camille@example.org"

    await revoke_elsewhere(settings.database_url, clock.now() + timedelta(seconds=1))
    # Within the period, a query may still be served with the account read before (the documented delay)...
    assert (await gql(ME, token))["data"]["me"] is not None
    # ...but a mutation reads the account again: refused at once.
    assert (await gql(RESEND, token))["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # A query sees it once the account it saw is older than the period (1 s here).
    await asyncio.sleep(1.1)
    assert (await gql(ME, token))["data"]["me"] is None


async def test_without_cache_queries_see_a_logout_elsewhere_at_once(people, settings, clock, worker):
    await people.verified()
    token = (await people.login())["accessToken"]
    gql = worker(seconds=0)
    assert (await gql(ME, token))["data"]["me"] is not None
    await revoke_elsewhere(settings.database_url, clock.now() + timedelta(seconds=1))
    assert (await gql(ME, token))["data"]["me"] is None


async def test_a_write_of_this_process_is_seen_at_once_by_queries(people, gql, worker):
    await people.verified()
    session = await people.login()
    cached = worker(seconds=3600)
    assert (await cached(ME, session["accessToken"]))["data"]["me"] is not None
    assert (await gql(LOGOUT, {"token": session["refreshToken"]}))["data"]["logout"]["ok"] is True
    assert (await cached(ME, session["accessToken"]))["data"]["me"] is None


async def test_queries_reuse_the_account_and_mutations_read_it_again(people, worker, statements):
    await people.verified()
    token = (await people.login())["accessToken"]
    gql = worker(seconds=60)
    statements.reset()
    assert (await gql(ME, token))["data"]["me"] is not None
    assert any("FROM accounts" in statement for statement in statements.statements)
    statements.reset()
    assert (await gql(ME, token))["data"]["me"] is not None
    assert statements.statements == []
    assert (await gql(RESEND, token))["data"]["verificationEmailResend"]["errors"][0]["code"]
    assert any("FROM accounts" in statement for statement in statements.statements)
