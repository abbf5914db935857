"""Request guards (depth, aliases, tokens, introspection, cost) and the masking of unexpected errors."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from graphql import DocumentNode, GraphQLError, GraphQLSchema, specified_rules, validate
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

from parcourspro_gql.db import database_unavailable
from parcourspro_gql.edge import SERVICE_UNAVAILABLE, UNAVAILABLE_MESSAGE
from parcourspro_gql.engine.cost import (
    BUDGET,
    MAX_ALIASES,
    MAX_DEPTH,
    cost_report,
    document_cost,
    limit_cost,
    shape_errors,
)
from parcourspro_gql.engine.parsing import MAX_TOKENS, documents, parse_document

log = logging.getLogger("parcourspro_gql.graphql")

__all__ = [
    "MAX_ALIASES",
    "MAX_DEPTH",
    "RequestGuards",
    "cost_report",
    "is_expected",
    "masked",
    "passed_guards",
]

INTERNAL_ERROR_MESSAGE = "Erreur interne"

# Depth and aliases are measured by engine/cost.py before validation (strawberry's rules for them re-walk a
# fragment at each spread); production also refuses introspection. strawberry adds these two to every
# validation (see strawberry.schema.schema.validate_document).
STRAWBERRY_RULES = (MaybeNullValidationRule, OneOfInputValidationRule)
PRODUCTION_RULES = (NoSchemaIntrospectionCustomRule,)


def is_expected(error: GraphQLError) -> bool:
    """Errors we raise on purpose (syntax, validation, permissions, bad arguments) reach the client as is."""
    original = error.original_error
    return (
        original is None or isinstance(original, GraphQLError) or bool((error.extensions or {}).get("code"))
    )


def _validate(
    schema: GraphQLSchema, document: DocumentNode, rules: tuple[type, ...], production: bool
) -> list[GraphQLError]:
    """graphql-core's validation, without suggestions ("Did you mean ...?") in production (X5)."""
    return validate(schema, document, (*rules, *STRAWBERRY_RULES), hide_suggestions=production)


def _without_suggestion(error: GraphQLError) -> GraphQLError:
    """An execution error without its "Did you mean ...?" (an enum value of a variable, say)."""
    head, found, _ = error.message.partition(" Did you mean")
    if not found:
        return error
    return GraphQLError(
        head,
        nodes=error.nodes,
        path=error.path,
        original_error=error.original_error,
        extensions=error.extensions,
    )


def masked(error: GraphQLError, request_id: str | None, production: bool) -> GraphQLError:
    """What the client sees of an error: expected ones as they are (without suggestions in production, X5);
    a database that cannot serve as SERVICE_UNAVAILABLE (the view answers 503 and keeps the original for its
    log line); anything else as "Erreur interne" with the request id."""
    if is_expected(error):
        return _without_suggestion(error) if production else error
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
        self.production = production
        self.cost: int | None = None

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.parse_options["max_tokens"] = MAX_TOKENS
        context.validation_rules = request_rules(context.validation_rules, self.production)
        self._prepare(context)
        yield
        result = context.result
        if result is None or not result.errors:
            return
        request_id = getattr(context.context, "request_id", None)
        result.errors = [masked(error, request_id, self.production) for error in result.errors]

    def _prepare(self, context: Any) -> None:
        """Parses the document (cached), measures its depth and aliases, then its cost with the request's
        variables, and only then validates it (cached): each step bounded by the document's size, and a
        document refused by one step reaches no later one (graphql-core's rules are not all linear in the
        fragments' fan-out). strawberry's own steps then find the work done: a parsed document is not parsed
        again, validation errors (even none) are not computed again, and a result set here is not executed.
        A document that does not parse is left to strawberry, whose parse gives the usual syntax error."""
        query = context.query
        if not isinstance(query, str) or not query or context.graphql_document is not None:
            return
        try:
            context.graphql_document = parse_document(query, **context.parse_options)
        except GraphQLError:
            return
        refused = documents.derived(query, "shape", shape_errors)
        if refused:
            context.pre_execution_errors = refused
            return
        # An operation name that is not a string is refused by strawberry (400) before anything is costed.
        if isinstance(context.operation_name, str | None):
            self.cost = limit_cost(context)
            if context.result is not None:
                context.pre_execution_errors = []
                return
        context.pre_execution_errors = _validation_errors(
            context.schema._schema, query, context.validation_rules, self.production
        )

    def get_results(self) -> dict[str, Any]:
        return cost_report(self.cost)


def request_rules(base: tuple[type, ...], production: bool) -> tuple[type, ...]:
    """The validation rules of a request: strawberry's (`base`: graphql-core's specified rules), and in
    production the refusal of introspection. One composition for RequestGuards and passed_guards, whose
    validations then share one cache entry."""
    return (*base, *PRODUCTION_RULES) if production else base


def _validation_errors(
    schema: GraphQLSchema, query: str, rules: tuple[type, ...], production: bool
) -> list[GraphQLError]:
    """The document's validation errors (none: an empty list), computed once per cached document."""
    return documents.derived(
        query,
        ("valid", schema, rules, production),
        lambda document: _validate(schema, document, rules, production),
    )


def passed_guards(
    schema: GraphQLSchema, query: str, operation_name: str | None, variables: Any, production: bool
) -> tuple[DocumentNode, int] | None:
    """The parsed document and its cost when a request would pass every guard of RequestGuards (the same
    steps, from the same caches: parse, shape, cost, validation with the same rules); None when one of them
    would refuse it, or the document does not parse (RequestGuards then gives the answer)."""
    try:
        document = parse_document(query, max_tokens=MAX_TOKENS)
    except GraphQLError:
        return None
    if documents.derived(query, "shape", shape_errors):
        return None
    cost = document_cost(schema, query, document, operation_name, variables)
    if cost > BUDGET:
        return None
    rules = request_rules(tuple(specified_rules), production)
    if _validation_errors(schema, query, rules, production):
        return None
    return document, cost
