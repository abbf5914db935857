"""Request guards (depth, aliases, tokens, introspection, cost) and the masking of unexpected errors."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from graphql import GraphQLError, GraphQLSchema
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension
from strawberry.extensions.max_aliases import create_validator as create_alias_rule
from strawberry.extensions.query_depth_limiter import create_validator as create_depth_rule
from strawberry.schema.schema import validate_document

from parcourspro_gql.db import database_unavailable
from parcourspro_gql.edge import SERVICE_UNAVAILABLE, UNAVAILABLE_MESSAGE
from parcourspro_gql.engine.cost import cost_report, limit_cost
from parcourspro_gql.engine.parsing import MAX_TOKENS, parse_document

log = logging.getLogger("parcourspro_gql.graphql")

MAX_DEPTH = 10
MAX_ALIASES = 15
INTERNAL_ERROR_MESSAGE = "Erreur interne"

# Built once at import: strawberry's validation cache is keyed by the rule classes, and its factory form
# (QueryDepthLimiter(...) per request) would make new classes, hence a miss, on every request.
GUARD_RULES = (
    create_depth_rule(MAX_DEPTH, None, None),
    create_alias_rule(MAX_ALIASES),
)
PRODUCTION_RULES = (*GUARD_RULES, NoSchemaIntrospectionCustomRule)


def is_expected(error: GraphQLError) -> bool:
    """Errors we raise on purpose (syntax, validation, permissions, bad arguments) reach the client as is."""
    original = error.original_error
    return (
        original is None or isinstance(original, GraphQLError) or bool((error.extensions or {}).get("code"))
    )


@lru_cache(maxsize=256)
def _validate(schema: GraphQLSchema, query: str, rules: tuple[type, ...]) -> list[GraphQLError]:
    """The validation errors of a document, by its text (its parse comes from the same cache as the request's).
    Parsing and validation are cached across requests, as strawberry's ParserCache and ValidationCache would,
    without the two more extensions whose hooks every request would run."""
    return validate_document(schema, parse_document(query, max_tokens=MAX_TOKENS), rules)


def _masked(error: GraphQLError, request_id: str | None) -> GraphQLError:
    """What the client sees of an error: expected ones as they are; a database that cannot serve as
    SERVICE_UNAVAILABLE (the view answers 503 and keeps the original for its log line); anything else as
    "Erreur interne" with the request id."""
    if is_expected(error):
        return error
    if database_unavailable(error.original_error):
        return GraphQLError(
            UNAVAILABLE_MESSAGE,
            nodes=error.nodes,
            path=error.path,
            original_error=error.original_error,
            extensions={"code": SERVICE_UNAVAILABLE, "requestId": request_id},
        )
    return GraphQLError(
        INTERNAL_ERROR_MESSAGE,
        nodes=error.nodes,
        path=error.path,
        extensions={"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
    )


class RequestGuards(SchemaExtension):
    """The request pipeline in one extension and one hook (each hook costs every request a generator and a
    context manager): the token limit and the validation rules (depth, aliases, introspection in production),
    cached parsing and validation, the cost limit (engine/cost.py), and the replacement of every unexpected
    error by "Erreur interne" with the request id, which is in the logs."""

    def __init__(self, production: bool) -> None:
        self.rules = PRODUCTION_RULES if production else GUARD_RULES
        self.cost: int | None = None

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.parse_options["max_tokens"] = MAX_TOKENS
        context.validation_rules = context.validation_rules + self.rules
        self._prepare(context)
        yield
        result = context.result
        if result is None or not result.errors:
            return
        request_id = getattr(context.context, "request_id", None)
        result.errors = [_masked(error, request_id) for error in result.errors]

    def _prepare(self, context: Any) -> None:
        """Parses and validates the document from the caches, and refuses it when over budget, before
        strawberry's own steps, which then find the work done: a parsed document is not parsed again,
        validation errors (even none) are not computed again, and a result set here is not executed. A
        document that does not parse is left to strawberry, whose parse gives the usual syntax error."""
        query = context.query
        if not isinstance(query, str) or not query or context.graphql_document is not None:
            return
        try:
            context.graphql_document = parse_document(query, **context.parse_options)
        except GraphQLError:
            return
        context.pre_execution_errors = _validate(context.schema._schema, query, context.validation_rules)
        # An operation name that is not a string is refused by strawberry (400) before anything is costed.
        if not context.pre_execution_errors and isinstance(context.operation_name, str | None):
            self.cost = limit_cost(context)

    def get_results(self) -> dict[str, Any]:
        return cost_report(self.cost)
