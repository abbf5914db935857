"""CORS from PARCOURSPRO_CORS_ORIGINS: exact origins, credentials off, preflights answered."""

from __future__ import annotations

import pytest

from parcourspro_gql.config import ConfigError, load_settings

APP = "https://app.parcourspro.test"
PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization, content-type",
}


async def test_a_preflight_from_a_listed_origin_is_answered(configured):
    async with configured(cors_origins=f"{APP}, https://admin.parcourspro.test") as http:
        response = await http.options("/graphql", headers={"Origin": APP, **PREFLIGHT})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == APP
    assert "POST" in response.headers["access-control-allow-methods"]
    allowed = response.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed
    assert "content-type" in allowed
    assert "access-control-allow-credentials" not in response.headers


async def test_a_request_from_a_listed_origin_can_read_the_answer_and_its_request_id(configured):
    async with configured(cors_origins=APP) as http:
        response = await http.post("/graphql", json={"query": "{ __typename }"}, headers={"Origin": APP})
    assert response.json()["data"] == {"__typename": "Query"}
    assert response.headers["access-control-allow-origin"] == APP
    assert "x-request-id" in response.headers["access-control-expose-headers"].lower()
    assert "access-control-allow-credentials" not in response.headers


@pytest.mark.parametrize("origin", ["https://evil.test", "https://app.parcourspro.test.evil.test", "null"])
async def test_another_origin_gets_no_cors_header(configured, origin):
    async with configured(cors_origins=APP) as http:
        preflight = await http.options("/graphql", headers={"Origin": origin, **PREFLIGHT})
        response = await http.post("/graphql", json={"query": "{ __typename }"}, headers={"Origin": origin})
    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers
    assert "access-control-allow-origin" not in response.headers


async def test_without_the_setting_no_origin_is_allowed(client):
    response = await client.post("/graphql", json={"query": "{ __typename }"}, headers={"Origin": APP})
    assert "access-control-allow-origin" not in response.headers
    preflight = await client.options("/graphql", headers={"Origin": APP, **PREFLIGHT})
    assert preflight.status_code == 405
    assert "access-control-allow-origin" not in preflight.headers


@pytest.mark.parametrize("value", ["*", "https://*.parcourspro.test", "app.parcourspro.test", f"{APP}/path"])
def test_only_exact_origins_are_accepted_as_settings(value):
    with pytest.raises(ConfigError, match="PARCOURSPRO_CORS_ORIGINS"):
        load_settings({"PARCOURSPRO_CORS_ORIGINS": value, "PARCOURSPRO_SECRET_KEY": "s" * 40})
