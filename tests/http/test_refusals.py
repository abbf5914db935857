"""Every refusal of /graphql is JSON with `errors` (message in French, stable `extensions.code`), in the media
type the client accepts, so that Apollo, urql and GraphiQL can read it."""

from __future__ import annotations

import pytest

GRAPHQL_RESPONSE = "application/graphql-response+json"


def only_error(response) -> dict:
    body = response.json()
    assert "data" not in body
    [error] = body["errors"]
    assert error["message"]
    return error


@pytest.mark.parametrize(
    ("body", "content_type", "status", "message"),
    [
        (b"{not json", "application/json", 400, "Corps de requête illisible : JSON attendu."),
        (b"{}", "application/json", 400, "Aucune opération dans la requête"),
        (b'{"query": 42}', "application/json", 400, "`query` doit être une chaîne de caractères."),
        (b'{"query": "{ __typename }", "variables": [1]}', "application/json", 400, "`variables` doit être"),
        (
            b'{"query": "{ __typename }", "extensions": "x"}',
            "application/json",
            400,
            "`extensions` doit être",
        ),
        (
            b'{"query": "query A { __typename } query B { __typename }", "operationName": "C"}',
            "application/json",
            400,
            'Opération inconnue dans le document : "C".',
        ),
        (
            b'[{"query": "{ __typename }"}, {"query": "{ __typename }"}]',
            "application/json",
            400,
            "Les requêtes groupées ne sont pas acceptées",
        ),
        (
            b"query={ __typename }",
            "application/x-www-form-urlencoded",
            400,
            "Type de contenu non pris en charge",
        ),
        (b'{"query": "{ __typename }"}', "text/plain", 400, "Type de contenu non pris en charge"),
    ],
)
async def test_a_malformed_post_is_refused_in_json(client, body, content_type, status, message):
    response = await client.post("/graphql", content=body, headers={"Content-Type": content_type})
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "private, no-store"
    error = only_error(response)
    assert message in error["message"]
    assert error["extensions"] == {"code": "BAD_REQUEST"}


async def test_the_refusal_takes_the_graphql_response_media_type_when_accepted(client):
    response = await client.post(
        "/graphql",
        content=b"[]",
        headers={"Content-Type": "application/json", "Accept": GRAPHQL_RESPONSE},
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == GRAPHQL_RESPONSE
    assert only_error(response)["extensions"]["code"] == "BAD_REQUEST"


async def test_a_mutation_over_get_is_refused_with_405_and_the_allowed_method(client):
    mutation = 'mutation { logout(input: {refreshToken: "x"}) { ok } }'
    response = await client.get("/graphql", params={"query": mutation})
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    error = only_error(response)
    assert error == {
        "message": "Une mutation s'envoie en POST, jamais en GET.",
        "extensions": {"code": "METHOD_NOT_ALLOWED"},
    }


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
async def test_other_methods_get_405_in_json(client, method):
    response = await client.request(method, "/graphql", json={"query": "{ __typename }"})
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
    assert only_error(response)["extensions"]["code"] == "METHOD_NOT_ALLOWED"


async def test_get_with_unreadable_variables_is_refused_in_json(client):
    response = await client.get("/graphql", params={"query": "{ __typename }", "variables": "{oops"})
    assert response.status_code == 400
    assert only_error(response)["extensions"]["code"] == "BAD_REQUEST"


async def test_get_without_a_query_nor_a_page_asked_is_refused_in_json(client):
    response = await client.get("/graphql", headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert "Aucune opération" in only_error(response)["message"]
