"""The context of one GraphQL request: who calls, a fresh set of loaders, and the database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from parcourspro_gql import models
from parcourspro_gql.auth.tokens import AccessTokens
from parcourspro_gql.auth.viewer import Viewer
from parcourspro_gql.config import Settings
from parcourspro_gql.db import Database
from parcourspro_gql.loaders import Loaders

T = TypeVar("T")


@dataclass
class Context:
    request: Request
    response: Response
    settings: Settings
    db: Database
    viewer: Viewer
    loaders: Loaders
    request_id: str
    tokens: AccessTokens
    # A bearer token was sent but refused: fields that need a login answer UNAUTHENTICATED.
    auth_rejected: bool = False
    # The caller's row as authentication read it (until a change of this request renews what was read).
    account: models.Account | None = None
    # The bearer token is ours but expired: fields that need a login answer TOKEN_EXPIRED, `me` too.
    token_expired: bool = False
    # A websocket's: the payload of its connection_init message (strawberry sets it), and its token's times.
    connection_params: dict[str, Any] | None = None
    token_issued_at: float | None = None
    token_expires_at: float | None = None
    token_family: str | None = None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One write transaction for a mutation: committed at the end, rolled back on any exception.

        The loaders are renewed afterwards: what they cached (the caller's roles, say) may have changed.
        """
        try:
            async with self.db.transaction() as session:
                yield session
        finally:
            self.renew_loaders()

    async def transact(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """`work` in one write transaction, retried whole on a serialization failure or a deadlock
        (Database.transact); the loaders are renewed afterwards, as after transaction()."""
        try:
            return await self.db.transact(work)
        finally:
            self.renew_loaders()

    def caller_row(self, pk: int | None) -> models.Account | None:
        """The caller's row as authentication read it, when `pk` is the caller's and no change of this request
        renewed what was read; None otherwise (the loader then reads it)."""
        return self.account if self.account is not None and self.account.id == pk else None

    def renew_loaders(self) -> None:
        """After a change (a mutation's transaction, or a use case that runs its own), read fresh data."""
        self.loaders = Loaders(self.db)
        self.account = None


Info = strawberry.Info[Context, None]
