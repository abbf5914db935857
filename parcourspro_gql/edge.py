"""What the HTTP edge answers when something fails outside the GraphQL error path.

A database that cannot serve (down, unreachable, frozen past a time limit, read-only, full) is "retry
later", never a bug: 503 with `Retry-After` and a GraphQL-shaped JSON body whose first error has the code
SERVICE_UNAVAILABLE and the request id, logged as one warning line without a trace. Anything else that
escapes a route is a 500 with the same JSON shape, the request id in the body and in `X-Request-ID` (added by
RequestIdMiddleware, which wraps this one), and its trace logged under that id.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from parcourspro_gql.db import database_unavailable
from parcourspro_gql.logs import request_id_var

log = logging.getLogger("parcourspro_gql.edge")

SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
UNAVAILABLE_MESSAGE = "Service momentanément indisponible : réessayez dans quelques instants."
INTERNAL_MESSAGE = "Erreur interne"


def _body(message: str, code: str, request_id: str | None) -> dict[str, Any]:
    return {
        "data": None,
        "errors": [{"message": message, "extensions": {"code": code, "requestId": request_id}}],
    }


def unavailable_response(retry_after: int) -> JSONResponse:
    """503 for the current request: the database cannot serve now; the client should retry."""
    return JSONResponse(
        _body(UNAVAILABLE_MESSAGE, SERVICE_UNAVAILABLE, request_id_var.get()),
        status_code=503,
        headers={"Retry-After": str(retry_after), "Cache-Control": "no-store"},
    )


def internal_error_response() -> JSONResponse:
    """500 for the current request, with its id: the trace is in the logs under that id."""
    return JSONResponse(
        _body(INTERNAL_MESSAGE, "INTERNAL_SERVER_ERROR", request_id_var.get()),
        status_code=500,
        headers={"Cache-Control": "no-store"},
    )


def short_reason(error: BaseException) -> str:
    """The driver's own message, without SQLAlchemy's SQL text and parameters (which may hold personal data)."""
    root: BaseException = getattr(error, "orig", None) or error
    return f"{type(root).__name__}: {str(root).splitlines()[0] if str(root) else ''}"[:300]


def log_unavailable(error: BaseException, kind: str) -> None:
    """The one line a request that met an unavailable database leaves in the logs."""
    log.warning("database unavailable", extra={"reason": kind, "error": short_reason(error)})


class FaultMiddleware:
    """Answers an exception that escapes a route (authentication reading the account, a document download)
    as the JSON 503 or 500 above, instead of Starlette's plain-text 500 without request id."""

    def __init__(self, app: ASGIApp, retry_after: int = 5) -> None:
        self.app = app
        self.retry_after = retry_after

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception as error:
            kind = database_unavailable(error)
            if kind is not None:
                log_unavailable(error, kind)
            else:
                log.error("unexpected error", exc_info=error)
            if started:  # too late for another answer: the server closes the connection
                raise
            response = unavailable_response(self.retry_after) if kind else internal_error_response()
            await response(scope, receive, send)
