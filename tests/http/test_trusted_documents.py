"""Documents a request may name instead of sending them: Apollo's APQ hash, a `documentId` of the trusted
manifest (GraphQL Codegen's client preset), and the trusted-only mode of production apps."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from parcourspro_gql.app import create_app
from parcourspro_gql.config import ConfigError

GRAPHQL_RESPONSE = "application/graphql-response+json"
CATALOGUE = "query Catalogue { trainings { totalCount } }"
PICKER = "query Picker($search: String) { structures(search: $search) { totalCount } }"
LOGOUT = "mutation Logout($token: String!) { logout(input: {refreshToken: $token}) { ok } }"


def sha(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def apq(document: str) -> dict:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha(document)}}


def error_of(response) -> dict:
    body = response.json()
    assert "data" not in body
    [error] = body["errors"]
    return error


@pytest.fixture
def manifest(tmp_path: Path) -> str:
    """The file GraphQL Codegen's client preset writes: sha256 -> document."""
    path = tmp_path / "persisted-documents.json"
    path.write_text(json.dumps({sha(document): document for document in (CATALOGUE, PICKER, LOGOUT)}))
    return str(path)


async def test_apq_registers_a_document_then_runs_it_by_its_hash(client):
    document = "query Apq { structures { totalCount } }"
    missed = await client.post("/graphql", json={"extensions": apq(document)})
    assert missed.status_code == 200
    assert error_of(missed) == {
        "message": "PersistedQueryNotFound",
        "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
    }
    registered = await client.post("/graphql", json={"query": document, "extensions": apq(document)})
    assert registered.json()["data"] == {"structures": {"totalCount": 0}}
    by_hash = await client.post("/graphql", json={"extensions": apq(document)})
    assert by_hash.json()["data"] == {"structures": {"totalCount": 0}}
    # And over GET, where an anonymous catalogue read may then be cached by a CDN.
    over_get = await client.get("/graphql", params={"extensions": json.dumps(apq(document))})
    assert over_get.json()["data"] == {"structures": {"totalCount": 0}}
    assert over_get.headers["cache-control"] == "public, max-age=60"


async def test_an_unknown_hash_is_404_in_graphql_response_json(client):
    response = await client.post(
        "/graphql",
        json={"extensions": apq("query Never { __typename }")},
        headers={"Accept": GRAPHQL_RESPONSE},
    )
    assert response.status_code == 404
    assert response.headers["content-type"] == GRAPHQL_RESPONSE
    assert error_of(response)["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


@pytest.mark.parametrize(
    ("extensions", "message"),
    [
        ({"persistedQuery": {"version": 1, "sha256Hash": sha("{ other }")}}, "ne correspond pas"),
        ({"persistedQuery": {"version": 2, "sha256Hash": sha("{ __typename }")}}, "version 1"),
        ({"persistedQuery": {"version": 1, "sha256Hash": "abc"}}, "64 chiffres"),
        ({"persistedQuery": "x"}, "version 1"),
    ],
)
async def test_a_bad_apq_request_is_refused(client, extensions, message):
    response = await client.post("/graphql", json={"query": "{ __typename }", "extensions": extensions})
    assert response.status_code == 400
    error = error_of(response)
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert message in error["message"]


async def test_the_apq_cache_is_bounded_in_bytes(configured):
    first, second = "query First { __typename }", "query Second { __typename }"
    async with configured(apq_cache_bytes=len(first) + 5) as http:
        for document in (first, second):
            await http.post("/graphql", json={"query": document, "extensions": apq(document)})
        # Room for one: the older was evicted, the newer stays.
        evicted = await http.post("/graphql", json={"extensions": apq(first)})
        assert error_of(evicted)["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
        kept = await http.post("/graphql", json={"extensions": apq(second)})
        assert kept.json()["data"] == {"__typename": "Query"}


async def test_a_manifest_document_runs_by_its_document_id_or_its_apq_hash(configured, manifest):
    async with configured(trusted_documents=manifest) as http:
        by_id = await http.post(
            "/graphql", json={"documentId": f"sha256:{sha(PICKER)}", "variables": {"search": "x"}}
        )
        assert by_id.json()["data"] == {"structures": {"totalCount": 0}}
        bare = await http.post("/graphql", json={"documentId": sha(CATALOGUE)})
        assert bare.json()["data"] == {"trainings": {"totalCount": 0}}
        over_get = await http.get("/graphql", params={"documentId": f"sha256:{sha(CATALOGUE)}"})
        assert over_get.json()["data"] == {"trainings": {"totalCount": 0}}
        by_hash = await http.post("/graphql", json={"extensions": apq(CATALOGUE)})
        assert by_hash.json()["data"] == {"trainings": {"totalCount": 0}}
        # Not trusted-only: anything else still runs.
        other = await http.post("/graphql", json={"query": "{ __typename }"})
        assert other.json()["data"] == {"__typename": "Query"}


@pytest.mark.parametrize(
    ("document_id", "status", "code"),
    [
        (f"sha256:{sha('query Unknown { __typename }')}", 200, "PERSISTED_QUERY_NOT_FOUND"),
        ("sha256:xyz", 400, "BAD_REQUEST"),
        (42, 400, "BAD_REQUEST"),
    ],
)
async def test_an_unknown_or_malformed_document_id_is_refused(
    configured, manifest, document_id, status, code
):
    async with configured(trusted_documents=manifest) as http:
        response = await http.post("/graphql", json={"documentId": document_id})
    assert response.status_code == status
    assert error_of(response)["extensions"]["code"] == code


async def test_trusted_only_runs_the_manifest_and_nothing_else(configured, manifest):
    async with configured(trusted_documents=manifest, trusted_documents_only=True) as http:
        by_id = await http.post("/graphql", json={"documentId": f"sha256:{sha(CATALOGUE)}"})
        assert by_id.json()["data"] == {"trainings": {"totalCount": 0}}
        mutation = await http.post(
            "/graphql", json={"documentId": f"sha256:{sha(LOGOUT)}", "variables": {"token": "x"}}
        )
        assert mutation.json()["data"] == {"logout": {"ok": False}}
        same_text = await http.post("/graphql", json={"query": CATALOGUE})
        assert same_text.json()["data"] == {"trainings": {"totalCount": 0}}
        for refused in (
            await http.post("/graphql", json={"query": "{ __typename }"}),
            await http.get("/graphql", params={"query": "{ __typename }"}),
            await http.post(
                "/graphql", json={"query": "{ __typename }", "extensions": apq("{ __typename }")}
            ),
        ):
            assert refused.status_code == 400
            assert error_of(refused)["extensions"]["code"] == "TRUSTED_DOCUMENT_REQUIRED"
        # The APQ attempt above registered nothing.
        never = await http.post("/graphql", json={"extensions": apq("{ __typename }")})
        assert error_of(never)["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_a_manifest_that_does_not_hash_to_its_keys_stops_the_start_up(settings, db, tmp_path):
    from dataclasses import replace

    path = tmp_path / "bad.json"
    path.write_text(json.dumps({sha("{ a }"): "{ b }"}))
    with pytest.raises(ConfigError, match="PARCOURSPRO_TRUSTED_DOCUMENTS"):
        create_app(replace(settings, trusted_documents=str(path)), db=db)


def test_trusted_only_needs_a_manifest():
    from parcourspro_gql.config import load_settings

    with pytest.raises(ConfigError, match="PARCOURSPRO_TRUSTED_DOCUMENTS_ONLY"):
        load_settings({"PARCOURSPRO_TRUSTED_DOCUMENTS_ONLY": "true", "PARCOURSPRO_SECRET_KEY": "s" * 40})
