"""Request guards (depth, aliases, tokens, introspection) and the masking of unexpected errors."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from functools import lru_cache

from graphql import GraphQLError, parse
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension
from strawberry.extensions.max_aliases import create_validator as create_alias_rule
from strawberry.extensions.query_depth_limiter import create_validator as create_depth_rule
from strawberry.schema.schema import validate_document

log = logging.getLogger("parcourspro_gql.graphql")

MAX_DEPTH = 10
MAX_ALIASES = 15
MAX_TOKENS = 2_000
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
    return original is None or isinstance(original, GraphQLError) or bool(error.extensions.get("code"))


# Parsing and validation of a document are cached across requests (strawberry's ParserCache and
# ValidationCache do the same, as two more extensions whose hooks every request would run).
parse_document = lru_cache(maxsize=256)(parse)
_validate = lru_cache(maxsize=256)(validate_document)


class RequestGuards(SchemaExtension):
    """The request pipeline in one extension (each extension costs every request its hooks): the token limit
    and the validation rules (depth, aliases, introspection in production), cached parsing and validation,
    and the replacement of every unexpected error by "Erreur interne" with the request id, which is in the
    logs."""

    def __init__(self, production: bool) -> None:
        self.rules = PRODUCTION_RULES if production else GUARD_RULES

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.parse_options["max_tokens"] = MAX_TOKENS
        context.validation_rules = context.validation_rules + self.rules
        yield
        result = context.result
        if result is None or not result.errors:
            return
        request_id = getattr(context.context, "request_id", None)
        result.errors = [
            error
            if is_expected(error)
            else GraphQLError(
                INTERNAL_ERROR_MESSAGE,
                nodes=error.nodes,
                path=error.path,
                extensions={"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
            )
            for error in result.errors
        ]

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        context.graphql_document = parse_document(context.query, **context.parse_options)
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        context.pre_execution_errors = _validate(
            context.schema._schema, context.graphql_document, context.validation_rules
        )
        yield
