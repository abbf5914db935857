"""PARCOURSPRO_FAST_PATHS: on, the engine's shortcuts serve; off, the app is plain strawberry. And the
differential harness that compares the two on every read the tests send."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import httpx
import pytest
from differential import Differential, DifferentialMismatch
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from world import World, training_session

from parcourspro_gql.app import create_app
from parcourspro_gql.auth.tokens import AccessTokens
from parcourspro_gql.config import load_settings
from parcourspro_gql.engine.execution import FastPathExecutionContext
from parcourspro_gql.schema.schema import build_schema

TRAININGS = "{ trainings(first: 5) { edges { node { id title } } } }"


@pytest.fixture
def world(db: Any, settings: Any, gql: Any, clock: Any) -> World:
    return World(db, AccessTokens(settings), gql)


def test_the_switch_is_read_from_the_environment_and_on_by_default(tmp_path):
    assert load_settings({"PARCOURSPRO_VAR_DIR": str(tmp_path)}).fast_paths is True
    off = load_settings({"PARCOURSPRO_VAR_DIR": str(tmp_path), "PARCOURSPRO_FAST_PATHS": "false"})
    assert off.fast_paths is False


def test_off_the_schema_is_plain_strawberry():
    fast, plain = build_schema(production=False), build_schema(production=False, fast_paths=False)
    assert fast.execution_context_class is FastPathExecutionContext
    assert plain.execution_context_class is StrawberryGraphQLCoreExecutionContext
    assert len(fast.fast_fields.leaves) > 50
    assert plain.fast_fields.count == 0
    assert str(fast) == str(plain)  # the same API either way


async def test_off_the_app_answers_as_on(settings, db, world):
    """Both apps, one database: the same reads give the same bytes (the harness, here explicitly)."""
    provider = await world.structure("Institut de Formation")
    await training_session(world, provider)
    answers = []
    for fast_paths in (True, False):
        app = create_app(replace(settings, fast_paths=fast_paths), db=db)
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            response = await http.post("/graphql", json={"query": TRAININGS})
        answers.append((response.status_code, response.content))
    assert answers[0] == answers[1]
    assert b'"title"' in answers[0][1]


async def test_the_harness_compares_reads_and_leaves_mutations_alone(settings, client, differential, gql):
    if differential is None:
        pytest.skip("the harness runs in the fast-paths-on passes; this pass is the plain one")
    before = differential.compared
    await gql(TRAININGS)
    await gql("query Named { __typename }")
    await gql("{ notAField }")  # refused by validation: nothing runs, so it is compared too
    assert differential.compared == before + 3
    await gql('mutation { login(input: {email: "x@example.org", password: "y"}) { errors { code } } }')
    assert differential.compared == before + 3


async def test_the_harness_fails_the_test_when_the_answers_differ(app):
    """A twin that answers otherwise: the request raises, with both answers in the message."""

    async def other(_: Any) -> JSONResponse:
        return JSONResponse({"data": {"__typename": "Mutation"}})

    twin = Starlette(routes=[Route("/graphql", other, methods=["POST"])])
    transport = httpx.ASGITransport(app=Differential(app, twin), client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        with pytest.raises(DifferentialMismatch, match="fast paths on") as raised:
            await http.post("/graphql", json={"query": "{ __typename }"})
    assert '"Query"' in str(raised.value)
    assert '"Mutation"' in str(raised.value)
