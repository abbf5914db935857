"""What /graphql answers over HTTP, whatever way a request takes in the view (a plain JSON POST, or
strawberry's whole dispatch for anything else): the same answers and statuses as strawberry's, its
refusals in JSON (tests/http has the rest)."""

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
        (b"{not json", "application/json", 400, "Corps de requête illisible : JSON attendu."),
        (
            b"{}",
            "application/json",
            400,
            "Aucune opération dans la requête : envoyez `query` (ou un document de confiance).",
        ),
        (
            b'{"query": 42}',
            "application/json",
            400,
            "`query` doit être une chaîne de caractères.",
        ),
        (
            b'{"query": "{ __typename }", "variables": [1]}',
            "application/json",
            400,
            "`variables` doit être un objet JSON.",
        ),
        (
            b'{"query": "{ __typename }", "extensions": "x"}',
            "application/json",
            400,
            "`extensions` doit être un objet JSON.",
        ),
        (
            b'{"query": "query A { __typename } query B { __typename }", "operationName": "C"}',
            "application/json",
            400,
            'Opération inconnue dans le document : "C".',
        ),
        (
            b'{"query": "{ __typename }", "operationName": [1]}',
            "application/json",
            400,
            'Opération inconnue dans le document : "[1]".',
        ),
        (
            b"query={ __typename }",
            "application/x-www-form-urlencoded",
            400,
            "Type de contenu non pris en charge : envoyez `application/json`.",
        ),
        # strawberry reads the media type as written (RFC 9110 would not mind the case).
        (
            b'{"query": "{ __typename }"}',
            "Application/JSON",
            400,
            "Type de contenu non pris en charge : envoyez `application/json`.",
        ),
    ],
)
async def test_malformed_requests_get_strawberrys_refusals_in_json(client, body, content_type, status, text):
    response = await client.post("/graphql", content=body, headers={"Content-Type": content_type})
    assert (response.status_code, response.json()) == (
        status,
        {"errors": [{"message": text, "extensions": {"code": "BAD_REQUEST"}}]},
    )


async def test_a_mutation_in_a_plain_json_post_is_executed(client):
    """Mutations take the same way as queries and answer what their resolver says (an unknown token: not ok)."""
    mutation = 'mutation { logout(input: {refreshToken: "x"}) { ok } }'
    response = await client.post("/graphql", json={"query": mutation})
    assert response.status_code == 200
    assert response.json()["data"] == {"logout": {"ok": False}}
