"""What /graphql answers over HTTP, whatever way a request takes in the view (a plain JSON POST, or
strawberry's whole dispatch for anything else): the same answers, statuses and messages as strawberry's."""

from __future__ import annotations

import pytest

TWO_OPERATIONS = "query A { __typename } query B { me { id } }"


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8"])
async def test_a_json_post_is_answered_whatever_the_spelling_of_its_type(client, content_type):
    response = await client.post(
        "/graphql", content=b'{"query": "{ __typename }"}', headers={"Content-Type": content_type}
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-request-id"]
    assert response.json()["data"] == {"__typename": "Query"}


async def test_the_operation_named_runs_with_its_variables(client):
    response = await client.post("/graphql", json={"query": TWO_OPERATIONS, "operationName": "A"})
    assert response.json()["data"] == {"__typename": "Query"}
    variables = {
        "query": "query($f: Int) { structures(first: $f) { edges { node { id } } } }",
        "variables": {"f": 0},
    }
    assert (await client.post("/graphql", json=variables)).json()["data"] == {"structures": {"edges": []}}


@pytest.mark.parametrize(
    ("body", "content_type", "status", "text"),
    [
        # An unreadable JSON body gets a JSON refusal instead (tests/security/test_edge.py).
        (b"{}", "application/json", 400, "No GraphQL query found in the request"),
        (
            b'{"query": 42}',
            "application/json",
            400,
            "The GraphQL operation's `query` must be a string or null, if provided.",
        ),
        (
            b'{"query": "{ __typename }", "variables": [1]}',
            "application/json",
            400,
            "The GraphQL operation's `variables` must be an object or null, if provided.",
        ),
        (
            b'{"query": "{ __typename }", "extensions": "x"}',
            "application/json",
            400,
            "The GraphQL operation's `extensions` must be an object or null, if provided.",
        ),
        (
            b'{"query": "query A { __typename } query B { __typename }", "operationName": "C"}',
            "application/json",
            400,
            'Unknown operation named "C".',
        ),
        (
            b'{"query": "{ __typename }", "operationName": [1]}',
            "application/json",
            400,
            'Unknown operation named "[1]".',
        ),
        (b"query={ __typename }", "application/x-www-form-urlencoded", 400, "Unsupported content type"),
        # strawberry reads the media type as written (RFC 9110 would not mind the case).
        (b'{"query": "{ __typename }"}', "Application/JSON", 400, "Unsupported content type"),
    ],
)
async def test_malformed_requests_get_strawberrys_answers(client, body, content_type, status, text):
    response = await client.post("/graphql", content=body, headers={"Content-Type": content_type})
    assert (response.status_code, response.text) == (status, text)


async def test_a_mutation_in_a_plain_json_post_is_executed(client):
    """Mutations take the same way as queries and answer what their resolver says (an unknown token: not ok)."""
    mutation = 'mutation { logout(input: {refreshToken: "x"}) { ok } }'
    response = await client.post("/graphql", json={"query": mutation})
    assert response.status_code == 200
    assert response.json()["data"] == {"logout": {"ok": False}}
