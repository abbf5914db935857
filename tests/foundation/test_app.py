"""The app answers GraphQL, reports its health, and tags every response with a request id."""

from __future__ import annotations

from pathlib import Path

import httpx

from parcourspro_gql.app import create_app
from parcourspro_gql.config import load_settings


async def test_typename_over_post(gql):
    assert await gql("{ __typename }") == {
        "data": {"__typename": "Query"},
        "extensions": {"cost": {"requested": 1, "budget": 10_000}},
    }


async def test_health_reports_the_database(client, db):
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "writable": "ok",
        "disk": "ok",
        "outbox": "ok",
        "outboxBacklog": 0,
        "outboxStuck": 0,
    }


async def test_health_fails_when_the_database_is_unreachable(tmp_path: Path):
    settings = load_settings(
        {
            "PARCOURSPRO_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/missing-folder/db.sqlite",
            "PARCOURSPRO_VAR_DIR": str(tmp_path),
            "PARCOURSPRO_MAIL_DISPATCH": "false",
        }
    )
    app = create_app(settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        response = await http.get("/health")
        live = await http.get("/health/live")
    await app.state.db.dispose()
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["database"] == "unreachable"
    # The process itself is fine: an orchestrator must not restart it for the database's sake.
    assert (live.status_code, live.json()) == (200, {"status": "ok"})


async def test_request_id_is_returned_and_a_sane_incoming_one_is_kept(client):
    response = await client.post("/graphql", json={"query": "{ __typename }"})
    assert len(response.headers["x-request-id"]) == 32
    kept = await client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"X-Request-ID": "front-1234abcd"}
    )
    assert kept.headers["x-request-id"] == "front-1234abcd"
    replaced = await client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"X-Request-ID": "bad id\nwith newline"}
    )
    assert replaced.headers["x-request-id"] != "bad id\nwith newline"
