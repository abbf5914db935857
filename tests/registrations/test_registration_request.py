"""registrationRequest (G1-G5) and the email to employers (G8)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import httpx
import pytest
from registration_ops import MOTIVATION, REFUSE, REQUEST, code, payload
from world import World, member_of, training_session

from parcourspro_gql.app import create_app
from parcourspro_gql.db import Database
from parcourspro_gql.models import AffiliationStatus, Role, TrainingFormat


@pytest.fixture
async def scene(world: World):
    provider = await world.structure("Institut de Formation")
    org = await world.structure("Mission Locale des Graves")
    employer = await world.person(org, Role.EMPLOYER)
    person = await world.person(org)
    return provider, org, employer, person


async def ask(world: World, who, seats, motivation: str = MOTIVATION) -> dict:
    return await world.as_(who, REQUEST, {"session": seats.session_id, "motivation": motivation})


async def test_request_waits_for_the_employer_who_is_emailed(world: World, scene, outbox):
    provider, _, employer, person = scene
    seats = await training_session(world, provider)
    registration = payload(await ask(world, person, seats))
    assert registration["errors"] == []
    assert registration["registration"] | {"id": None} == {
        "id": None,
        "status": "PENDING_EMPLOYER",
        "category": "REQUESTED",
        "overStructureCap": False,
        "employerDecision": None,
    }
    [message] = await outbox.deliver()
    assert message["To"] == employer.email
    assert "demande à suivre « Accueillir les publics »" in message.get_body(("plain",)).get_content()


@pytest.mark.parametrize(
    ("status", "verified", "expected"),
    [
        (AffiliationStatus.NONE, True, "NOT_AFFILIATED"),
        (AffiliationStatus.PENDING, True, "AFFILIATION_PENDING"),
        (AffiliationStatus.REFUSED, True, "NOT_AFFILIATED"),
        (AffiliationStatus.ACTIVE, False, "EMAIL_NOT_VERIFIED"),
    ],
)
async def test_only_active_verified_members_may_ask(world: World, scene, status, verified, expected):
    provider, org, _, _ = scene
    seats = await training_session(world, provider)
    who = await world.person(
        org if status is not AffiliationStatus.NONE else None, status=status, verified=verified
    )
    assert code(await ask(world, who, seats)) == expected


@pytest.mark.parametrize("motivation", ["Trop court", "x" * 2001, " " * 30])
async def test_motivation_between_20_and_2000_characters(world: World, scene, motivation):
    provider, _, _, person = scene
    body = await ask(world, person, await training_session(world, provider), motivation)
    assert payload(body)["errors"][0]["code"] == "INVALID_INPUT"
    assert payload(body)["errors"][0]["field"] == "motivation"


async def test_outside_the_window_is_closed(world: World, scene):
    provider, _, _, person = scene
    assert (
        code(await ask(world, person, await training_session(world, provider, open_=False)))
        == "REGISTRATION_CLOSED"
    )


async def test_reserved_trainings_need_the_year_s_membership(world: World, scene, clock):
    provider, org, _, person = scene
    seats = await training_session(world, provider, reserved=True, starts_in=timedelta(days=60))  # in 2027
    assert code(await ask(world, person, seats)) == "MEMBERSHIP_REQUIRED"
    await member_of(world, org, 2026)
    body = await ask(world, person, seats)
    assert payload(body)["errors"][0]["message"] == (
        "Action réservée aux structures adhérentes : la vôtre ne l'est pas pour 2027."
    )
    await member_of(world, org, 2027)
    assert code(await ask(world, person, seats)) == "ok"


async def test_one_session_per_training_until_refused_or_cancelled(world: World, scene):
    provider, _, employer, person = scene
    first = await training_session(world, provider)
    second = await training_session(
        world, provider, training_pk=first.training_pk, starts_in=timedelta(days=40)
    )
    registration_id = payload(await ask(world, person, first))["registration"]["id"]
    assert code(await ask(world, person, second)) == "ALREADY_REGISTERED_FOR_TRAINING"
    refused = await world.as_(employer, REFUSE, {"id": registration_id, "reason": "Pas cette année"})
    assert code(refused) == "ok"
    assert code(await ask(world, person, second)) == "ok"


async def test_yearly_quotas_say_what_is_used(world: World, scene, settings):
    provider, org, _, person = scene
    await member_of(world, org, 2026)
    for i in range(3):
        seats = await training_session(
            world, provider, title=f"Formation {i}", reserved=True, starts_in=timedelta(days=10 + i)
        )
        assert code(await ask(world, person, seats)) == "ok"
    fourth = await training_session(
        world, provider, title="Formation 4", reserved=True, starts_in=timedelta(days=20)
    )
    body = payload(await ask(world, person, fourth))
    assert body["errors"] == [
        {
            "code": "TRAINING_QUOTA_EXCEEDED",
            "message": "Vous avez déjà 3 formations sur 2026 (maximum 3).",
            "field": None,
        }
    ]
    for i in range(2):
        webinar = await training_session(
            world,
            provider,
            title=f"Webinaire {i}",
            format=TrainingFormat.WEBINAR,
            reserved=True,
            starts_in=timedelta(days=12 + i),
        )
        assert code(await ask(world, person, webinar)) == "ok"
    sixth = await training_session(
        world,
        provider,
        title="Lab",
        format=TrainingFormat.LAB_INNOV,
        reserved=True,
        starts_in=timedelta(days=25),
    )
    body = payload(await ask(world, person, sixth))
    assert body["errors"] == [
        {
            "code": "ANNUAL_QUOTA_EXCEEDED",
            "message": "Vous avez déjà 5 actions sur 2026 (maximum 5).",
            "field": None,
        }
    ]
    # Open trainings do not count.
    free = await training_session(world, provider, title="Ouverte à tous", starts_in=timedelta(days=15))
    assert code(await ask(world, person, free)) == "ok"


async def test_third_person_of_a_structure_is_flagged_over_the_cap(world: World, scene):
    provider, org, _, person = scene
    seats = await training_session(world, provider)
    flags = []
    for who in (person, await world.person(org), await world.person(org)):
        flags.append(payload(await ask(world, who, seats))["registration"]["overStructureCap"])
    assert flags == [False, False, True]


async def test_staggered_opening_allows_one_request_in_phase_one(world: World, scene, settings):
    provider, _, _, person = scene
    staggered = replace(settings, staggered_opening=True)
    db = Database.from_url(settings.database_url, staggered)
    app = create_app(staggered, db=db)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:

            async def ask_staggered(seats) -> dict:
                variables = {"session": seats.session_id, "motivation": MOTIVATION}
                headers = {"Authorization": f"Bearer {person.token}"}
                return (
                    await http.post(
                        "/graphql", json={"query": REQUEST, "variables": variables}, headers=headers
                    )
                ).json()

            first = await training_session(world, provider, title="A", second_phase_in=timedelta(days=5))
            second = await training_session(world, provider, title="B", second_phase_in=timedelta(days=5))
            after_phase = await training_session(world, provider, title="C")
            assert code(await ask_staggered(first)) == "ok"
            assert code(await ask_staggered(second)) == "PHASE_LIMIT_REACHED"
            assert code(await ask_staggered(after_phase)) == "ok"
    finally:
        await db.dispose()
