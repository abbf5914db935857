"""What the HTTP edge refuses before any GraphQL work (X1, X3): bodies over the size limit (413), bodies that
are not readable JSON or that nest deeper than anything the schema accepts (400), each with a JSON answer;
the same limits on the messages of a subscription websocket (closed with 1009 or 4400); and the no-store
header of every /graphql answer (X5).

Issue 14's part of this module: Refused, read_body, decode_json, bounded_messages, no_store and their
helpers. Other parts (issue 20: 503 and 500 answers at the edge) stand apart from them."""

from __future__ import annotations

import re
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import Message, Receive, Send

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
            raise Refused(
                400,
                f"Données trop imbriquées : {MAX_JSON_DEPTH} niveaux au plus.",
                "INVALID_INPUT",
            )
        stack.extend((child, depth + 1) for child in item)


def decode_json(raw: bytes | str) -> Any:
    """A JSON document of a request (its body, or a parameter of a GET), refused when unreadable or too
    deep."""
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise Refused(
            400, "Corps de requête illisible : un objet JSON est attendu.", "INVALID_INPUT"
        ) from error
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
