"""The query cost limit: connections multiply by `first` (20 by default, at most 100); above the budget a
document is refused before it runs; every answer carries its cost."""

from __future__ import annotations

import pytest

from parcourspro_gql.engine.cost import BUDGET

NESTED = """
query($outer: Int, $inner: Int) {
  trainings(first: $outer) { edges { node { title
    sessions(first: $inner) { edges { node { startsAt location } } }
  } } }
}
"""


def cost(body: dict) -> int:
    return body["extensions"]["cost"]["requested"]


async def test_every_answer_carries_its_cost_and_the_budget(gql):
    body = await gql("{ __typename }")
    assert body["extensions"]["cost"] == {"requested": 1, "budget": BUDGET}


@pytest.mark.parametrize(
    ("outer", "inner", "expected"),
    [
        # 1 (trainings) + outer × (edges + node + title + sessions + inner × (edges + node + startsAt + location))
        (1, 1, 1 + 1 * (4 + 1 * 4)),
        (10, 5, 1 + 10 * (4 + 5 * 4)),
        (None, None, 1 + 20 * (4 + 20 * 4)),  # first defaults to 20
        (0, 100, 1),
    ],
)
async def test_connections_multiply_by_first(gql, outer, inner, expected):
    body = await gql(NESTED, {"outer": outer, "inner": inner})
    assert "errors" not in body, body
    assert cost(body) == expected


async def test_fragments_count_where_they_are_spread(gql):
    document = """
    query { trainings(first: 3) { edges { node { ...T } } } }
    fragment T on Training { title format }
    """
    assert cost(await gql(document)) == 1 + 3 * 4


async def test_a_document_above_the_budget_is_refused_before_it_runs(gql, statements):
    statements.reset()
    body = await gql(NESTED, {"outer": 100, "inner": 100})
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert error["extensions"]["cost"] == 1 + 100 * (4 + 100 * 4) > BUDGET
    assert error["message"].startswith("Requête trop coûteuse : 40 401 pour un budget de 10 000.")
    assert statements.count <= 2  # the authentication's lookup at most: nothing of the query ran


async def test_the_employer_overview_of_a_full_page_fits_the_budget(gql):
    document = """
    { employerOverview { pendingCount registrations(first: 100) { edges { node { id status requestedAt
        beneficiary { id firstName lastName } session { id startsAt endsAt training { id title } }
        employerDecision { at comment by { id lastName } } documents { kind url fileName } } } } } }
    """
    body = await gql(document)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"  # refused for who asks, not its cost
    assert cost(body) < BUDGET
