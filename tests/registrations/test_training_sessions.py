"""Training.sessions: upcoming sessions first (soonest first), then those that have started (latest first),
paged, with a number of statements that does not grow with the trainings or their history (issue 19)."""

from __future__ import annotations

from datetime import timedelta

from world import World, training_session

from parcourspro_gql.clock import clock
from parcourspro_gql.models import TrainingSession

CATALOGUE = """
query($first: Int, $after: String) {
  trainings(first: 50) { edges { node { title
    sessions(first: $first, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } edges { node { startsAt location } }
    }
  } } }
}
"""


async def add_session(world: World, training_pk: int, starts_in: timedelta, location: str) -> None:
    starts = clock.now() + starts_in
    async with world.db.transaction() as session:
        session.add(
            TrainingSession(
                training_id=training_pk,
                starts_at=starts,
                ends_at=starts + timedelta(hours=7),
                location=location,
                capacity=10,
                seats_taken=0,
                registration_opens_at=starts - timedelta(days=60),
                registration_closes_at=starts - timedelta(days=1),
                created_at=starts - timedelta(days=90),
                contact="",
            )
        )


async def test_upcoming_sessions_come_first_then_the_latest_past_ones(world: World):
    provider = await world.structure("Institut de Formation")
    seats = await training_session(world, provider, starts_in=timedelta(days=30))  # "Cap Métiers, Pessac"
    for days, location in ((-400, "il y a 400 jours"), (-10, "il y a 10 jours"), (5, "dans 5 jours")):
        await add_session(world, seats.training_pk, timedelta(days=days), location)

    def locations(body: dict) -> list[str]:
        sessions = body["data"]["trainings"]["edges"][0]["node"]["sessions"]
        return [edge["node"]["location"] for edge in sessions["edges"]]

    everything = await world.as_(None, CATALOGUE, {"first": 10})
    assert locations(everything) == [
        "dans 5 jours",
        "Cap Métiers, Pessac",
        "il y a 10 jours",
        "il y a 400 jours",
    ]
    assert everything["data"]["trainings"]["edges"][0]["node"]["sessions"]["totalCount"] == 4

    first = await world.as_(None, CATALOGUE, {"first": 2})
    page = first["data"]["trainings"]["edges"][0]["node"]["sessions"]
    assert locations(first) == ["dans 5 jours", "Cap Métiers, Pessac"]
    assert (page["totalCount"], page["pageInfo"]["hasNextPage"]) == (4, True)
    second = await world.as_(None, CATALOGUE, {"first": 2, "after": page["pageInfo"]["endCursor"]})
    assert locations(second) == ["il y a 10 jours", "il y a 400 jours"]
    assert second["data"]["trainings"]["edges"][0]["node"]["sessions"]["pageInfo"]["hasNextPage"] is False

    # Time passes: the session that was 5 days ahead has started and joins the past ones, latest first.
    clock.advance(timedelta(days=6))
    assert locations(await world.as_(None, CATALOGUE, {"first": 10})) == [
        "Cap Métiers, Pessac",
        "dans 5 jours",
        "il y a 10 jours",
        "il y a 400 jours",
    ]


async def test_a_catalogue_page_reads_sessions_in_one_statement_whatever_their_number(
    world: World, statements
):
    provider = await world.structure("Institut de Formation")
    counts = []
    for trainings in (2, 8):
        for i in range(trainings):
            seats = await training_session(world, provider, title=f"Formation {trainings}-{i}")
            for days in range(1, 3 + i % 3):  # more sessions than the page shows, a history of its own
                await add_session(world, seats.training_pk, timedelta(days=-days), f"passée {days}")
        statements.reset()
        body = await world.as_(None, CATALOGUE, {"first": 2})
        assert "errors" not in body, body
        assert all(len(edge["node"]["sessions"]["edges"]) <= 2 for edge in body["data"]["trainings"]["edges"])
        counts.append(statements.count)
    # The page of trainings (and its count), the first sessions of each, and their counts: not one per training.
    assert counts[0] == counts[1], counts
