"""Favourites: a logged-in person keeps trainings aside and finds them again."""

from __future__ import annotations

from registration_ops import code
from world import World, training_session

ADD = "mutation($id: ID!) { favouriteAdd(input: {trainingId: $id}) { training { title isFavourite } errors { code } } }"
REMOVE = "mutation($id: ID!) { favouriteRemove(input: {trainingId: $id}) { training { isFavourite } errors { code } } }"
MINE = "{ me { favourites { totalCount edges { node { title isFavourite } } } } }"


async def test_add_list_and_remove_favourites(world: World):
    provider = await world.structure()
    first = await training_session(world, provider, title="Accueillir")
    second = await training_session(world, provider, title="Orienter")
    person = await world.person(await world.structure())
    added = (await world.as_(person, ADD, {"id": first.training_id}))["data"]["favouriteAdd"]
    assert added == {"training": {"title": "Accueillir", "isFavourite": True}, "errors": []}
    await world.as_(person, ADD, {"id": first.training_id})  # twice: still one
    await world.as_(person, ADD, {"id": second.training_id})
    mine = (await world.as_(person, MINE))["data"]["me"]["favourites"]
    assert mine["totalCount"] == 2
    assert [edge["node"]["title"] for edge in mine["edges"]] == ["Accueillir", "Orienter"]
    removed = (await world.as_(person, REMOVE, {"id": first.training_id}))["data"]["favouriteRemove"]
    assert removed == {"training": {"isFavourite": False}, "errors": []}
    assert (await world.as_(person, MINE))["data"]["me"]["favourites"]["totalCount"] == 1
    # Somebody else's favourites stay his own.
    other = await world.person(await world.structure())
    assert (await world.as_(other, MINE))["data"]["me"]["favourites"]["totalCount"] == 0
    assert code(await world.as_(None, ADD, {"id": first.training_id})) == "UNAUTHENTICATED"
    anonymous = await world.as_(None, "{ trainings { edges { node { isFavourite } } } }")
    assert {edge["node"]["isFavourite"] for edge in anonymous["data"]["trainings"]["edges"]} == {False}


async def test_simultaneous_adds_and_removes_all_succeed(world: World):
    """Found by the two-worker load test: a double click must not answer "Erreur interne"."""
    import asyncio

    training = await training_session(world, await world.structure())
    person = await world.person(await world.structure())
    adds = await asyncio.gather(*(world.as_(person, ADD, {"id": training.training_id}) for _ in range(6)))
    assert {code(answer) for answer in adds} == {"ok"}
    assert (await world.as_(person, MINE))["data"]["me"]["favourites"]["totalCount"] == 1
    removes = await asyncio.gather(
        *(world.as_(person, REMOVE, {"id": training.training_id}) for _ in range(6))
    )
    assert {code(answer) for answer in removes} == {"ok"}
    assert (await world.as_(person, MINE))["data"]["me"]["favourites"]["totalCount"] == 0
