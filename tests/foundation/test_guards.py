"""Every request is guarded: depth, aliases, tokens, no batching, no GET queries, no field suggestions."""

from __future__ import annotations

from parcourspro_gql.engine.cost import MAX_SAME_KEY
from parcourspro_gql.engine.extensions import MAX_ALIASES, MAX_DEPTH
from parcourspro_gql.engine.parsing import MAX_TOKENS


def nested_query(depth: int) -> str:
    """A query whose deepest field is at `depth` (top-level fields are at 0, as graphql-depth-limit counts).

    Below the real path (structures > edges > node > address) the fields do not exist, which is fine: the
    depth rule counts syntax, and its error is what we look for."""
    query = "city"
    for level in range(depth - 4):
        query = f"deeper{level} {{ {query} }}"
    return f"{{ structures {{ edges {{ node {{ address {{ {query} }} }} }} }} }}"


DEPTH_ERROR = "exceeds maximum operation depth of 10"


def error_messages(body: dict) -> list[str]:
    return [error["message"] for error in body.get("errors", [])]


async def test_depth_above_the_limit_is_refused(gql):
    assert "errors" not in await gql(nested_query(4))
    at_limit = await gql(nested_query(MAX_DEPTH))
    assert at_limit["errors"]
    assert not any(DEPTH_ERROR in message for message in error_messages(at_limit))
    refused = await gql(nested_query(MAX_DEPTH + 1))
    assert refused.get("data") is None
    assert any(DEPTH_ERROR in message for message in error_messages(refused)), refused


async def test_more_than_fifteen_aliases_are_refused(gql):
    def aliases(count: int) -> str:
        return "{ " + " ".join(f"a{i}: __typename" for i in range(count)) + " }"

    assert "errors" not in await gql(aliases(MAX_ALIASES))
    refused = await gql(aliases(MAX_ALIASES + 1))
    assert refused.get("data") is None
    assert any("aliases found" in message for message in error_messages(refused)), refused


async def test_too_many_tokens_are_refused(gql):
    def query(names: int) -> str:  # braces + names tokens
        return "{ " + " ".join(["__typename"] * names) + " }"

    # Ten at most of one name at one place (engine/cost.py's MAX_SAME_KEY), so fewer here.
    assert "errors" not in await gql(query(MAX_SAME_KEY))
    # At exactly the limit the document parses (graphql-core may still abort validating 2,000 fields).
    at_limit = await gql(query(MAX_TOKENS - 2))
    assert not any("tokens" in message for message in error_messages(at_limit))
    refused = await gql(query(MAX_TOKENS - 1))
    assert refused.get("data") is None
    assert error_messages(refused) == [
        f"Syntax Error: Document contains more than {MAX_TOKENS} tokens. Parsing aborted."
    ]


async def test_batched_requests_are_refused(client):
    response = await client.post("/graphql", json=[{"query": "{ __typename }"}, {"query": "{ __typename }"}])
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"] == {"code": "BAD_REQUEST"}


async def test_guards_hold_over_get_too(client):
    """GET serves queries (tests/http/test_get.py): the same limits apply to them."""
    aliases = "{ " + " ".join(f"a{i}: __typename" for i in range(MAX_ALIASES + 1)) + " }"
    response = await client.get("/graphql", params={"query": aliases})
    assert response.status_code == 200
    assert any("aliases found" in message for message in error_messages(response.json()))


async def test_field_suggestions_are_off(gql):
    body = await gql("{ structurez { totalCount } }")
    assert body["errors"]
    assert all("Did you mean" not in message for message in error_messages(body))
