"""GET serves queries (never mutations); an anonymous read of the public catalogue may be cached by shared
caches, anything else is private and never stored."""

from __future__ import annotations

import json

from world import training_session

CATALOGUE = "query Catalogue($first: Int) { trainings(first: $first) { edges { node { title } } } }"
PRIVATE = "private, no-store"


async def test_an_anonymous_catalogue_read_over_get_is_public(client, world):
    provider = await world.structure("Organisme formateur")
    await training_session(world, provider, title="Accueillir les publics")
    response = await client.get(
        "/graphql", params={"query": CATALOGUE, "variables": json.dumps({"first": 5})}
    )
    assert response.status_code == 200
    assert response.json()["data"] == {
        "trainings": {"edges": [{"node": {"title": "Accueillir les publics"}}]}
    }
    assert response.headers["cache-control"] == "public, max-age=60"
    assert response.headers["vary"] == "Accept, Authorization"


async def test_the_public_lifetime_is_a_setting_and_zero_makes_it_private(configured):
    async with configured(public_cache_seconds=300) as http:
        response = await http.get("/graphql", params={"query": "{ structures { totalCount } }"})
        assert response.headers["cache-control"] == "public, max-age=300"
    async with configured(public_cache_seconds=0) as http:
        response = await http.get("/graphql", params={"query": "{ structures { totalCount } }"})
        assert response.headers["cache-control"] == PRIVATE


async def test_a_read_with_a_token_is_private_even_of_the_catalogue(client, world):
    person = await world.person()
    response = await client.get(
        "/graphql",
        params={"query": "{ trainings { totalCount } me { email } }"},
        headers={"Authorization": f"Bearer {person.token}"},
    )
    assert response.json()["data"]["me"] == {"email": person.email}
    assert response.headers["cache-control"] == PRIVATE
    response = await client.get(
        "/graphql",
        params={"query": "{ trainings { totalCount } }"},
        headers={"Authorization": f"Bearer {person.token}"},
    )
    assert response.headers["cache-control"] == PRIVATE


async def test_an_anonymous_read_beyond_the_catalogue_is_private(client):
    response = await client.get("/graphql", params={"query": "{ trainings { totalCount } me { email } }"})
    assert response.json()["data"] == {"trainings": {"totalCount": 0}, "me": None}
    assert response.headers["cache-control"] == PRIVATE
    # A fragment at the root is not looked into: private too.
    fragment = "{ ...F } fragment F on Query { trainings { totalCount } }"
    response = await client.get("/graphql", params={"query": fragment})
    assert response.json()["data"] == {"trainings": {"totalCount": 0}}
    assert response.headers["cache-control"] == PRIVATE


async def test_a_failed_read_is_private(client):
    response = await client.get("/graphql", params={"query": "{ trainings(first: 1000) { totalCount } }"})
    assert response.json()["errors"]
    assert response.headers["cache-control"] == PRIVATE


async def test_the_operation_named_runs_over_get(client):
    document = "query A { __typename } query B { structures { totalCount } }"
    response = await client.get("/graphql", params={"query": document, "operationName": "B"})
    assert response.json()["data"] == {"structures": {"totalCount": 0}}
    assert response.headers["cache-control"] == "public, max-age=60"


async def test_a_post_is_never_public(client):
    response = await client.post("/graphql", json={"query": "{ structures { totalCount } }"})
    assert response.status_code == 200
    assert response.headers["cache-control"] == PRIVATE


async def test_graphiql_is_still_served_to_a_browser(client):
    page = await client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()
