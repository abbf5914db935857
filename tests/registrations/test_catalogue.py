"""trainingCreate, trainingSessionCreate and the public catalogue (T1, T2)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from registration_ops import code, payload
from world import World, training_session

from parcourspro_gql.clock import clock
from parcourspro_gql.models import Role, TrainingFormat
from parcourspro_gql.schema.relay import to_global_id

CREATE = """
mutation($input: TrainingCreateInput!) {
  trainingCreate(input: $input) {
    training { id title format reservedToMembers durationHours provider { name } sessions { totalCount } }
    errors { code field }
  }
}
"""
CREATE_SESSION = """
mutation($input: TrainingSessionCreateInput!) {
  trainingSessionCreate(input: $input) {
    session { capacity seatsLeft location training { title } } errors { code field }
  }
}
"""
CATALOGUE = """
query($search: String, $format: TrainingFormat) {
  trainings(search: $search, format: $format) { totalCount edges { node {
    title format provider { name } sessions { totalCount edges { node { seatsLeft location } } }
  } } }
}
"""


def training_input(provider_id: str, **overrides: object) -> dict:
    return {
        "input": {
            "title": "Accompagner vers l'emploi",
            "description": "Trois jours de pratique.",
            "objectives": "Savoir faire.",
            "format": "FORMATION",
            "reservedToMembers": True,
            "durationHours": 21,
            "providerStructureId": provider_id,
        }
        | overrides
    }


def session_input(training_id: str, **overrides: object) -> dict:
    start = clock.now() + timedelta(days=30)
    return {
        "input": {
            "trainingId": training_id,
            "startsAt": start.isoformat(),
            "endsAt": (start + timedelta(hours=7)).isoformat(),
            "location": "Pessac",
            "capacity": 12,
            "registrationOpensAt": clock.now().isoformat(),
            "registrationClosesAt": (start - timedelta(days=3)).isoformat(),
        }
        | overrides
    }


async def test_managers_create_trainings_and_providers_their_sessions(world: World):
    provider = await world.structure("Institut de Formation")
    trainer = await world.person(provider, Role.PROVIDER)
    manager = await world.manager()
    created = payload(await world.as_(manager, CREATE, training_input(provider.id)))
    assert created["errors"] == []
    assert created["training"] | {"id": None} == {
        "id": None,
        "title": "Accompagner vers l'emploi",
        "format": "FORMATION",
        "reservedToMembers": True,
        "durationHours": 21.0,
        "provider": {"name": "Institut de Formation"},
        "sessions": {"totalCount": 0},
    }
    assert code(await world.as_(trainer, CREATE, training_input(provider.id))) == "FORBIDDEN"
    training_id = created["training"]["id"]
    opened = payload(await world.as_(trainer, CREATE_SESSION, session_input(training_id)))
    assert opened == {
        "session": {
            "capacity": 12,
            "seatsLeft": 12,
            "location": "Pessac",
            "training": {"title": "Accompagner vers l'emploi"},
        },
        "errors": [],
    }
    stranger = await world.person(await world.structure("Autre organisme"), Role.PROVIDER)
    assert code(await world.as_(stranger, CREATE_SESSION, session_input(training_id))) == "FORBIDDEN"
    assert code(await world.as_(manager, CREATE_SESSION, session_input(training_id))) == "ok"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"capacity": 0}, "capacity"),
        ({"location": " "}, "location"),
        ({"startsAt": "2020-01-01T09:00:00+00:00"}, "startsAt"),
        ({"registrationClosesAt": "2099-01-01T09:00:00+00:00"}, "registrationClosesAt"),
        ({"endsAt": "2026-01-01T09:00:00"}, "endsAt"),
    ],
)
async def test_session_dates_capacity_and_window_are_checked(world: World, overrides, field):
    provider = await world.structure()
    manager = await world.manager()
    training_id = payload(await world.as_(manager, CREATE, training_input(provider.id)))["training"]["id"]
    errors = payload(await world.as_(manager, CREATE_SESSION, session_input(training_id, **overrides)))[
        "errors"
    ]
    assert [(e["code"], e["field"]) for e in errors] == [("INVALID_INPUT", field)]


async def test_training_input_is_checked(world: World):
    manager = await world.manager()
    provider = await world.structure()
    bad = [({"durationHours": 0}, "durationHours"), ({"title": "AB"}, "title")]
    for overrides, field in bad:
        errors = payload(await world.as_(manager, CREATE, training_input(provider.id, **overrides)))["errors"]
        assert [(e["code"], e["field"]) for e in errors] == [("INVALID_INPUT", field)]
    unknown = payload(await world.as_(manager, CREATE, training_input(to_global_id("Structure", 999))))[
        "errors"
    ]
    assert unknown == [{"code": "NOT_FOUND", "field": "providerStructureId"}]


async def test_catalogue_is_public_searchable_and_filtered_by_format(world: World, statements):
    provider = await world.structure("Institut de Formation")
    seats = await training_session(world, provider, title="Accueillir les publics en insertion", capacity=12)
    await training_session(world, provider, title="Webinaire métiers", format=TrainingFormat.WEBINAR)
    await training_session(world, provider, training_pk=seats.training_pk, starts_in=timedelta(days=50))
    everything = (await world.as_(None, CATALOGUE))["data"]["trainings"]
    assert everything["totalCount"] == 2
    found = (await world.as_(None, CATALOGUE, {"search": "ACCUEILLIR insertion"}))["data"]["trainings"]
    assert [e["node"]["title"] for e in found["edges"]] == ["Accueillir les publics en insertion"]
    assert found["edges"][0]["node"]["sessions"]["totalCount"] == 2
    webinars = (await world.as_(None, CATALOGUE, {"format": "WEBINAR"}))["data"]["trainings"]
    assert [e["node"]["format"] for e in webinars["edges"]] == ["WEBINAR"]
    statements.reset()
    await world.as_(None, CATALOGUE)
    few = statements.count
    for i in range(15):
        await training_session(world, provider, title=f"Formation {i}")
    statements.reset()
    await world.as_(None, CATALOGUE)
    assert statements.count == few
