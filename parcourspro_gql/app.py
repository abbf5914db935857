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
from typing import TYPE_CHECKING, Any, cast

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from graphql import DocumentNode, GraphQLError, OperationDefinitionNode, OperationType
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.base import BaseRequestProtocol
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from parcourspro_gql.auth import passwords
from parcourspro_gql.auth.authenticate import Authentication, authenticate, authenticate_link
from parcourspro_gql.auth.cache import AccountCache
from parcourspro_gql.auth.links import document_links
from parcourspro_gql.auth.tokens import AccessTokens
from parcourspro_gql.auth.viewer import Viewer
from parcourspro_gql.config import ConfigError, Settings, load_settings
from parcourspro_gql.db import Database, connection_dropped, database_unavailable
from parcourspro_gql.documents.render import render_pdf
from parcourspro_gql.domain import documents
from parcourspro_gql.edge import (
    SERVICE_UNAVAILABLE,
    FaultMiddleware,
    Refused,
    bounded_messages,
    decode_json,
    log_unavailable,
    no_store,
    read_body,
    unavailable_response,
)
from parcourspro_gql.engine import parsing
from parcourspro_gql.engine.rows import ROW_SHORTCUT
from parcourspro_gql.events import broker
from parcourspro_gql.events.listener import ensure_listening, stop_listening
from parcourspro_gql.exports import export_routes
from parcourspro_gql.health import HealthChecks
from parcourspro_gql.live import LiveHandler, bearer_of
from parcourspro_gql.loaders import Loaders
from parcourspro_gql.logs import configure_logging, request_id_var
from parcourspro_gql.mail.dispatcher import Dispatcher
from parcourspro_gql.mail.sender import Sender, sender_from_url
from parcourspro_gql.scheduler import Scheduler
from parcourspro_gql.schema.context import Context
from parcourspro_gql.schema.schema import build_schema
from parcourspro_gql.web.caching import cache_control
from parcourspro_gql.web.cors import cors_middleware, parse_origins
from parcourspro_gql.web.documents import DocumentRefused, ManifestError, TrustedDocuments, load_manifest
from parcourspro_gql.web.negotiation import (
    GRAPHQL_RESPONSE_JSON,
    JSON,
    http_refusal,
    is_request_error,
    method_not_allowed,
    refusal,
    response_media_type,
    status_for,
    vary,
)
from parcourspro_gql.web.negotiation import PRIVATE as PRIVATE_CACHE

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


def _retry_allowed(request: Request, reads: bool) -> bool:
    """Whether a request whose database connection was dropped under it (a restart, a failover, a proxy that
    cut it) may run its step once more: a query only (never a mutation: it may have been applied), and once
    per request. The pool has been invalidated, so the second run takes a fresh connection."""
    state = request.scope.setdefault("state", {})
    if not reads or state.get("database_retried"):
        return False
    state["database_retried"] = True
    log.info("query retried after a dropped database connection")
    return True


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


# Stands for the 503 answer between process_result and create_response (compared by identity).
UNAVAILABLE_BODY: dict[str, Any] = {"errors": [{"extensions": {"code": SERVICE_UNAVAILABLE}}]}


def check_query_parameters(request: Request) -> None:
    """The JSON parameters of a GET (`variables`, `extensions`) are refused when unreadable or too deep,
    before strawberry decodes them with Python's recursive json module."""
    for name in ("variables", "extensions"):
        raw = request.query_params.get(name)
        if raw:
            decode_json(raw)


# Personal data: never kept by a shared cache (proxy, CDN) nor by the browser's disk cache.
PRIVATE = {"Cache-Control": PRIVATE_CACHE, "Pragma": "no-cache", "X-Content-Type-Options": "nosniff"}


def trusted_documents(settings: Settings) -> TrustedDocuments:
    """The trusted documents of the settings; a manifest that cannot be read stops the start-up."""
    try:
        manifest = load_manifest(settings.trusted_documents) if settings.trusted_documents else {}
    except ManifestError as error:
        raise ConfigError(f"PARCOURSPRO_TRUSTED_DOCUMENTS: {error}") from error
    return TrustedDocuments(
        manifest, only=settings.trusted_documents_only, apq_cache_bytes=settings.apq_cache_bytes
    )


class GraphQLApp(GraphQL[Context, None]):
    """strawberry's ASGI view with our context, queries over GET, JSON refusals, GraphQL-over-HTTP media types
    and status codes, and GraphiQL from our own assets. Subscriptions run over graphql-transport-ws only (see
    live.py)."""

    graphql_transport_ws_handler_class = LiveHandler

    def __init__(self, settings: Settings, db: Database, oidc: OidcVerifier | None) -> None:
        super().__init__(
            build_schema(production=settings.is_production, fast_paths=settings.fast_paths),
            graphql_ide=None if settings.is_production else "graphiql",
            # Queries only (execute_single refuses mutations over GET): public reads can be cached.
            allow_queries_via_get=True,
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
        self.documents = trusted_documents(settings)

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
        plain_json_operation) and a GET of an operation are executed by the view's own steps (context,
        execute_single, process_result, create_response), without the dispatch that serves websockets,
        multipart uploads, batches and streams, nor its second parse of the body. Anything else takes
        strawberry's whole way, and so does every GET and POST when the fast paths are off
        (PARCOURSPRO_FAST_PATHS). Either way, every refusal is JSON (web/negotiation.py), and the edge's
        refusals (body size, unreadable or too deep JSON, NUL: edge.py) hold."""
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
            response = await self._http(request)
        except HTTPException as error:
            media_type = response_media_type(request.headers.get("accept"))
            response = http_refusal(error.status_code, error.reason, media_type)
        except DocumentRefused as refused:
            media_type = response_media_type(request.headers.get("accept"))
            response = refusal(refused.status_in(media_type), refused.message, refused.code, media_type)
        except Refused as refused:
            media_type = response_media_type(request.headers.get("accept"))
            response = refusal(refused.status, refused.message, refused.code, media_type)
        self._cache_headers(request, response)
        await response(scope, receive, send)

    def _cache_headers(self, request: Request, response: Response) -> None:
        """Cache-Control (web/caching.py) from what execute_single recorded, whichever way the request took."""
        operation: GraphQLRequestData | None = getattr(request.state, "graphql_operation", None)
        response.headers["cache-control"] = cache_control(
            method=request.method,
            anonymous="authorization" not in request.headers,
            document=operation.query if operation else None,
            operation_name=operation.operation_name if operation else None,
            succeeded=response.status_code == 200 and getattr(request.state, "graphql_succeeded", False),
            public_seconds=self.settings.public_cache_seconds,
        )
        if request.method == "GET" and operation is not None:
            # A cache keeps one answer per URL: it must tell apart the media types and the callers.
            response.headers["vary"] = vary(response.headers.get("vary"), "Accept", "Authorization")

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """strawberry's execution, on the short path and on the whole way alike. A query whose database
        connection was dropped under it runs once more (see _retry_allowed); its loaders forget what failed.
        Records what _cache_headers decides from: the document run, and whether it ran without errors."""
        request.state.graphql_operation = request_data
        arguments = (request, request_adapter, sub_response, context, root_value, request_data)
        result = await super().execute_single(*arguments)
        if any(connection_dropped(error.original_error) for error in result.errors or ()) and _retry_allowed(
            request, _is_query(request_data.query or "", request_data.operation_name)
        ):
            result = await super().execute_single(*arguments)
        request.state.graphql_succeeded = not result.errors
        return result

    async def _http(self, request: Request) -> Response:
        if request.method not in ("GET", "POST"):
            return method_not_allowed(response_media_type(request.headers.get("accept")))
        # The edge's limits, whichever way the request then takes (edge.Refused): a body read only up to its
        # limit, and JSON (the body, a GET's variables and extensions) refused when unreadable or too deep.
        operation = None
        if request.method == "POST":
            operation = plain_json_operation(request, await read_body(request, self.settings.max_body_bytes))
        else:
            check_query_parameters(request)
        if not self.settings.fast_paths:
            return await self.run(request)
        if request.method == "POST":
            if operation is None:
                return await self.run(request)
            if self.documents.needed(operation.extensions):
                operation.query = self.documents.resolve(operation.query, operation.extensions, None)
            return await self._answer(request, operation)
        if self.should_render_graphql_ide(self.request_adapter_class(request)):
            return await self.run(request)
        return await self._answer(request, self._get_operation(request))

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        # A GET naming its document by an APQ hash or a documentId is an operation, not a page.
        params = request.query_params
        return super().should_render_graphql_ide(request) and not (
            params.get("extensions") or params.get("documentId")
        )

    def _get_operation(self, request: Request) -> GraphQLRequestData:
        """The operation of a GET: `query`, `operationName`, and `variables` and `extensions` as URL-encoded
        JSON (GraphQL over HTTP). Only queries run: execute_single refuses anything else over GET."""
        params = self.parse_query_params(request.query_params)
        query, variables, extensions, name = (
            params.get(key) for key in ("query", "variables", "extensions", "operationName")
        )
        if not isinstance(variables, dict | None):
            raise HTTPException(
                400, "The GraphQL operation's `variables` must be an object or null, if provided."
            )
        if not isinstance(extensions, dict | None):
            raise HTTPException(
                400, "The GraphQL operation's `extensions` must be an object or null, if provided."
            )
        return GraphQLRequestData(
            query=self.documents.resolve(query or None, extensions, params.get("documentId")),
            variables=variables or None,
            operation_name=name or None,
            extensions=extensions,
        )

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        """strawberry's whole way (a body the short way does not take: an APQ hash or a `documentId` without
        `query`, say): the document it names, through the same rules (web/documents.py)."""
        data = await super().parse_http_body(request)
        if isinstance(data, list):
            return data  # refused: batching is off
        if request.method == "GET":
            # The GET of the short way reads it in _get_operation; with the fast paths off, here.
            document_id = request.query_params.get("documentId")
        else:
            raw = self.parse_json(await request.get_body())
            document_id = raw.get("documentId") if isinstance(raw, dict) else None
        data.query = self.documents.resolve(data.query, data.extensions, document_id)
        return data

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

    async def get_sub_response(self, request: Request) -> Response:  # type: ignore[override]
        sub_response = await super().get_sub_response(request)
        # What create_response answers in: it is not handed the request.
        sub_response.media_type = response_media_type(request.headers.get("accept"))
        return sub_response

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

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        """A result that met a database unable to serve becomes edge.py's 503 body (logged in one line)."""
        for error in result.errors or ():
            if error.extensions and error.extensions.get("code") == SERVICE_UNAVAILABLE:
                original = error.original_error or error
                log_unavailable(original, database_unavailable(original) or "unknown")
                return cast(GraphQLHTTPResponse, UNAVAILABLE_BODY)
        response_data = await super().process_result(request, result)
        accepted = response_media_type(request.headers.get("accept"))
        if accepted == GRAPHQL_RESPONSE_JSON and is_request_error(result.data, result.errors):
            # GraphQL over HTTP: a request that never executed has no `data` entry (and answers 400).
            response_data.pop("data", None)
        return response_data

    def create_response(
        self, response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse], sub_response: Response
    ) -> Response:
        if response_data is UNAVAILABLE_BODY:
            return unavailable_response(self.settings.retry_after_seconds)
        media_type = sub_response.media_type or JSON
        status = 200 if isinstance(response_data, list) else status_for(response_data, media_type)
        response = Response(self.encode_json(response_data), status_code=status, media_type=media_type)
        response.headers.raw.extend(
            (name, value) for name, value in sub_response.headers.raw if name != b"content-type"
        )
        if sub_response.background:
            response.background = sub_response.background
        if sub_response.status_code:
            response.status_code = sub_response.status_code
        return response

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
        try:
            authentication = await self.authenticate(request, reads_only)
        except Exception as error:
            if not (connection_dropped(error) and _retry_allowed(request, reads_only)):
                raise
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
    passwords.configure(settings.password_hash_memory_mb, settings.password_hash_profile)
    oidc = None
    if settings.oidc_issuer:
        # Imported only when configured: most deployments never load the HTTP client it needs.
        from parcourspro_gql.auth.oidc import OidcVerifier

        oidc = OidcVerifier(settings.oidc_issuer, settings.oidc_audience)
    graphql = GraphQLApp(settings, database, oidc)

    health = HealthChecks(database, settings)

    async def live(_: Request) -> JSONResponse:
        """The process answers: nothing else is checked (a database outage must not get it restarted)."""
        return JSONResponse({"status": "ok"}, headers={"Cache-Control": "no-store"})

    async def ready(_: Request) -> JSONResponse:
        """503 while this process cannot serve: database unreachable or not writable, or disk full."""
        readiness = await health.readiness()
        headers = {"Cache-Control": "no-store"}
        if not readiness.ready:
            headers["Retry-After"] = str(settings.retry_after_seconds)
        return JSONResponse(readiness.body(), status_code=200 if readiness.ready else 503, headers=headers)

    links = document_links(settings)

    async def document(request: Request) -> Response:
        """D5: the PDF for the people concerned; 404 for anyone else, whether the document exists or not. The
        caller is the viewer of a signed link (`?link=`, Document.url), or else of the bearer header."""
        token = request.path_params["token"]
        link = request.query_params.get("link")
        if link is not None:
            claims = links.check(token, link)
            client = request.client.host if request.client else "unknown"
            authentication = (
                await authenticate_link(database, claims.account_id, claims.issued_at, client)
                if claims is not None
                else Authentication(Viewer.anonymous(client), rejected=True)
            )
        else:
            authentication = await graphql.authenticate(request)
        ref = documents.DocumentRef.parse(token)
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
            await health.dispose()
            if db is None:
                await database.dispose()

    registrations_csv, registrations_xlsx = export_routes(database, graphql.authenticate)
    routes: list[Any] = [
        # Every method reaches the view, which refuses those it does not serve in JSON (405 with Allow).
        Route("/graphql", graphql),
        WebSocketRoute("/graphql", graphql),
        Route("/health", ready, methods=["GET"]),
        Route("/health/live", live, methods=["GET"]),
        Route("/health/ready", ready, methods=["GET"]),
        Route("/documents/{token}", document, methods=["GET"]),
        Route("/exports/registrations.csv", registrations_csv, methods=["GET"]),
        Route("/exports/registrations.xlsx", registrations_xlsx, methods=["GET"]),
    ]
    if not settings.is_production:
        routes.append(Mount("/static", StaticFiles(packages=[("parcourspro_gql", "static")]), name="static"))
    middleware = [cors] if (cors := cors_middleware(parse_origins(settings.cors_origins))) else []
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.settings = settings
    app.state.db = database
    # Added first, so it runs inside RequestIdMiddleware: its answers carry the request id.
    app.add_middleware(FaultMiddleware, retry_after=settings.retry_after_seconds)
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
            configure_logging(settings.log_level, settings.log_tracebacks_per_minute)
            _app = create_app(settings)
        return _app
    raise AttributeError(name)
