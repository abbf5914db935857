"""Searches' totalCount comes with their page (issue 19): the search runs once, whatever the page."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from test_catalogue import CREATE, training_input
from world import World, training_session

from parcourspro_gql.models import StructureStatus, Training

TRAININGS = """
query($after: String) {
  trainings(search: "accueil", first: 2, after: $after) {
    ...counted edges { node { title } } pageInfo { hasNextPage endCursor }
  }
}
fragment counted on TrainingConnection { totalCount }
"""
STRUCTURES = """
query($after: String) {
  structures(search: "pessac", first: 2, after: $after) {
    totalCount edges { node { name } } pageInfo { hasNextPage endCursor }
  }
}
"""
RENAME = """
mutation($input: StructureUpdateInput!) { structureUpdate(input: $input) { errors { code } } }
"""


def reading(statements, table: str) -> list[str]:
    return [s for s in statements.statements if f"FROM {table}" in s]


async def test_trainings_search_counts_in_its_page_statement(world: World, statements) -> None:
    provider = await world.structure("Institut de Formation")
    for title in ("Accueil A", "Accueil B", "Accueil C", "Accueil D", "Accueil E", "Webinaire métiers"):
        await training_session(world, provider, title=title)
    after, seen = None, []
    for _ in range(3):
        statements.statements.clear()
        page = (await world.as_(None, TRAININGS, {"after": after}))["data"]["trainings"]
        # One statement reads the trainings and their count: none runs the search a second time.
        assert len(reading(statements, "trainings")) == 1
        assert page["totalCount"] == 5
        seen += [edge["node"]["title"] for edge in page["edges"]]
        after = page["pageInfo"]["endCursor"]
    assert seen == ["Accueil A", "Accueil B", "Accueil C", "Accueil D", "Accueil E"]
    assert page["pageInfo"]["hasNextPage"] is False
    # Without totalCount, the page does not count.
    statements.statements.clear()
    await world.as_(None, '{ trainings(search: "accueil", first: 2) { edges { node { title } } } }')
    assert not any("count(" in s.lower() for s in reading(statements, "trainings"))
    # A cursor past the last row: no row carries the total, so it is counted on its own.
    past = (await world.as_(None, TRAININGS, {"after": after}))["data"]["trainings"]
    assert (past["edges"], past["totalCount"]) == ([], 5)


async def test_structures_search_counts_in_its_page_statement(world: World, statements) -> None:
    for name in ("Mission Locale Pessac", "Cap emploi Pessac", "PLIE Pessac", "Mission Locale Talence"):
        await world.structure(name)
    statements.statements.clear()
    first = (await world.as_(None, STRUCTURES))["data"]["structures"]
    assert (first["totalCount"], len(first["edges"]), first["pageInfo"]["hasNextPage"]) == (3, 2, True)
    assert len(reading(statements, "structures")) == 1
    statements.statements.clear()
    second = (await world.as_(None, STRUCTURES, {"after": first["pageInfo"]["endCursor"]}))["data"][
        "structures"
    ]
    assert second["totalCount"] == 3
    assert [e["node"]["name"] for e in first["edges"] + second["edges"]] == [
        "Cap emploi Pessac",
        "Mission Locale Pessac",
        "PLIE Pessac",
    ]
    assert len(reading(statements, "structures")) == 1


async def test_training_search_words_answer_as_the_whole_text(world: World) -> None:
    """search_text keeps each word once (migration 0013): a fragment, punctuation included, is found as in
    the text, and only words of the text are."""
    provider = await world.structure("Institut de Formation")
    manager = await world.manager()
    text = {
        "description": "Vers l'emploi, l'emploi durable : l'Emploi accompagné.",
        "objectives": "Savoir faire.",
    }
    created = (await world.as_(manager, CREATE, training_input(provider.id, **text)))["data"][
        "trainingCreate"
    ]
    assert created["errors"] == []
    async with world.db.read() as session:
        stored = (await session.execute(select(Training.search_text))).scalar_one()
    assert stored == "accompagner vers l'emploi l'emploi, durable : accompagne. savoir faire."
    for word, found in (
        ("L'EMPLOI", 1),
        ("mploi", 1),
        ("accompagne", 1),
        ("emploi durable", 1),
        ("pratique", 0),
    ):
        page = await world.as_(
            None, "query($s: String) { trainings(search: $s) { totalCount } }", {"s": word}
        )
        assert page["data"]["trainings"]["totalCount"] == found, word


async def test_structure_search_orders_by_the_current_name_and_skips_pending(world: World) -> None:
    """The terms carry the name (migration 0014): a rename reorders the search, and structures waiting for a
    manager are neither listed nor counted."""
    first = await world.structure("Cap emploi Pessac")
    await world.structure("PLIE Pessac")
    await world.structure("Zeste Pessac", status=StructureStatus.PENDING)
    manager = await world.manager()
    address = {"street": "1 rue", "postalCode": "33600", "city": "Pessac"}
    rename = {"structureId": first.id, "name": "Relais Pessac", "apeCode": "8899b", "reason": "Nom"}
    rename["address"] = address
    assert (await world.as_(manager, RENAME, {"input": rename}))["data"]["structureUpdate"]["errors"] == []
    found = (await world.as_(None, STRUCTURES))["data"]["structures"]
    assert found["totalCount"] == 2
    assert [edge["node"]["name"] for edge in found["edges"]] == ["PLIE Pessac", "Relais Pessac"]


SESSIONS = """
query($after: String) {
  sessions(search: "accueil", first: 2, after: $after) {
    totalCount edges { node { training { title provider { name } } } } pageInfo { hasNextPage endCursor }
  }
}
"""


async def test_sessions_search_counts_in_its_page_statement(world: World, statements) -> None:
    """sessions(search:) with totalCount reads its matches once: the count comes with the page."""
    provider = await world.structure("Institut de Formation")
    for days, title in enumerate(("Accueil A", "Accueil B", "Accueil C", "Webinaire métiers"), 1):
        await training_session(world, provider, title=title, starts_in=timedelta(days=10 * days))
    after, seen = None, []
    for _ in range(2):
        statements.reset()
        page = (await world.as_(None, SESSIONS, {"after": after}))["data"]["sessions"]
        assert len(reading(statements, "training_sessions")) == 1
        assert page["totalCount"] == 3
        seen += [edge["node"]["training"]["title"] for edge in page["edges"]]
        after = page["pageInfo"]["endCursor"]
    assert seen == ["Accueil A", "Accueil B", "Accueil C"]
    assert {edge["node"]["training"]["provider"]["name"] for edge in page["edges"]} == {
        "Institut de Formation"
    }
    past = (await world.as_(None, SESSIONS, {"after": after}))["data"]["sessions"]
    assert (past["edges"], past["totalCount"]) == ([], 3)
