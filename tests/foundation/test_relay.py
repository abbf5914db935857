"""Relay: global ids, node(id) with visibility rules, and cursor pagination with totalCount."""

from __future__ import annotations

import pytest
import world

from parcourspro_gql.models import StructureStatus
from parcourspro_gql.schema.relay import to_global_id
from parcourspro_gql.seed import demo_siret

PAGE = """
query Page($first: Int, $after: String, $search: String) {
  structures(first: $first, after: $after, search: $search) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id name siret address { city } } }
  }
}
"""
NODE = "query Node($id: ID!) { node(id: $id) { __typename id ... on Structure { name status } } }"


async def add_structures(db, count: int, status: StructureStatus = StructureStatus.VALIDATED, start: int = 0):
    rows = [(f"Structure {i:03d}", "Pessac" if i % 2 else "Périgueux") for i in range(start, start + count)]
    return await world.add_structures(db, rows, status, start)


async def test_default_page_then_next_page_by_cursor(gql, db):
    await add_structures(db, 25)
    first = (await gql(PAGE))["data"]["structures"]
    assert first["totalCount"] == 25
    assert len(first["edges"]) == 20
    assert [edge["node"]["name"] for edge in first["edges"]] == [f"Structure {i:03d}" for i in range(20)]
    assert first["pageInfo"]["hasNextPage"] is True
    assert first["pageInfo"]["hasPreviousPage"] is False
    assert first["pageInfo"]["endCursor"] == first["edges"][-1]["cursor"]

    second = (await gql(PAGE, {"after": first["pageInfo"]["endCursor"]}))["data"]["structures"]
    assert [edge["node"]["name"] for edge in second["edges"]] == [f"Structure {i:03d}" for i in range(20, 25)]
    assert second["pageInfo"]["hasNextPage"] is False
    assert second["pageInfo"]["hasPreviousPage"] is True


async def test_page_size_is_capped_at_one_hundred(gql, db):
    await add_structures(db, 3)
    assert len((await gql(PAGE, {"first": 100}))["data"]["structures"]["edges"]) == 3
    refused = await gql(PAGE, {"first": 101})
    assert refused["data"] is None
    assert refused["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    assert "100" in refused["errors"][0]["message"]
    negative = await gql(PAGE, {"first": -1})
    assert negative["errors"][0]["extensions"]["code"] == "INVALID_INPUT"


@pytest.mark.parametrize("cursor", ["not-a-cursor", "WyJhIl0", "e30"])
async def test_malformed_cursor_is_a_clear_error(gql, cursor):
    body = await gql(PAGE, {"after": cursor})
    assert body["data"] is None
    assert body["errors"][0]["message"] == "Curseur « after » invalide."


async def test_only_validated_structures_are_listed_and_search_ignores_case_and_accents(gql, db):
    await add_structures(db, 4)
    await add_structures(db, 2, StructureStatus.PENDING, start=10)
    assert (await gql(PAGE))["data"]["structures"]["totalCount"] == 4
    found = (await gql(PAGE, {"search": "PERIGUEUX"}))["data"]["structures"]
    assert {edge["node"]["address"]["city"] for edge in found["edges"]} == {"Périgueux"}
    assert found["totalCount"] == 2
    by_siret = (await gql(PAGE, {"search": demo_siret(1001)}))["data"]["structures"]["edges"]
    assert [edge["node"]["name"] for edge in by_siret] == ["Structure 001"]


async def test_node_returns_visible_objects_only(gql, db):
    [validated] = await add_structures(db, 1)
    [pending] = await add_structures(db, 1, StructureStatus.PENDING, start=5)
    node = (await gql(NODE, {"id": to_global_id("Structure", validated)}))["data"]["node"]
    assert node == {
        "__typename": "Structure",
        "id": to_global_id("Structure", validated),
        "name": "Structure 000",
        "status": "VALIDATED",
    }
    # A pending structure is not shown to an anonymous caller: same answer as for an unknown id.
    assert (await gql(NODE, {"id": to_global_id("Structure", pending)}))["data"]["node"] is None
    assert (await gql(NODE, {"id": to_global_id("Structure", 999_999)}))["data"]["node"] is None
    assert (await gql(NODE, {"id": "garbage"}))["data"]["node"] is None
    assert (await gql(NODE, {"id": to_global_id("Nothing", validated)}))["data"]["node"] is None


async def test_list_costs_two_statements_whatever_its_size(gql, db, statements):
    await add_structures(db, 3)
    statements.reset()
    await gql(PAGE)
    small = statements.count
    await add_structures(db, 60, start=3)
    statements.reset()
    await gql(PAGE, {"first": 60})
    # The page and its count; a first page that holds every row is its own count (no second statement).
    assert (small, statements.count) == (1, 2)
    # A search's count comes with its page (issue 19): one statement, whatever the number of matches.
    statements.reset()
    found = (await gql(PAGE, {"first": 10, "search": "pessac"}))["data"]["structures"]
    assert (found["totalCount"], len(found["edges"]), statements.count) == (31, 10, 1)
