"""The Starlette application: /graphql (+ self-hosted GraphiQL in development), /health, static assets."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

import orjson
from cross_web import HTTPException
from graphql import DocumentNode, GraphQLError, OperationDefinitionNode, OperationType
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLRequestData
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UNSET, UnsetType
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from parcourspro_gql.auth.authenticate import Authentication, authenticate
from parcourspro_gql.auth.cache import AccountCache
from parcourspro_gql.auth.tokens import AccessTokens
from parcourspro_gql.config import Settings, load_settings
from parcourspro_gql.db import Database
from parcourspro_gql.documents.render import render_pdf
from parcourspro_gql.domain import documents
from parcourspro_gql.edge import Refused, bounded_messages, decode_json, no_store, read_body
from parcourspro_gql.engine import parsing
from parcourspro_gql.engine.rows import ROW_SHORTCUT
from parcourspro_gql.events import broker
from parcourspro_gql.events.listener import ensure_listening, stop_listening
from parcourspro_gql.exports import export_routes
from parcourspro_gql.live import LiveHandler, bearer_of
from parcourspro_gql.loaders import Loaders
from parcourspro_gql.logs import configure_logging, request_id_var
from parcourspro_gql.mail.dispatcher import Dispatcher
from parcourspro_gql.mail.sender import Sender, sender_from_url
from parcourspro_gql.scheduler import Scheduler
from parcourspro_gql.schema.context import Context
from parcourspro_gql.schema.schema import build_schema

if TYPE_CHECKING:
    from parcourspro_gql.auth.oidc import OidcVerifier

log = logging.getLogger("parcourspro_gql.app")
access_log = logging.getLogger("parcourspro_gql.access")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


@cache
def graphiql_html() -> str:
    return resources.files("parcourspro_gql").joinpath("static/graphiql/graphiql.html").read_text("utf-8")


class RequestIdMiddleware:
    """Gives each HTTP request an id (the caller's X-Request-ID when sane), in logs and in the response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            access_log.info(
                "%s %s %s",
                scope["method"],
                scope["path"],
                status,
                extra={"status": status, "duration_ms": round((time.perf_counter() - started) * 1000, 2)},
            )
            request_id_var.reset(token)


def _is_query(document: str, operation_name: str | None) -> bool:
    """True when the operation that a request runs is a query (not a mutation, nor a document that fails);
    derived once per document in the parse cache (bounded in bytes)."""
    try:
        operations = parsing.documents.derived(document, "operation types", _operation_types)
    except GraphQLError:
        return False
    return operations.get(operation_name) is OperationType.QUERY


def _operation_types(document: DocumentNode) -> dict[str | None, OperationType]:
    """Each operation's type by name, and by None when the document holds exactly one operation."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    types: dict[str | None, OperationType] = {
        operation.name.value: operation.operation for operation in operations if operation.name
    }
    if len(operations) == 1:
        types[None] = operations[0].operation
    return types


def plain_json_operation(request: Request, body: bytes) -> GraphQLRequestData | None:
    """The operation of a POST whose body is one JSON object with a string `query` (and, if any, an object of
    `variables`, an object of `extensions` and a string `operationName`), sent as `application/json` by a
    client that accepts a plain JSON answer: what every client of the API sends. None for anything else.
    A JSON body that cannot be read, or that nests too deep, is refused here (edge.Refused), whichever way
    it would have taken."""
    media_type = request.headers.get("content-type", "").partition(";")[0].strip()
    if media_type != "application/json":
        return None
    data = decode_json(body)
    accept = request.headers.get("accept", "")
    if "multipart/mixed" in accept or "text/event-stream" in accept or not isinstance(data, dict):
        return None
    query, variables, extensions, name = (
        data.get(key) for key in ("query", "variables", "extensions", "operationName")
    )
    if not (
        isinstance(query, str)
        and isinstance(variables, dict | None)
        and isinstance(extensions, dict | None)
        and isinstance(name, str | None)
    ):
        return None
    return GraphQLRequestData(query=query, variables=variables, operation_name=name, extensions=extensions)


def check_query_parameters(request: Request) -> None:
    """The JSON parameters of a GET (`variables`, `extensions`) are refused when unreadable or too deep,
    before strawberry decodes them with Python's recursive json module."""
    for name in ("variables", "extensions"):
        raw = request.query_params.get(name)
        if raw:
            decode_json(raw)


# Personal data: never kept by a shared cache (proxy, CDN) nor by the browser's disk cache.
PRIVATE = {"Cache-Control": "private, no-store", "Pragma": "no-cache", "X-Content-Type-Options": "nosniff"}


class GraphQLApp(GraphQL[Context, None]):
    """strawberry's ASGI view with our context, no queries over GET, and GraphiQL from our own assets.
    Subscriptions run over graphql-transport-ws only (see live.py)."""

    graphql_transport_ws_handler_class = LiveHandler

    def __init__(self, settings: Settings, db: Database, oidc: OidcVerifier | None) -> None:
        super().__init__(
            build_schema(production=settings.is_production, fast_paths=settings.fast_paths),
            graphql_ide=None if settings.is_production else "graphiql",
            allow_queries_via_get=False,
            # The legacy graphql-ws protocol (subscriptions-transport-ws) is unmaintained: one protocol, whose
            # ping/pong our keep-alive uses.
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            # A client that never says connection_init holds a socket for nothing.
            connection_init_wait_timeout=timedelta(seconds=10),
            max_subscriptions_per_connection=20,
        )
        self.settings = settings
        self.db = db
        self.tokens = AccessTokens(settings)
        self.oidc = oidc
        self.accounts = AccountCache(settings.auth_cache_seconds)

    def encode_json(self, data: object) -> bytes:
        # orjson: several times faster than json.dumps on a page of a hundred nested objects.
        return orjson.dumps(data)

    async def render_graphql_ide(self, request: Request) -> Response:
        return HTMLResponse(graphiql_html())

    async def authenticate(self, request: Request, reads_only: bool = False) -> Authentication:
        """Who sends `request`: its bearer token (ours or the OpenID provider's), checked against the account
        (as read at most `auth_cache_seconds` ago when the request only `reads`)."""
        client = request.client.host if request.client else "unknown"
        return await authenticate(
            self.db,
            self.tokens,
            request.headers.get("authorization"),
            client,
            self.oidc,
            cache=self.accounts if reads_only else None,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """strawberry's ASGI entry, with a short way for the requests of every client: a plain JSON POST (see
        plain_json_operation) is executed by the view's own steps (context, execute_single, process_result,
        create_response), without the dispatch that serves websockets, GET, multipart uploads, batches and
        streams, nor its second parse of the body. Anything else takes strawberry's whole way, and so does
        everything when the fast paths are off (PARCOURSPRO_FAST_PATHS). The edge's refusals (body size,
        unreadable or too deep JSON, NUL) and its no-store header hold either way."""
        shortcut = ROW_SHORTCUT.set(self.settings.fast_paths)
        try:
            await self._dispatch(scope, receive, send)
        finally:
            ROW_SHORTCUT.reset(shortcut)

    async def _dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            receive = bounded_messages(receive, send, self.settings.max_body_bytes)
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        send = no_store(send)
        request = Request(scope=scope, receive=receive)
        try:
            if scope["method"] != "POST":
                check_query_parameters(request)
                await super().__call__(scope, receive, send)
                return
            operation = plain_json_operation(request, await read_body(request, self.settings.max_body_bytes))
            if operation is None or not self.settings.fast_paths:
                response = await self.run(request)
            else:
                response = await self._answer(request, operation)
        except HTTPException as error:
            response = PlainTextResponse(error.reason, status_code=error.status_code)
        except Refused as refusal:
            response = refusal.response()
        await response(scope, receive, send)

    async def _answer(self, request: Request, operation: GraphQLRequestData) -> Response:
        sub_response = await self.get_sub_response(request)
        context = await self._context(
            request, sub_response, _is_query(operation.query or "", operation.operation_name)
        )
        result = await self.execute_single(
            request=request,
            request_adapter=self.request_adapter_class(request),
            sub_response=sub_response,
            context=context,
            root_value=None,
            request_data=operation,
        )
        response_data = await self.process_result(request=request, result=result)
        if result.errors:
            self._handle_errors(result.errors, response_data)
        return self.create_response(response_data=response_data, sub_response=sub_response)

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """graphql-transport-ws's connection_init: its payload's `Authorization` authenticates the socket (a
        browser cannot set headers on a websocket). No token: a visitor (public subscriptions only); a token
        that is not valid (expired, revoked, forged, disabled account): the socket is closed with 4403."""
        # Before the ack: once a client holds it, this process listens, and what it subscribes to is live.
        await ensure_listening(self.db.url, broker)
        authorization = bearer_of(context.connection_params)
        if authorization is None:
            return UNSET
        request = context.request
        client = request.client.host if request.client else "unknown"
        authentication = await authenticate(self.db, self.tokens, authorization, client, self.oidc)
        if authentication.account is None:
            raise ConnectionRejectionError()
        context.viewer = authentication.viewer
        context.account = authentication.account
        context.auth_rejected = context.token_expired = False
        context.token_issued_at, context.token_expires_at, context.token_family = (
            authentication.issued_at,
            authentication.expires_at,
            authentication.family_id,
        )
        context.renew_loaders()
        return UNSET

    async def get_context(self, request: Request, response: Response) -> Context:  # type: ignore[override]
        # strawberry's whole way serves everything but plain JSON operations (GET, forms, uploads, batches,
        # streams, websockets): none of them is served from the account cache. With the fast paths off it
        # serves plain JSON operations too, which keep their cache as on the short path (the same requests
        # see the same accounts either way; the body was read already and Starlette keeps it).
        reads_only = False
        if (
            not self.settings.fast_paths
            and request.scope.get("method") == "POST"
            and request.headers.get("content-type", "").startswith("application/json")
        ):
            operation = plain_json_operation(request, await request.body())
            reads_only = operation is not None and _is_query(operation.query or "", operation.operation_name)
        return await self._context(request, response, reads_only=reads_only)

    async def _context(self, request: Request, response: Response, reads_only: bool) -> Context:
        authentication = await self.authenticate(request, reads_only)
        loaders = Loaders(self.db)
        if authentication.account is not None:
            loaders.prime("account_by_id", authentication.account.id, authentication.account)
            loaders.prime(
                "roles_by_account_id", authentication.account.id, list(authentication.granted_roles)
            )
        return Context(
            request=request,
            response=response,
            settings=self.settings,
            db=self.db,
            viewer=authentication.viewer,
            loaders=loaders,
            request_id=request.scope.get("state", {}).get("request_id") or uuid.uuid4().hex,
            tokens=self.tokens,
            auth_rejected=authentication.rejected,
            account=authentication.account,
            token_expired=authentication.expired,
            token_issued_at=authentication.issued_at,
            token_expires_at=authentication.expires_at,
        )


def settle_garbage_collector() -> None:
    """Once the application is built: what exists now (schema, mappers, compiled SQL) lives as long as the
    process, so the collector stops walking it (gc.freeze), and it runs on every 10,000 net allocations rather
    than 700. A page of 100 registrations allocates some 50,000 objects: the default thresholds made a full
    collection over the whole heap every few requests, 2 ms a request on average and 100 ms pauses at p99."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


def create_app(
    settings: Settings | None = None,
    *,
    db: Database | None = None,
    mail_sender: Sender | None = None,
) -> Starlette:
    """The ASGI application. `db` and `mail_sender` default to what `settings` name."""
    settings = settings or load_settings()
    database = db or Database.from_url(settings.database_url, settings)
    oidc = None
    if settings.oidc_issuer:
        # Imported only when configured: most deployments never load the HTTP client it needs.
        from parcourspro_gql.auth.oidc import OidcVerifier

        oidc = OidcVerifier(settings.oidc_issuer, settings.oidc_audience)
    graphql = GraphQLApp(settings, database, oidc)

    async def health(_: Request) -> JSONResponse:
        try:
            async with database.read() as session:
                await session.execute(text("SELECT 1"))
        except Exception as error:
            log.warning("health check failed", extra={"error": repr(error)})
            return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
        return JSONResponse({"status": "ok", "database": "ok", "dialect": database.dialect})

    async def document(request: Request) -> Response:
        """D5: the PDF for the people concerned; 404 for anyone else, whether the document exists or not."""
        authentication = await graphql.authenticate(request)
        ref = documents.DocumentRef.parse(request.path_params["token"])
        found = None
        if ref is not None and authentication.account is not None:
            async with database.read() as session:
                found = await documents.load(session, authentication.viewer, ref)
        if found is None:
            return PlainTextResponse("Document introuvable.", status_code=404, headers=PRIVATE)
        pdf = found.content or await render_pdf(found.template, found.context)
        return Response(
            pdf,
            media_type="application/pdf",
            headers={**PRIVATE, "Content-Disposition": f'attachment; filename="{found.file_name}"'},
        )

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        settle_garbage_collector()
        stop = asyncio.Event()
        tasks: list[asyncio.Task[Any]] = []
        if settings.mail_dispatch:
            dispatcher = Dispatcher.from_settings(
                database, mail_sender or sender_from_url(settings.mail_url), settings
            )
            # The scheduler's loop runs beside the outbox's (DESIGN.md: in `serve` unless --no-mail-dispatch).
            scheduler = Scheduler(database, lease=timedelta(seconds=settings.scheduler_lease_seconds))
            tasks = [
                asyncio.create_task(dispatcher.run_forever(stop)),
                asyncio.create_task(scheduler.run_forever(stop, settings.scheduler_interval_seconds)),
            ]
        app.state.background = tasks
        try:
            yield
        finally:
            stop.set()
            for task in tasks:
                await task
            await stop_listening(database.url)
            if oidc is not None:
                await oidc.aclose()
            if db is None:
                await database.dispose()

    registrations_csv, registrations_xlsx = export_routes(database, graphql.authenticate)
    routes: list[Any] = [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
        Route("/health", health, methods=["GET"]),
        Route("/documents/{token}", document, methods=["GET"]),
        Route("/exports/registrations.csv", registrations_csv, methods=["GET"]),
        Route("/exports/registrations.xlsx", registrations_xlsx, methods=["GET"]),
    ]
    if not settings.is_production:
        routes.append(Mount("/static", StaticFiles(packages=[("parcourspro_gql", "static")]), name="static"))
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.settings = settings
    app.state.db = database
    app.add_middleware(RequestIdMiddleware)
    if settings.trusted_proxies:
        # X4: client addresses (login throttling, sign-up limits, logs) come from X-Forwarded-For only when
        # the peer is one of these proxies; uvicorn's own middleware, with its forwarded_allow_ips syntax.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    return app


_app: Starlette | None = None


def __getattr__(name: str) -> Any:
    # `parcourspro_gql.app:app` for uvicorn, built on first access so that importing this module reads no
    # environment and opens nothing.
    global _app
    if name == "app":
        if _app is None:
            settings = load_settings()
            configure_logging(settings.log_level)
            _app = create_app(settings)
        return _app
    raise AttributeError(name)
