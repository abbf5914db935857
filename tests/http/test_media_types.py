"""GraphQL over HTTP: `application/graphql-response+json` when the client accepts it, with its status codes;
`application/json` (200 with `errors`) for everyone else, as before."""

from __future__ import annotations

import pytest

GRAPHQL_RESPONSE = "application/graphql-response+json"
FAILING = {
    "parse": ({"query": "{ __typename"}, "Syntax Error"),
    "validation": ({"query": "{ noSuchField }"}, "Cannot query field"),
    "variables": (
        {"query": "query($f: Int) { trainings(first: $f) { totalCount } }", "variables": {"f": "many"}},
        "Variable '$f'",
    ),
}


async def post(client, body, accept: str | None):
    headers = {"Accept": accept} if accept else {}
    return await client.post("/graphql", json=body, headers=headers)


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE}, application/json;q=0.9", GRAPHQL_RESPONSE),
        (f"application/json, {GRAPHQL_RESPONSE};q=0.5", "application/json"),
        ("application/json", "application/json"),
        ("*/*", "application/json"),
        (None, "application/json"),
        (f"{GRAPHQL_RESPONSE};q=0", "application/json"),
    ],
)
async def test_the_answer_takes_the_media_type_the_client_prefers(client, accept, media_type):
    response = await post(client, {"query": "{ __typename }"}, accept)
    assert response.status_code == 200
    assert response.headers["content-type"] == media_type
    assert response.json()["data"] == {"__typename": "Query"}


@pytest.mark.parametrize("failure", sorted(FAILING))
async def test_a_request_error_is_400_without_data_in_graphql_response_json(client, failure):
    body, message = FAILING[failure]
    response = await post(client, body, GRAPHQL_RESPONSE)
    assert response.status_code == 400
    assert response.headers["content-type"] == GRAPHQL_RESPONSE
    answer = response.json()
    assert "data" not in answer
    assert message in answer["errors"][0]["message"]


@pytest.mark.parametrize("failure", sorted(FAILING))
async def test_a_request_error_stays_200_with_errors_in_application_json(client, failure):
    body, message = FAILING[failure]
    response = await post(client, body, "application/json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    answer = response.json()
    assert answer["data"] is None
    assert message in answer["errors"][0]["message"]


async def test_a_field_error_keeps_200_and_its_data_in_graphql_response_json(client):
    """An error during execution (here: the manager dashboard asked anonymously) is not a request error."""
    response = await post(
        client, {"query": "{ __typename managerDashboard { __typename } }"}, GRAPHQL_RESPONSE
    )
    assert response.status_code == 200
    answer = response.json()
    assert "data" in answer
    assert answer["errors"][0]["path"] == ["managerDashboard"]
