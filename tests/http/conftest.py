"""Fixtures of the HTTP edge tests: the world builders, and an app with other settings."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import replace
from typing import Any

import httpx
import pytest
from world import World

from parcourspro_gql.app import create_app
from parcourspro_gql.auth.tokens import AccessTokens

Configured = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def world(db: Any, settings: Any, gql: Any, clock: Any) -> World:
    return World(db, AccessTokens(settings), gql)


@pytest.fixture
def configured(settings: Any, db: Any) -> Configured:
    """A client of the real app built with `settings` changed as asked (same database)."""

    @asynccontextmanager
    async def client(**changes: Any) -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(replace(settings, **changes), db=db)
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http

    return client
