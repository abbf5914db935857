"""The HTTP edge: what is answered outside the GraphQL error path.

Refusals before any GraphQL work (issue 14, X1, X3): bodies over the size limit (413), bodies that are not
readable JSON or that nest deeper than anything the schema accepts (400), each with a JSON answer; the same
limits on the messages of a subscription websocket (closed with 1009 or 4400); and the no-store header of
every /graphql answer (X5). Refused, read_body, decode_json, bounded_messages, no_store and their helpers.

Failures (issue 20): a database that cannot serve (down, unreachable, frozen past a time limit, read-only,
full) is "retry later", never a bug: 503 with `Retry-After` and a GraphQL-shaped JSON body whose first error
has the code SERVICE_UNAVAILABLE and the request id, logged as one warning line without a trace. Anything else
that escapes a route is a 500 with the same JSON shape, the request id in the body and in `X-Request-ID`
(added by RequestIdMiddleware, which wraps FaultMiddleware), and its trace logged under that id.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import orjson
from starlette.requests import Request
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


# The deepest JSON a client needs: the schema's input objects nest a few levels; lists of them one more.
# orjson itself refuses past 1,024 levels; Python's json (strawberry's other ways) recurses until it crashes.
MAX_JSON_DEPTH = 32

# Personal data: never kept by a shared cache (proxy, CDN) nor by the browser's disk cache.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache", "X-Content-Type-Options": "nosniff"}


class Refused(Exception):
    """A request the edge answers itself: `status`, a French message and a code, as a GraphQL error."""

    def __init__(self, status: int, message: str, code: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code

    def response(self) -> JSONResponse:
        return JSONResponse(
            {"errors": [{"message": self.message, "extensions": {"code": self.code}}]},
            status_code=self.status,
            headers=NO_STORE,
        )


def _too_large(limit: int) -> Refused:
    return Refused(413, f"Requête trop volumineuse : {limit} octets au plus.", "PAYLOAD_TOO_LARGE")


async def read_body(request: Request, limit: int) -> bytes:
    """The body of `request`, read only up to `limit` bytes: a larger declared Content-Length is refused
    before anything is read, and a body that streams past the limit (chunked, or a lying length) is refused
    as soon as it does. The body is left on the request, where Starlette (and strawberry) find it."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    body = b"".join(chunks)
    request._body = body  # Starlette's own cache of the body: request.body() returns it.
    return body


# A NUL character, or a GraphQL escape that makes one in a string literal of the document: PostgreSQL stores
# no NUL in text, and the driver's refusal would be an internal error (X3).
_NUL = re.compile(r"\x00|\\u(?:0000|\{0+\})", re.IGNORECASE)


def _check(value: Any) -> None:
    """Refuses decoded JSON nested deeper than MAX_JSON_DEPTH or holding a NUL character; walked without
    recursion, each node once, and no deeper than the limit."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if _NUL.search(item):
                # A value refused, as validation refuses one: a 200 with the error (GraphQL over HTTP's
                # application/json), where an unreadable body is a 400.
                raise Refused(200, "Caractère nul refusé dans la requête.", "INVALID_INPUT")
            continue
        if isinstance(item, dict):
            item = list(item.values())
        elif not isinstance(item, list):
            continue
        if depth > MAX_JSON_DEPTH:
            raise _too_deep()
        stack.extend((child, depth + 1) for child in item)


def _too_deep() -> Refused:
    return Refused(400, f"Données trop imbriquées : {MAX_JSON_DEPTH} niveaux au plus.", "INVALID_INPUT")


def decode_json(raw: bytes | str) -> Any:
    """A JSON document of a request (its body, or a parameter of a GET), refused when unreadable or too
    deep."""
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        if str(error).startswith("depth limit exceeded"):  # orjson's own limit (1,024 levels)
            raise _too_deep() from error
        # The message and code of web/negotiation.py's other malformed requests.
        raise Refused(400, "Corps de requête illisible : JSON attendu.", "BAD_REQUEST") from error
    _check(value)
    return value


def no_store(send: Send) -> Send:
    """`send` with NO_STORE's headers added to the answer, unless it sets its own Cache-Control."""

    async def send_no_store(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = message.setdefault("headers", [])
            present = {name.lower() for name, _ in headers}
            for name, value in NO_STORE.items():
                if name.lower().encode() not in present:
                    headers.append((name.lower().encode(), value.encode()))
        await send(message)

    return send_no_store


# graphql-transport-ws's close codes: a message too large (RFC 6455), an invalid message (the protocol's own).
MESSAGE_TOO_BIG = 1009
INVALID_MESSAGE = 4400


def bounded_messages(receive: Receive, send: Send, limit: int) -> Receive:
    """`receive` of a websocket whose messages are held to the body's limits: a message over `limit` bytes,
    or whose JSON is unreadable, too deep or holds a NUL, closes the socket (1009, 4400) before strawberry
    decodes it with Python's recursive json module or parses its document. `serve` also gives uvicorn the
    same size limit (ws_max_size), so that such a message is not even read whole there."""

    async def receive_bounded() -> Message:
        message = await receive()
        if message["type"] != "websocket.receive":
            return message
        raw: str | bytes = message.get("text") or message.get("bytes") or b""
        # A character is one byte at least: a text of more than `limit` characters is over the limit.
        if len(raw) > limit or (isinstance(raw, str) and len(raw.encode()) > limit):
            code, reason = MESSAGE_TOO_BIG, f"Message trop volumineux : {limit} octets au plus."
        else:
            try:
                decode_json(raw)
                return message
            except Refused as refusal:
                code, reason = INVALID_MESSAGE, refusal.message
        await send({"type": "websocket.close", "code": code, "reason": reason})
        return {"type": "websocket.disconnect", "code": code}

    return receive_bounded
