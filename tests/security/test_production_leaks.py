"""X5: production leaks nothing by suggestion, refuses `seed-demo`, and stops the access tokens of a refresh
family whose reuse was detected."""

from __future__ import annotations

import argparse
from dataclasses import replace
from datetime import timedelta

import pytest
from accounts_support import ME, REFRESH, People
from sqlalchemy import func, select

from parcourspro_gql.cli import cmd_seed_demo
from parcourspro_gql.models import Account

PRODUCTION = {"env": "production", "secret_key": "p" * 48}

MISSPELT = [
    ('{ structures(serch: "x") { totalCount } }', None),  # an argument
    ("{ structurez { totalCount } }", None),  # a field
    ("query($f: TrainingFormatt) { trainings(format: $f) { totalCount } }", None),  # a type
    ("{ trainings(format: FORMATIO) { totalCount } }", None),  # an enum value, literal
    (
        "query($f: TrainingFormat) { trainings(format: $f) { totalCount } }",
        {"f": "FORMATIO"},
    ),  # in a variable
    ("{ structures { edges { node { nme } } } }", None),
]


@pytest.mark.parametrize(("document", "variables"), MISSPELT)
async def test_production_suggests_no_name(client_of, attack, document, variables):
    production = client_of(**PRODUCTION)
    attack.client = production
    measured = await attack.post({"query": document, "variables": variables})
    body = measured.json()
    assert body["errors"]
    assert all("Did you mean" not in error["message"] for error in body["errors"]), body


async def test_development_still_suggests(client):
    body = (await client.post("/graphql", json={"query": '{ structures(serch: "x") { totalCount } }'})).json()
    assert "Did you mean" in body["errors"][0]["message"]


async def test_seed_demo_is_refused_in_production(settings, db, capsys):
    assert cmd_seed_demo(replace(settings, **PRODUCTION), argparse.Namespace()) == 2
    assert "refusé en production" in capsys.readouterr().err
    async with db.read() as session:
        assert await session.scalar(select(func.count()).select_from(Account)) == 0


@pytest.fixture
def people(gql, outbox, token_from) -> People:
    return People(gql, outbox, token_from)


async def test_access_tokens_of_a_family_whose_reuse_is_detected_stop(people, gql, clock):
    await people.verified()
    first = await people.login()
    other_device = await people.login()  # another family: not concerned
    rotated = (await gql(REFRESH, {"token": first["refreshToken"]}))["data"]["refreshToken"]
    assert (await gql(ME, token=rotated["accessToken"]))["data"]["me"] is not None
    # The first refresh token, already rotated, is presented again past the grace window that two tabs
    # refreshing at once get (PARCOURSPRO_REFRESH_REUSE_GRACE_SECONDS, 30 s): stolen. Its family is revoked...
    clock.advance(timedelta(minutes=1))
    reuse = (await gql(REFRESH, {"token": first["refreshToken"]}))["data"]["refreshToken"]
    assert reuse["errors"][0]["code"] == "INVALID_TOKEN"
    # ... and so are the access tokens issued to it, at once (served from the account cache or not).
    for token in (first["accessToken"], rotated["accessToken"]):
        assert (await gql(ME, token=token))["data"]["me"] is None
    assert (await gql(ME, token=other_device["accessToken"]))["data"]["me"]["email"] == "camille@example.org"
