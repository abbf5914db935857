"""X1, X2: documents shaped to make the guards (depth, aliases, cost) or graphql-core's validation walk far
more than their text are refused within the budget; the cost prices the variables' values and defaults."""

from __future__ import annotations

import pytest

from parcourspro_gql.engine.cost import BUDGET, MAX_ALIASES, MAX_DEPTH, MAX_FIELDS, MAX_SAME_KEY


def fan_out(levels: int, spreads: int = 2, on: str = "Query", leaf: str = "__typename") -> str:
    """`query { ...F0 }` with each fragment spreading the next `spreads` times: 2^levels for 2."""
    fragments = [
        f"fragment F{i} on {on} {{ {' '.join(f'...F{i + 1}' for _ in range(spreads))} }}"
        for i in range(levels)
    ]
    return f"query {{ ...F0 }} {' '.join(fragments)} fragment F{levels} on {on} {{ {leaf} }}"


def codes(body: dict) -> list[str | None]:
    return [error.get("extensions", {}).get("code") for error in body.get("errors", [])]


def messages(body: dict) -> list[str]:
    return [error["message"] for error in body.get("errors", [])]


@pytest.mark.parametrize("levels", [20, 190])
async def test_fragment_fan_out_is_refused_at_once(attack, levels):
    # The case: 20 levels (824 bytes) took 6.9 s, and /health waited 6.6 s.
    document = fan_out(levels)
    measured = await attack.post({"query": document})
    body = measured.json()
    assert body["data"] is None
    assert codes(body) == ["QUERY_TOO_COMPLEX"], body


async def test_fan_out_on_nested_types_with_different_places_is_refused(attack):
    # Spreads at different places (not merged by execution) on an object type below a connection.
    fragments = " ".join(f"fragment S{i} on Structure {{ id ...S{i + 1} }}" for i in range(150))
    document = (
        "{ structures(first: 0) { edges { node { ...S0 } } } } "
        + fragments
        + " fragment S150 on Structure { name }"
    )
    measured = await attack.post({"query": document})
    body = measured.json()
    assert body["data"] is None
    assert codes(body) == ["QUERY_TOO_COMPLEX"]
    assert messages(body) == [
        f"Le champ « id » est demandé 150 fois au même endroit ({MAX_SAME_KEY} au plus)."
    ]


async def test_a_fragment_spread_under_many_aliases_counts_its_aliases_each_time(attack):
    document = (
        "query { " + " ".join(f"a{i}: me {{ ...A }}" for i in range(8)) + " } "
        "fragment A on Account { x: id y: email }"
    )
    measured = await attack.post({"query": document})
    assert messages(measured.json()) == [f"{8 + 8 * 2} aliases found. Allowed: {MAX_ALIASES}"]


async def test_depth_counts_through_fragments(attack):
    # Account > structure > accounts > edges > node > Account ...: four levels per fragment.
    def chain(count: int) -> str:
        below = "structure {{ accounts(first: 1) {{ edges {{ node {{ ...A{next} }} }} }} }}"
        fragments = " ".join(
            f"fragment A{i} on Account {{ id {below.format(next=i + 1)} }}" for i in range(count)
        )
        return "{ me { ...A0 } } " + fragments + f" fragment A{count} on Account {{ id }}"

    assert "errors" not in (await attack.post({"query": chain(2)})).json()  # depth 9
    body = (await attack.post({"query": chain(3)})).json()  # depth 13
    assert body["data"] is None
    assert messages(body) == [f"'anonymous' exceeds maximum operation depth of {MAX_DEPTH}"]


async def test_inline_fragments_nested_to_the_parser_limit_are_answered(attack):
    document = "{ " + "... on Query { " * 190 + "__typename" + " }" * 190 + " }"
    measured = await attack.post({"query": document})
    assert measured.json()["data"] == {"__typename": "Query"}


async def test_many_fields_of_one_name_side_by_side_are_refused_before_validation_compares_them(attack):
    # graphql-core's OverlappingFieldsCanBeMerged compares them pair by pair: 300 took 0.8 s to validate.
    document = "{ " + " ".join("me { id email firstName }" for _ in range(300)) + " }"
    measured = await attack.post({"query": document})
    assert codes(measured.json()) == ["QUERY_TOO_COMPLEX"]
    allowed = "{ " + " ".join("me { id email firstName }" for _ in range(MAX_SAME_KEY)) + " }"
    assert (await attack.post({"query": allowed})).json()["data"] == {"me": None}


async def test_many_spreads_of_many_fragments_at_one_place_are_refused(attack):
    fragments = " ".join(f"fragment F{i} on Query {{ __typename }}" for i in range(200))
    document = "{ " + " ".join(f"...F{i}" for i in range(200)) + " } " + fragments
    measured = await attack.post({"query": document})
    assert codes(measured.json()) == ["QUERY_TOO_COMPLEX"]


async def test_a_thousand_fields_after_merging_is_the_limit(attack):
    document = "{ " + " ".join(["__typename"] * 1990) + " }"
    measured = await attack.post({"query": document})
    assert messages(measured.json()) == [
        f"Requête trop grande : plus de {MAX_FIELDS} champs une fois les fragments dépliés."
    ]


async def test_a_fragment_cycle_is_refused_by_name(attack):
    document = "{ me { ...A } } fragment A on Account { id ...B } fragment B on Account { email ...A }"
    measured = await attack.post({"query": document})
    body = measured.json()
    assert body["data"] is None
    assert messages(body) == ["Cannot spread fragment 'A' within itself."]


NESTED = """
query($outer: Int = 100, $inner: Int = 100) {
  trainings(first: $outer) { edges { node { title
    sessions(first: $inner) { edges { node { startsAt location } } }
  } } }
}
"""


async def test_the_cost_prices_the_defaults_of_variables(attack):
    # Was priced 2,081 (as if first were 20) and ran; with literals it is 40,401 and refused.
    measured = await attack.post({"query": NESTED})
    body = measured.json()
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert error["extensions"]["cost"] == 1 + 100 * (4 + 100 * 4) > BUDGET


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({}, 1 + 100 * (4 + 100 * 4)),
        ({"outer": 2}, 1 + 2 * (4 + 100 * 4)),
        ({"outer": 2.0, "inner": 3}, 1 + 2 * (4 + 3 * 4)),
        ({"outer": None, "inner": None}, 1 + 20 * (4 + 20 * 4)),  # explicit null: the API's default page
        ({"outer": 5000, "inner": 1}, 1 + 100 * (4 + 1 * 4)),  # above the maximum: priced at the maximum
    ],
)
async def test_the_cost_prices_the_values_sent_then_the_defaults(gql, variables, expected):
    body = await gql(NESTED, variables)
    reported = (
        body["extensions"]["cost"]["requested"]
        if "extensions" in body
        else body["errors"][0]["extensions"]["cost"]
    )
    assert reported == expected
