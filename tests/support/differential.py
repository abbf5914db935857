"""The differential harness: every GraphQL read the tests send is answered by the app under test and by a
twin app on the same database with the engine's fast paths off (plain strawberry and graphql-core), and the
two answers must be the same bytes: status, content type, data, errors with their messages, locations and
paths, extensions. The app under test answers the test; the twin answers second, so that nothing the test
sees changes. Both answer at one instant: unless the test froze the application's clock, it is frozen for
the pair, so that what an answer derives from the time (a signed document link's `iat`) is the same input to
both sides.

Only what cannot write is sent twice: a query, or a request refused before anything runs (a body that is
not JSON, a document that does not parse, no such operation). A mutation, a batch, an upload reaches the
app under test alone: sending it twice would apply it twice. Mutations are checked by the suite's other
pass, run with the fast paths off, whose assertions are the same; the reads that follow them here are
compared. A read during which a write ran or was under way (a test racing requests) is not compared: the
database may rightly have changed between the two answers.
"""

from __future__ import annotations

import contextlib
import difflib
import json
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from urllib.parse import parse_qs

from graphql import GraphQLError, OperationType, get_operation_ast, parse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from parcourspro_gql.clock import clock

# True while the twin answers: what observes the database or the logs for the test (the statement counter)
# leaves its work out. A context variable: SQLAlchemy's greenlets run in the caller's context.
TWIN_RUNNING: ContextVar[bool] = ContextVar("differential_twin_running", default=False)


class DifferentialMismatch(AssertionError):
    """The app under test and the twin without fast paths answered differently."""


class Differential:
    """ASGI middleware in front of the app under test: see the module's docstring."""

    def __init__(self, app: ASGIApp, twin: ASGIApp) -> None:
        self.app = app
        self.twin = twin
        self.compared = 0
        self.raced = 0
        self.writes_started = 0
        self.writes_running = 0
        # Pairs in flight, and the instant this harness froze the clock at (None: the test's own clock).
        self._pairs = 0
        self._pinned: object = None

    @contextlib.contextmanager
    def _one_instant(self) -> Iterator[None]:
        """The clock frozen while pairs are in flight, unless the test froze it (then it is left alone)."""
        if self._pairs == 0 and not clock.frozen:
            clock.freeze(clock.now())
            self._pinned = clock.now()
        self._pairs += 1
        try:
            yield
        finally:
            self._pairs -= 1
            # Unfrozen only if still at the instant pinned here: a test that moved it keeps its own.
            if self._pairs == 0 and self._pinned is not None:
                if clock.frozen and clock.now() == self._pinned:
                    clock.unfreeze()
                self._pinned = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/graphql" or scope["method"] not in {"GET", "POST"}:
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        if not _reads_only(scope, body):
            self.writes_started += 1
            self.writes_running += 1
            try:
                await _forward(self.app, scope, body, send)
            finally:
                self.writes_running -= 1
            return
        writes_before, running_before = self.writes_started, self.writes_running
        # The same request id on both sides: it is part of an internal error's answer.
        headers = [(name, value) for name, value in scope["headers"] if name != b"x-request-id"]
        request_id = dict(scope["headers"]).get(b"x-request-id") or uuid.uuid4().hex.encode()
        scope = {**scope, "headers": [*headers, (b"x-request-id", request_id)]}
        with self._one_instant():
            answer = await _collect(self.app, scope, body)
            token = TWIN_RUNNING.set(True)
            try:
                twin = await _collect(self.twin, scope, body)
            finally:
                TWIN_RUNNING.reset(token)
        if running_before or self.writes_running or self.writes_started != writes_before:
            self.raced += 1
        else:
            self.compared += 1
            _compare(body, answer, twin)
        for message in answer:
            await send(message)


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def _forward(app: ASGIApp, scope: Scope, body: bytes, send: Send) -> None:
    await app(scope, _replay(body), send)


async def _collect(app: ASGIApp, scope: Scope, body: bytes) -> list[Message]:
    messages: list[Message] = []

    async def send(message: Message) -> None:
        messages.append(message)

    await app(scope, _replay(body), send)
    return messages


def _reads_only(scope: Scope, body: bytes) -> bool:
    """True when running the request twice cannot write anything (see the module's docstring)."""
    if scope["method"] == "GET":
        arguments = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        query, name = arguments.get("query", [None])[0], arguments.get("operationName", [None])[0]
    else:
        media_type = dict(scope["headers"]).get(b"content-type", b"").split(b";")[0].strip()
        if media_type != b"application/json":
            return False
        try:
            data = json.loads(body)
        except ValueError:
            return True  # refused before anything runs
        if not isinstance(data, dict):
            return False  # a batch: its operations would each need the same check
        query, name = data.get("query"), data.get("operationName")
    if not isinstance(query, str) or not isinstance(name, str | None):
        return True  # refused before anything runs
    try:
        operation = get_operation_ast(parse(query), name)
    except GraphQLError:
        return True
    return operation is None or operation.operation is OperationType.QUERY


def _headers(messages: list[Message]) -> tuple[int, str]:
    start = next(message for message in messages if message["type"] == "http.response.start")
    headers = dict(start.get("headers", []))
    return start["status"], headers.get(b"content-type", b"").decode("latin-1")


def _body(messages: list[Message]) -> bytes:
    return b"".join(
        message.get("body", b"") for message in messages if message["type"] == "http.response.body"
    )


def _compare(request: bytes, answer: list[Message], twin: list[Message]) -> None:
    expected, got = (_headers(answer), _body(answer)), (_headers(twin), _body(twin))
    if expected == got:
        return
    raise DifferentialMismatch(
        "the fast paths and plain strawberry answered differently\n"
        f"request: {request.decode('utf-8', 'replace')[:2000]}\n"
        f"status and content type: fast {expected[0]}, plain {got[0]}\n" + _diff(expected[1], got[1])
    )


def _diff(fast: bytes, plain: bytes) -> str:
    def lines(raw: bytes) -> list[str]:
        try:
            return json.dumps(json.loads(raw), indent=1, ensure_ascii=False).splitlines()
        except ValueError:
            return raw.decode("utf-8", "replace").splitlines()

    changed = difflib.unified_diff(lines(fast), lines(plain), "fast paths on", "fast paths off", lineterm="")
    return "\n".join(list(changed)[:200]) or f"same JSON, other bytes (key order?):\n{fast!r}\n{plain!r}"
