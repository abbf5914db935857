"""A page's edges answered straight from its rows (engine/execution.py's row plans, from the Fields that
engine/rows.py describes and the types declare): with the fast paths on, a page read narrow whose asked
fields are all plain fields of types that declare their Fields (a registration, its session and training, an
edge's cursor) is answered without building an API object per row; anything else builds the objects, as
before. The differential harness compares every answer below with the app whose fast paths are off, which
always builds them."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from differential import TWIN_RUNNING
from test_views import populate
from world import World

from parcourspro_gql.schema.accounts.types import Account
from parcourspro_gql.schema.catalogue.types import Training, TrainingSession
from parcourspro_gql.schema.registrations.types import Registration

HISTORY = """{ me { registrations(first: 20) { edges { node { id status category requestedAt
  session { startsAt location training { title format } } } } } } }"""


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The API objects that the app under test built from rows, by type name (the twin's are left out)."""
    names: list[str] = []
    for cls in (Registration, TrainingSession, Training, Account):
        original = vars(cls)["from_row"].__func__

        def counted(owner: type, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            if not TWIN_RUNNING.get():
                names.append(owner.__name__)
            return _original(owner, *args, **kwargs)

        monkeypatch.setattr(cls, "from_row", classmethod(counted))
    return names


def pk_of(global_id: str) -> tuple[str, int]:
    kind, _, pk = base64.b64decode(global_id).decode().partition(":")
    return kind, int(pk)


async def test_a_history_is_answered_from_its_rows(world: World, settings: Any, built: list[str]):
    _, _, _, _, person, sessions = await populate(world, 4, one_person=True)
    answer = await world.as_(person, HISTORY)
    assert "errors" not in answer, answer
    nodes = [edge["node"] for edge in answer["data"]["me"]["registrations"]["edges"]]
    assert [pk_of(node["id"])[0] for node in nodes] == ["Registration"] * 4
    assert [node["session"]["training"]["title"] for node in nodes] == [f"Formation {i}" for i in range(4)]
    assert {node["session"]["training"]["format"] for node in nodes} == {"FORMATION"}
    assert all(node["session"]["location"] and node["requestedAt"].endswith("+00:00") for node in nodes)
    assert [node["status"] for node in nodes] == [
        "PENDING_EMPLOYER",
        "PENDING_PROVIDER",
        "ACCEPTED",
        "REFUSED_BY_EMPLOYER",
    ]
    assert nodes[0]["category"] == "REQUESTED"
    if settings.fast_paths:
        assert built == ["Account"]  # the caller, for `me`; no registration, session nor training
    else:
        assert built.count("Registration") == 4
        assert built.count("TrainingSession") == 4
    assert len(sessions) == 4


async def test_an_overview_with_its_beneficiaries_is_answered_from_its_rows(
    world: World, settings: Any, built: list[str]
):
    _, _, _, employer, _, _ = await populate(world, 6)
    answer = await world.as_(
        employer,
        """{ employerOverview { pendingCount registrations(first: 10) { edges { node { id status
             beneficiary { id firstName lastName email }
             session { id startsAt endsAt training { id title } } } } } } }""",
    )
    assert "errors" not in answer, answer
    nodes = [edge["node"] for edge in answer["data"]["employerOverview"]["registrations"]["edges"]]
    assert len(nodes) == 6
    # Six people, each his own account, over the 5 trainings of the population.
    assert len({node["beneficiary"]["id"] for node in nodes}) == 6
    assert {pk_of(node["beneficiary"]["id"])[0] for node in nodes} == {"Account"}
    assert all(node["beneficiary"]["email"] and node["beneficiary"]["lastName"] for node in nodes)
    assert len({node["session"]["training"]["id"] for node in nodes}) == 5
    if settings.fast_paths:
        assert built == []  # no registration, beneficiary, session nor training built
    else:
        assert built.count("Registration") == 6


async def test_cursors_and_typenames_from_rows_page_on(world: World, settings: Any, built: list[str]):
    _, _, _, _, person, _ = await populate(world, 5, one_person=True)
    page = """query($after: String) { me { registrations(first: 2, after: $after) {
      pageInfo { hasNextPage endCursor } edges { cursor node { __typename id } } } } }"""
    seen: list[int] = []
    after = None
    for _ in range(3):
        answer = await world.as_(person, page, {"after": after})
        assert "errors" not in answer, answer
        connection = answer["data"]["me"]["registrations"]
        edges = connection["edges"]
        assert {edge["node"]["__typename"] for edge in edges} == {"Registration"}
        seen += [pk_of(edge["node"]["id"])[1] for edge in edges]
        assert connection["pageInfo"]["endCursor"] == edges[-1]["cursor"]
        after = edges[-1]["cursor"]
    assert len(seen) == 5
    assert len(set(seen)) == 5
    assert not connection["pageInfo"]["hasNextPage"]
    if settings.fast_paths:
        assert built == ["Account"] * 3  # the caller, for each `me`


async def test_a_field_that_rows_do_not_describe_builds_the_objects(
    world: World, settings: Any, built: list[str]
):
    _, _, _, _, person, _ = await populate(world, 3, one_person=True)
    # A decision (an object of its own, with its decider) and a seat offer are not plain fields of the row.
    answer = await world.as_(
        person,
        """{ me { registrations(first: 5) { edges { node { id
             employerDecision { at comment } seatOffer { expiresAt } } } } } }""",
    )
    assert "errors" not in answer, answer
    nodes = [edge["node"] for edge in answer["data"]["me"]["registrations"]["edges"]]
    assert nodes[0]["employerDecision"] is None  # pending
    assert nodes[1]["employerDecision"]["at"].endswith("+00:00")
    assert {node["seatOffer"] for node in nodes} == {None}
    assert built.count("Registration") == 3
    # The next read of the same request shape goes back to the rows.
    built.clear()
    again = await world.as_(person, "{ me { registrations(first: 5) { edges { node { id motivation } } } } }")
    assert [pk_of(edge["node"]["id"])[1] for edge in again["data"]["me"]["registrations"]["edges"]] == [
        pk_of(node["id"])[1] for node in nodes
    ]
    if settings.fast_paths:
        assert built == ["Account"]
