"""Cache-Control of /graphql answers: the one function that decides it.

Only an anonymous GET of a query that reads nothing but the public catalogue (trainings, sessions, the
structure picker) and succeeded may be kept by shared caches (CDN, proxy) for `public_seconds`; everything
else (any caller with a token, any POST, any error) is personal or not worth keeping: `private, no-store`.
"""

from __future__ import annotations

from functools import lru_cache

from graphql import FieldNode, GraphQLError, OperationType, get_operation_ast

from parcourspro_gql.engine.parsing import MAX_TOKENS, parse_document
from parcourspro_gql.web.negotiation import PRIVATE

# Root fields whose answer is the same for every anonymous caller and useful to cache.
PUBLIC_ROOT_FIELDS = frozenset({"trainings", "sessions", "structures", "__typename"})


@lru_cache(maxsize=256)
def reads_public_catalogue(document: str, operation_name: str | None) -> bool:
    """True when the operation run is a query whose root selects only public catalogue fields (plain fields:
    a fragment at the root is not looked into, and the answer is then private)."""
    try:
        operation = get_operation_ast(parse_document(document, max_tokens=MAX_TOKENS), operation_name)
    except GraphQLError:
        return False
    if operation is None or operation.operation is not OperationType.QUERY:
        return False
    return all(
        isinstance(selection, FieldNode) and selection.name.value in PUBLIC_ROOT_FIELDS
        for selection in operation.selection_set.selections
    )


def cache_control(
    *,
    method: str,
    anonymous: bool,
    document: str | None,
    operation_name: str | None,
    succeeded: bool,
    public_seconds: int,
) -> str:
    """The Cache-Control of one /graphql answer (see the module's docstring)."""
    if (
        method == "GET"
        and anonymous
        and succeeded
        and public_seconds > 0
        and document is not None
        and reads_public_catalogue(document, operation_name)
    ):
        return f"public, max-age={public_seconds}"
    return PRIVATE
