"""Request guards (depth, aliases, tokens, introspection) and the masking of unexpected errors."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from graphql import GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import AddValidationRules, MaxTokensLimiter, SchemaExtension
from strawberry.extensions.max_aliases import create_validator as create_alias_rule
from strawberry.extensions.query_depth_limiter import create_validator as create_depth_rule

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


class Guards(AddValidationRules):
    def __init__(self, production: bool) -> None:
        super().__init__(list(PRODUCTION_RULES if production else GUARD_RULES))


class TokenLimit(MaxTokensLimiter):
    def __init__(self) -> None:
        super().__init__(MAX_TOKENS)


def is_expected(error: GraphQLError) -> bool:
    """Errors we raise on purpose (syntax, validation, permissions, bad arguments) reach the client as is."""
    original = error.original_error
    return original is None or isinstance(original, GraphQLError) or bool(error.extensions.get("code"))


class MaskUnexpectedErrors(SchemaExtension):
    """Replaces every unexpected error by "Erreur interne" and the request id, which is in the logs."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        context = self.execution_context.context
        request_id = getattr(context, "request_id", None)
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
