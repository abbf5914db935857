"""Whole queries answered by an operation plan (engine/operations.py): a screen's query runs its few resolvers
and plans without strawberry's operation pipeline nor graphql-core's executor, and gives the same bytes as the
normal way (with the fast paths on, the differential harness compares every answer below with the app whose
fast paths are off). Whatever does not fit a plan (a resolver's error, a refused argument or variable, a
resolver below a list, a directive, introspection, a mutation) runs the normal way, with its usual errors."""

from __future__ import annotations

from typing import Any

import pytest
import strawberry
from differential import TWIN_RUNNING
from registration_ops import code
from test_views import populate
from world import World

HISTORY = """{ me { registrations(first: 20) { edges { node { id status category requestedAt
  session { startsAt location training { title format } } } } } } }"""
OVERVIEW = """{ employerOverview { pendingCount validatedCount refusedCount
  registrations(first: 100) { edges { node { id status requestedAt
    beneficiary { id firstName lastName }
    session { id startsAt endsAt training { id title } } } } } } }"""


@pytest.fixture
def normal_runs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The documents that strawberry's own execution ran for the app under test (the twin of the
    differential harness, whose fast paths are off, is left out)."""
    ran: list[str] = []
    execute = strawberry.Schema.execute

    async def counted(self: Any, query: str | None, *args: Any, **kwargs: Any) -> Any:
        if not TWIN_RUNNING.get():
            ran.append(query or "")
        return await execute(self, query, *args, **kwargs)

    monkeypatch.setattr(strawberry.Schema, "execute", counted)
    return ran


async def test_screen_queries_are_answered_by_their_plan(world: World, settings: Any, normal_runs: list[str]):
    _, _, _, employer, person, _ = await populate(world, 6, one_person=True)
    history = await world.as_(person, HISTORY)
    assert "errors" not in history, history
    nodes = [edge["node"] for edge in history["data"]["me"]["registrations"]["edges"]]
    assert len(nodes) == 6
    assert list(nodes[0]) == ["id", "status", "category", "requestedAt", "session"]
    assert history["extensions"]["cost"]["requested"] > 0
    overview = await world.as_(employer, OVERVIEW)
    assert overview["data"]["employerOverview"]["pendingCount"] == 1
    assert len(overview["data"]["employerOverview"]["registrations"]["edges"]) == 6
    # Variables, aliases, fragments, __typename and two root fields: planned too.
    both = await world.as_(
        person,
        """query Both($n: Int) { __typename
             mine: me { ...Me registrations(first: $n) { totalCount edges { cursor node { id } } } }
             again: me { lastName } }
           fragment Me on Account { __typename firstName }""",
        {"n": 2},
    )
    assert "errors" not in both, both
    assert list(both["data"]) == ["__typename", "mine", "again"]
    assert list(both["data"]["mine"]) == ["__typename", "firstName", "registrations"]
    assert both["data"]["mine"]["registrations"]["totalCount"] == 6
    assert len(both["data"]["mine"]["registrations"]["edges"]) == 2
    # Fields with resolvers and plain fields interleaved keep the document's order.
    mixed = await world.as_(
        employer,
        "{ employerOverview { pendingCount registrations(first: 1) { totalCount } refusedCount } }",
    )
    assert list(mixed["data"]["employerOverview"]) == ["pendingCount", "registrations", "refusedCount"]
    if settings.fast_paths:
        assert normal_runs == []
    else:
        assert len(normal_runs) == 4  # the plain app: every operation the normal way


async def test_what_does_not_fit_a_plan_runs_the_normal_way_with_its_errors(
    world: World, settings: Any, normal_runs: list[str]
):
    _, _, _, employer, person, _ = await populate(world, 3, one_person=True)
    # A resolver's refusal: the error at its path, with the normal way's null.
    refused = await world.as_(person, OVERVIEW)
    assert code(refused) == "FORBIDDEN"
    assert refused["errors"][0]["path"] == ["employerOverview"]
    assert refused["data"] is None
    # An argument the resolver refuses, and a variable that does not coerce.
    assert (
        code(await world.as_(person, "{ me { registrations(first: -1) { totalCount } } }")) == "INVALID_INPUT"
    )
    wrong = await world.as_(
        person, "query($n: Int) { me { registrations(first: $n) { totalCount } } }", {"n": "deux"}
    )
    assert wrong["data"] is None
    assert "Int cannot represent" in wrong["errors"][0]["message"]
    # Anonymous: `me` is null, which the schema allows (planned, and still null).
    assert (await world.as_(None, HISTORY))["data"] == {"me": None}
    fits = len(normal_runs)
    # A resolver below a list, a directive, introspection: never planned.
    below_a_list = await world.as_(
        person, "{ me { registrations(first: 5) { edges { node { waitlistPosition } } } } }"
    )
    assert [edge["node"] for edge in below_a_list["data"]["me"]["registrations"]["edges"]] == [
        {"waitlistPosition": None}
    ] * 3
    directive = await world.as_(person, "{ me @include(if: true) { lastName } }")
    assert directive["data"]["me"]["lastName"]
    introspection = await world.as_(person, "{ __schema { queryType { name } } }")
    assert introspection["data"] == {"__schema": {"queryType": {"name": "Query"}}}
    if settings.fast_paths:
        assert fits == 3  # the refusal, the argument and the variable: run again the normal way
        assert len(normal_runs) == fits + 3
    else:
        assert len(normal_runs) == 7
    assert employer  # the other party of the population, unused here
