"""The lists answered by a plan (engine/execution.py) give what graphql-core's normal way gives: the same
document is run once as is (the connection, its edges and their nodes planned), once with a directive that
sends them the normal way, and both answers must be equal, for aliases, __typename, merged fields,
fragments, nulls, nested relations and computed cursors."""

from __future__ import annotations

from test_views import populate
from world import World

# `@include(if: true)` changes nothing in the answer, but a field with a directive is never planned.
PAGE = """
query {
  employerOverview {
    registrations(first: 100) { edges %s { cursor node {
      __typename id kind: status status requestedAt overStructureCap
      ...Row
      ... on Registration { session { location } }
      session { startsAt training { title ... on Training { format } } }
      employerDecision { at comment by { id firstName } }
      providerDecision { at by { lastName } }
      cancellation { at }
    } } pageInfo { hasNextPage startCursor endCursor } }
  }
}
fragment Row on Registration { beneficiary { ...Person email } session { endsAt } }
fragment Person on Account { firstName lastName __typename }
"""


async def test_a_planned_page_answers_as_graphql_core_does(world: World):
    _, _, _, employer, _, _ = await populate(world, 12)
    planned = await world.as_(employer, PAGE % "")
    normal = await world.as_(employer, PAGE % "@include(if: true)")
    assert "errors" not in planned, planned
    assert planned == normal
    edges = planned["data"]["employerOverview"]["registrations"]["edges"]
    assert len(edges) == 12
    page_info = planned["data"]["employerOverview"]["registrations"]["pageInfo"]
    assert (page_info["hasNextPage"], page_info["endCursor"]) == (False, edges[-1]["cursor"])
    node = edges[0]["node"]
    # Keys in the document's order, fragments merged where they are spread.
    assert list(node) == [
        "__typename",
        "id",
        "kind",
        "status",
        "requestedAt",
        "overStructureCap",
        "beneficiary",
        "session",
        "employerDecision",
        "providerDecision",
        "cancellation",
    ]
    assert list(node["session"]) == ["endsAt", "location", "startsAt", "training"]
    assert node["beneficiary"]["__typename"] == "Account"
    # Nulls where the data has none: no provider decision nor cancellation on these registrations.
    assert {edge["node"]["providerDecision"] for edge in edges} == {None}
    assert {edge["node"]["employerDecision"] is None for edge in edges} == {True, False}


async def test_a_directive_on_a_planned_field_is_honoured_request_by_request(world: World):
    """The same document, with a variable that includes or skips a field below the nodes: each request
    gets its own answer, whatever the previous one planned."""
    _, _, _, employer, _, _ = await populate(world, 3)
    query = """query($more: Boolean!) { employerOverview { registrations { edges { node {
      status session { location @include(if: $more) training { title } } } } } } }"""
    for more in (True, False, True):
        body = await world.as_(employer, query, {"more": more})
        assert "errors" not in body, body
        for edge in body["data"]["employerOverview"]["registrations"]["edges"]:
            assert ("location" in edge["node"]["session"]) is more
            assert edge["node"]["session"]["training"]["title"].startswith("Formation")
