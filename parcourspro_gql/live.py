"""The websocket side of /graphql (N2): graphql-transport-ws with our authentication, keep-alive pings, and
connections closed when their access token expires or is revoked."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ConnectionInitMessage

from parcourspro_gql.clock import clock
from parcourspro_gql.events import Event, account_topic, broker
from parcourspro_gql.events.listener import ensure_listening
from parcourspro_gql.schema.context import Context

log = logging.getLogger("parcourspro_gql.live")

# Close codes (graphql-ws's 4401/4403 family): the reason names the ErrorCode a client branches on.
EXPIRED = (4401, "TOKEN_EXPIRED")
REVOKED = (4403, "TOKEN_REVOKED")
DISABLED = (4403, "ACCOUNT_DISABLED")


def bearer_of(params: Any) -> str | None:
    """The `Authorization` value of a connection_init payload (any case of the key), or None."""
    if not isinstance(params, dict):
        return None
    for key, value in params.items():
        if isinstance(key, str) and key.lower() == "authorization" and isinstance(value, str):
            return value
    return None


def revocation(event: Event, issued_at: float | None, family: str | None = None) -> tuple[int, str] | None:
    """How a revocation event of the socket's account ends it, if it concerns the socket's token (issued
    before a logout or a reset, or of the refresh-token `family` revoked on a reuse: X5)."""
    if event.data.get("disabled"):
        return DISABLED
    if family is not None and event.data.get("family_revoked") == family:
        return REVOKED
    valid_after = event.data.get("tokens_valid_after")
    if isinstance(valid_after, int | float) and (issued_at is None or issued_at <= valid_after):
        return REVOKED
    return None


class LiveHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """strawberry's graphql-transport-ws handler, plus a watch per acknowledged connection: a ping every
    `ws_ping_seconds` while idle (proxies close silent sockets), and the close of the socket when its token
    expires or its account's tokens are revoked (logout everywhere, password reset, account disabled)."""

    watch: asyncio.Task[None] | None = None

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        await super().handle_connection_init(message)
        if self.connection_acknowledged and self.watch is None:
            self.watch = asyncio.create_task(self._watch())

    async def shutdown(self) -> None:
        if self.watch is not None:
            self.watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.watch
        await super().shutdown()

    async def _watch(self) -> None:
        context = self.context
        account_id = context.viewer.account_id
        interval = context.settings.ws_ping_seconds
        topics = (account_topic(account_id),) if account_id is not None else ()
        try:
            async with broker.subscribe(*topics) as queue:
                if topics:
                    await ensure_listening(context.db.url, broker)
                while True:
                    timeout = interval
                    if context.token_expires_at is not None:
                        timeout = min(timeout, max(0.0, context.token_expires_at - clock.now().timestamp()))
                    event: Event | None = None
                    with contextlib.suppress(TimeoutError):
                        event = await asyncio.wait_for(queue.get(), timeout)
                    if (
                        context.token_expires_at is not None
                        and clock.now().timestamp() >= context.token_expires_at
                    ):
                        await self._close(*EXPIRED)
                        return
                    if event is not None:
                        ending = revocation(event, context.token_issued_at, context.token_family)
                        if ending is not None:
                            await self._close(*ending)
                            return
                        continue
                    await self.send_message({"type": "ping"})
        except asyncio.CancelledError:
            raise
        except Exception:  # the socket went away under us: its handler shuts down on its own
            log.debug("websocket watch ended", exc_info=True)

    async def _close(self, code: int, reason: str) -> None:
        log.info("websocket closed", extra={"code": code, "reason": reason})
        with contextlib.suppress(Exception):
            await self.websocket.close(code=code, reason=reason)
