"""Production mode: no introspection, no GraphiQL, and unexpected errors masked but logged in full."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from parcourspro_gql.app import create_app
from parcourspro_gql.config import load_settings
from parcourspro_gql.logs import JsonFormatter


@pytest.fixture
async def production(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    # An empty (never migrated) database: any query on a table fails for real inside a resolver.
    settings = load_settings(
        {
            "PARCOURSPRO_ENV": "production",
            "PARCOURSPRO_SECRET_KEY": "p" * 48,
            "PARCOURSPRO_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/empty.db",
            "PARCOURSPRO_VAR_DIR": str(tmp_path),
            "PARCOURSPRO_MAIL_DISPATCH": "false",
        }
    )
    app = create_app(settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://prod") as http:
        yield http
    await app.state.db.dispose()


async def test_introspection_is_refused(production):
    response = await production.post("/graphql", json={"query": "{ __schema { types { name } } }"})
    body = response.json()
    assert body.get("data") is None
    assert "introspection" in body["errors"][0]["message"].lower()
    typename = await production.post("/graphql", json={"query": "{ __typename }"})
    assert typename.json()["data"] == {"__typename": "Query"}


async def test_graphiql_and_its_assets_are_not_served(production):
    page = await production.get("/graphql", headers={"accept": "text/html"})
    assert "graphiql" not in page.text.lower()
    assert (await production.get("/static/graphiql/graphiql.min.js")).status_code == 404


async def test_unexpected_error_is_masked_with_the_request_id_and_logged_with_its_trace(production, caplog):
    caplog.set_level(logging.ERROR, logger="parcourspro_gql.graphql")
    response = await production.post("/graphql", json={"query": "{ structures { totalCount } }"})
    body = response.json()
    request_id = response.headers["x-request-id"]
    assert body["data"] is None
    assert body["errors"] == [
        {
            "message": "Erreur interne",
            "locations": [{"line": 1, "column": 3}],
            "path": ["structures"],
            "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
        }
    ]
    assert "no such table" not in response.text
    [record] = [r for r in caplog.records if r.name == "parcourspro_gql.graphql"]
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == request_id
    assert line["level"] == "ERROR"
    assert "no such table: structures" in line["trace"]
    assert "Traceback" in line["trace"]
