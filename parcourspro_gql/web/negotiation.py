"""GraphQL over HTTP: which media type an answer takes, its status code, and the JSON form of a refusal.

A client that accepts `application/graphql-response+json` (the GraphQL-over-HTTP media type) gets it, with
its status codes: a request that fails before execution (a document that does not parse or validate,
variables that do not coerce) answers 400 without a `data` entry. Every other client gets
`application/json`, where such a request answers 200 with `errors`, as before. A refusal of the HTTP layer
(unreadable body, unknown operation, batch, mutation over GET...) is JSON in either case:
`{"errors": [{"message": ..., "extensions": {"code": ...}}]}`, which Apollo, urql and GraphiQL read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from starlette.responses import Response

JSON = "application/json"
GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"

# Personal data: never kept by a shared cache (proxy, CDN) nor by the browser's disk cache.
PRIVATE = "private, no-store"


def _weights(accept: str) -> dict[str, float]:
    """Media range -> q of an Accept header (RFC 9110 §12.5.1); a malformed q counts as 0."""
    weights: dict[str, float] = {}
    for item in accept.split(","):
        media_range, *parameters = (part.strip() for part in item.split(";"))
        if not media_range:
            continue
        q = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        weights[media_range.lower()] = max(q, weights.get(media_range.lower(), 0.0))
    return weights


def response_media_type(accept: str | None) -> str:
    """`application/graphql-response+json` when the client names it and does not prefer `application/json`;
    `application/json` otherwise (no Accept, `*/*`, or only types we do not serve: the legacy default)."""
    if not accept or GRAPHQL_RESPONSE_JSON not in accept.lower():
        return JSON
    weights = _weights(accept)
    preferred = weights.get(GRAPHQL_RESPONSE_JSON, 0.0)
    if preferred > 0 and preferred >= weights.get(JSON, 0.0):
        return GRAPHQL_RESPONSE_JSON
    return JSON


def is_request_error(data: Any, errors: Sequence[Any] | None) -> bool:
    """True for the result of a request that never executed: no data and only errors without a path
    (syntax, validation, variable coercion). An execution that nulls its root has errors with a path."""
    return (
        data is None and bool(errors) and all(getattr(error, "path", None) is None for error in errors or ())
    )


def status_for(response_data: Mapping[str, Any], media_type: str) -> int:
    """200, except `application/graphql-response+json` without `data` (a request error): 400."""
    if media_type == GRAPHQL_RESPONSE_JSON and "data" not in response_data:
        return 400
    return 200


def refusal(
    status: int,
    message: str,
    code: str,
    media_type: str = JSON,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """A refusal of the HTTP layer as a GraphQL response without data: `errors` with a French message and a
    stable `extensions.code`."""
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    return Response(
        orjson.dumps(body),
        status_code=status,
        media_type=media_type,
        headers={"Cache-Control": PRIVATE, **(headers or {})},
    )


# strawberry's reasons for the refusals it raises (cross_web.HTTPException), with the status, code and French
# message we answer instead of its plain text. Unknown reasons keep their text and get BAD_REQUEST.
_KNOWN: tuple[tuple[str, int, str, str], ...] = (
    (
        "Unable to parse request body as JSON",
        400,
        "BAD_REQUEST",
        "Corps de requête illisible : JSON attendu.",
    ),
    (
        "No GraphQL query found in the request",
        400,
        "BAD_REQUEST",
        "Aucune opération dans la requête : envoyez `query` (ou un document de confiance).",
    ),
    (
        "The GraphQL operation's `query` must be",
        400,
        "BAD_REQUEST",
        "`query` doit être une chaîne de caractères.",
    ),
    (
        "The GraphQL operation's `variables` must be",
        400,
        "BAD_REQUEST",
        "`variables` doit être un objet JSON.",
    ),
    (
        "The GraphQL operation's `extensions` must be",
        400,
        "BAD_REQUEST",
        "`extensions` doit être un objet JSON.",
    ),
    (
        "Can't get GraphQL operation type",
        400,
        "BAD_REQUEST",
        "Le document contient plusieurs opérations (ou aucune) : indiquez `operationName`.",
    ),
    (
        "Batching is not enabled",
        400,
        "BAD_REQUEST",
        "Les requêtes groupées ne sont pas acceptées : envoyez une opération par requête.",
    ),
    (
        "Unsupported content type",
        400,
        "BAD_REQUEST",
        "Type de contenu non pris en charge : envoyez `application/json`.",
    ),
    (
        "mutations are not allowed when using GET",
        405,
        "METHOD_NOT_ALLOWED",
        "Une mutation s'envoie en POST, jamais en GET.",
    ),
    (
        "subscriptions are not allowed when using",
        400,
        "BAD_REQUEST",
        "Les abonnements passent par le WebSocket (graphql-transport-ws).",
    ),
    ("Not Found", 404, "NOT_FOUND", "Introuvable."),
)


def http_refusal(status: int, reason: str, media_type: str) -> Response:
    """The JSON refusal for one of strawberry's HTTP exceptions."""
    if reason.startswith("Unknown operation named "):
        name = reason.removeprefix("Unknown operation named ").rstrip(".")
        return refusal(400, f"Opération inconnue dans le document : {name}.", "BAD_REQUEST", media_type)
    for prefix, known_status, code, message in _KNOWN:
        if reason.startswith(prefix):
            headers = {"Allow": "POST"} if known_status == 405 else None
            return refusal(known_status, message, code, media_type, headers)
    return refusal(status, reason, "BAD_REQUEST", media_type)


def method_not_allowed(media_type: str) -> Response:
    """/graphql answers GET (queries) and POST; anything else (PUT, DELETE...) gets 405 with Allow."""
    return refusal(
        405,
        "Méthode non prise en charge : GET pour les lectures, POST pour tout.",
        "METHOD_NOT_ALLOWED",
        media_type,
        {"Allow": "GET, POST"},
    )


def vary(existing: str | None, *names: str) -> str:
    """A Vary header with `names` added to what it already lists."""
    values: list[str] = [value.strip() for value in (existing or "").split(",") if value.strip()]
    lowered = {value.lower() for value in values}
    values.extend(name for name in names if name.lower() not in lowered)
    return ", ".join(values)
