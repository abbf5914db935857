"""Query.sessions (upcoming sessions, soonest first, with filters each alone and combined) and
Query.providerSessions (a provider's own, upcoming or past)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update
from world import Org, Seats, World, training_session

from parcourspro_gql.auth.tokens import AccessTokens
from parcourspro_gql.clock import clock as app_clock
from parcourspro_gql.models import Role, TrainingFormat, TrainingSession

SESSIONS = """
query($search: String, $format: TrainingFormat, $from: Date, $to: Date, $city: String, $seats: Boolean,
      $members: Boolean, $provider: ID, $first: Int, $after: String) {
  sessions(search: $search, format: $format, from: $from, to: $to, city: $city, withSeatsLeft: $seats,
           reservedToMembers: $members, providerStructureId: $provider, first: $first, after: $after) {
    edges { cursor node { id location seatsLeft status training { title format provider { name } } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
PROVIDER_SESSIONS = """
query($past: Boolean, $first: Int, $after: String) {
  providerSessions(past: $past, first: $first, after: $after) {
    edges { node { id startsAt status training { title } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


@pytest.fixture
def world(db: Any, settings: Any, gql: Any, clock: Any) -> World:
    return World(db, AccessTokens(settings), gql)


class Catalogue:
    """Two providers and sessions that differ in one respect each from the plain one."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.sessions: dict[str, Seats] = {}

    async def build(self) -> Catalogue:
        world = self.world
        self.institute: Org = await world.structure("Institut Aquitain")
        self.other: Org = await world.structure("Organisme Landais")
        add = self.add
        await add("plain", self.institute, title="Accueillir les publics", starts_in=timedelta(days=30))
        await add("soon", self.institute, title="Accompagner vers l'emploi", starts_in=timedelta(days=5))
        await add("webinar", self.institute, title="Numérique et inclusion", format=TrainingFormat.WEBINAR)
        await add("merignac", self.institute, title="Handicap et travail", location="Espace Mérignac Centre")
        await add("members", self.institute, title="Référent handicap", reserved=True)
        await add("landes", self.other, title="Handicap : accueillir", location="Mont-de-Marsan")
        await add("full", self.other, title="Orientation tout au long de la vie", capacity=1)
        async with world.db.transaction() as session:
            await session.execute(
                update(TrainingSession)
                .where(TrainingSession.id == self.sessions["full"].session_pk)
                .values(seats_taken=1)
            )
        # Never listed: one that started, one cancelled.
        await add("started", self.institute, title="Déjà commencée", starts_in=timedelta(days=-3))
        await add("cancelled", self.institute, title="Annulée")
        async with world.db.transaction() as session:
            await session.execute(
                update(TrainingSession)
                .where(TrainingSession.id == self.sessions["cancelled"].session_pk)
                .values(cancelled_at=app_clock.now(), cancellation_reason="Formateur indisponible")
            )
        return self

    async def add(
        self, name: str, provider: Org, *, starts_in: timedelta | None = None, **options: Any
    ) -> None:
        # Distinct starts (an hour apart) so that "soonest first" is one order.
        starts_in = starts_in or timedelta(days=40, hours=len(self.sessions))
        self.sessions[name] = await training_session(self.world, provider, starts_in=starts_in, **options)

    def names(self, body: dict[str, Any]) -> list[str]:
        by_id = {seats.session_id: name for name, seats in self.sessions.items()}
        assert "errors" not in body, body
        return [by_id[edge["node"]["id"]] for edge in body["data"]["sessions"]["edges"]]

    async def ask(self, **variables: Any) -> list[str]:
        return self.names(await self.world.as_(None, SESSIONS, {"first": 50, **variables}))


@pytest.fixture
async def catalogue(world: World) -> Catalogue:
    return await Catalogue(world).build()


UPCOMING = ["soon", "plain", "webinar", "merignac", "members", "landes", "full"]


async def test_upcoming_sessions_soonest_first_without_started_or_cancelled_ones(catalogue: Catalogue):
    assert await catalogue.ask() == UPCOMING


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"search": "handicap"}, ["merignac", "members", "landes"]),
        ({"search": "HANDICAP accueillir"}, ["landes"]),
        ({"search": "référent"}, ["members"]),
        ({"format": "WEBINAR"}, ["webinar"]),
        ({"city": "merignac"}, ["merignac"]),
        ({"city": "MONT-DE"}, ["landes"]),
        ({"city": "%"}, []),
        ({"seats": True}, ["soon", "plain", "webinar", "merignac", "members", "landes"]),
        ({"seats": False}, UPCOMING),
        ({"members": True}, ["members"]),
        ({"members": False}, ["soon", "plain", "webinar", "merignac", "landes", "full"]),
    ],
)
async def test_each_filter_alone(catalogue: Catalogue, variables: dict[str, Any], expected: list[str]):
    assert await catalogue.ask(**variables) == expected


async def test_the_provider_filter(catalogue: Catalogue):
    assert await catalogue.ask(provider=catalogue.other.id) == ["landes", "full"]
    # An id of something else, or of nobody, matches nothing rather than failing.
    assert await catalogue.ask(provider=catalogue.sessions["plain"].session_id) == []


async def test_dates_are_paris_days_both_included(world: World, clock):
    provider = await world.structure()
    # 31 December 23:30 UTC is 1 January 00:30 in Paris: a session of the 1st, not of the 31st.
    now = app_clock.now()
    new_year = datetime(now.year + 1, 12, 31, 23, 30, tzinfo=UTC)
    seats = await training_session(world, provider, starts_in=new_year - now)
    catalogue = Catalogue(world)
    catalogue.sessions["new year"] = seats
    day = f"{now.year + 2}-01-01"
    assert await catalogue.ask(**{"from": day}) == ["new year"]
    assert await catalogue.ask(to=day) == ["new year"]
    assert await catalogue.ask(to=f"{now.year + 1}-12-31") == []
    assert await catalogue.ask(**{"from": f"{now.year + 2}-01-02"}) == []


async def test_filters_combine(catalogue: Catalogue):
    assert await catalogue.ask(search="handicap", provider=catalogue.institute.id, members=False) == [
        "merignac"
    ]
    today = app_clock.now().date()
    window = {"from": str(today + timedelta(days=1)), "to": str(today + timedelta(days=30))}
    assert await catalogue.ask(**window) == ["soon", "plain"]
    assert await catalogue.ask(**window, search="emploi") == ["soon"]
    assert await catalogue.ask(format="WEBINAR", city="pessac", seats=True) == ["webinar"]


async def test_pages_follow_by_cursor_in_one_statement_each(catalogue: Catalogue, statements):
    seen: list[str] = []
    after = None
    counts = []
    while True:
        statements.reset()
        body = await catalogue.world.as_(None, SESSIONS, {"first": 3, "after": after})
        counts.append(statements.count)
        seen += catalogue.names(body)
        info = body["data"]["sessions"]["pageInfo"]
        if not info["hasNextPage"]:
            break
        after = info["endCursor"]
    assert seen == UPCOMING
    # Each page, with every session's training and provider: one statement.
    assert counts == [1] * len(counts)


async def test_providers_see_their_own_sessions_upcoming_or_past(catalogue: Catalogue, world: World):
    trainer = await world.person(catalogue.institute, Role.PROVIDER)

    async def own(past: bool | None) -> list[str]:
        body = await world.as_(trainer, PROVIDER_SESSIONS, {"past": past, "first": 50})
        by_id = {seats.session_id: name for name, seats in catalogue.sessions.items()}
        assert "errors" not in body, body
        return [by_id[edge["node"]["id"]] for edge in body["data"]["providerSessions"]["edges"]]

    # Still to end (the one that started three days ago ended a day and 8 hours later), cancelled included.
    assert await own(None) == ["soon", "plain", "webinar", "merignac", "members", "cancelled"]
    assert await own(True) == ["started"]
    await training_session(world, catalogue.institute, title="Plus ancienne", starts_in=timedelta(days=-9))
    body = await world.as_(trainer, PROVIDER_SESSIONS, {"past": True, "first": 1})
    first_page = body["data"]["providerSessions"]
    assert [edge["node"]["training"]["title"] for edge in first_page["edges"]] == ["Déjà commencée"]
    after = first_page["pageInfo"]["endCursor"]
    body = await world.as_(trainer, PROVIDER_SESSIONS, {"past": True, "first": 1, "after": after})
    assert [edge["node"]["training"]["title"] for edge in body["data"]["providerSessions"]["edges"]] == [
        "Plus ancienne"
    ]


async def test_only_providers_have_a_list_of_their_own(catalogue: Catalogue, world: World):
    employer = await world.person(catalogue.institute, Role.EMPLOYER)
    for who in (employer, await world.manager()):
        body = await world.as_(who, PROVIDER_SESSIONS, {})
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = await world.as_(None, PROVIDER_SESSIONS, {})
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
async def test_dates_out_of_range_are_refused_clearly(world: World, day: str):
    for name in ("from", "to"):
        body = await world.as_(None, SESSIONS, {name: day})
        assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
