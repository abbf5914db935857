"""X1, X3: hostile search input, ids, cursors and strings end in INVALID_INPUT or NOT_FOUND (never "Erreur
interne"), within the CPU budget."""

from __future__ import annotations

import base64
import json

import pytest
from world import World

from parcourspro_gql.auth.tokens import AccessTokens
from parcourspro_gql.domain.search import MAX_SEARCH_CHARS, MAX_SEARCH_WORDS, MAX_WORD_CHARS

STRUCTURES = "query($s: String) { structures(search: $s) { totalCount edges { node { name } } } }"
TRAININGS = "query($s: String) { trainings(search: $s) { totalCount edges { node { title } } } }"
SESSIONS = "query($s: String) { sessions(search: $s) { edges { node { id } } } }"
SESSIONS_IN = "query($s: String) { sessions(city: $s) { edges { node { id } } } }"


def global_id(raw: str) -> str:
    return base64.b64encode(raw.encode()).decode()


def cursor(values: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def top_level(body: dict) -> list[tuple[str, str]]:
    return [(error["extensions"]["code"], error["message"]) for error in body.get("errors", [])]


@pytest.mark.parametrize("query", [STRUCTURES, TRAININGS, SESSIONS, SESSIONS_IN])
@pytest.mark.parametrize(
    ("search", "message"),
    [
        # SQLite: "LIKE or GLOB pattern too complex"; 20,000 words took 4.5 s anonymously.
        ("x" * 100_000, f"Recherche trop longue : {MAX_SEARCH_CHARS} caractères au plus."),
        # SQLite: "too many terms in compound SELECT".
        (
            " ".join(f"w{i}" for i in range(1_500)),
            f"Recherche trop longue : {MAX_SEARCH_CHARS} caractères au plus.",
        ),
        (
            " ".join(f"m{i}" for i in range(MAX_SEARCH_WORDS + 1)),
            f"Recherche trop longue : {MAX_SEARCH_WORDS} mots au plus.",
        ),
        ("y" * (MAX_WORD_CHARS + 1), f"Mot trop long : {MAX_WORD_CHARS} caractères au plus."),
    ],
)
async def test_search_input_beyond_its_bounds_is_refused(attack, query, search, message):
    measured = await attack.post({"query": query, "variables": {"s": search}})
    body = measured.json()
    assert body["data"] is None
    assert top_level(body) == [("INVALID_INPUT", message)]
    assert body["errors"][0]["extensions"]["field"] == ("city" if query is SESSIONS_IN else "search")


@pytest.mark.parametrize("query", [STRUCTURES, TRAININGS])
async def test_search_within_its_bounds_with_odd_characters_is_answered(gql, query):
    # Control and format characters are dropped, wildcards and escapes are plain text.
    search = " ".join(["\u0007école", "100%", "a_b", "\\", "\u200bz", "ÉCOLE"][:MAX_SEARCH_WORDS])
    body = await gql(query, {"s": search})
    assert "errors" not in body, body
    key = "structures" if query is STRUCTURES else "trainings"
    assert body["data"][key]["totalCount"] == 0


async def test_a_search_of_many_terms_in_one_word_is_refused(gql):
    # "a-b-c-..." is one word typed and many terms of the structures' index.
    body = await gql(STRUCTURES, {"s": "-".join("abcdefghijk")})
    assert top_level(body) == [("INVALID_INPUT", f"Recherche trop longue : {MAX_SEARCH_WORDS} mots au plus.")]


@pytest.mark.parametrize(
    "raw",
    [
        "Structure:99999999999999999999999",  # overflows INTEGER (asyncpg refused to send it)
        "Structure:-1",
        "Structure:1e3",
        "Structure:" + "9" * 5_000,  # beyond Python's int conversion limit
        "Structure:١٢",  # Arabic-Indic digits: int() reads them
    ],
)
async def test_a_node_id_with_a_bad_number_is_nobody(attack, raw):
    measured = await attack.post(
        {"query": "query($id: ID!) { node(id: $id) { id } }", "variables": {"id": global_id(raw)}}
    )
    assert measured.json() == {
        "data": {"node": None},
        "extensions": {"cost": {"requested": 2, "budget": 10_000}},
    }


async def test_a_mutation_given_an_overflowing_id_answers_not_found(db, settings, gql, clock):
    world = World(db, AccessTokens(settings), gql)
    person = await world.person()
    body = await world.as_(
        person,
        "mutation($id: ID!) { favouriteAdd(input: {trainingId: $id}) { errors { code field } } }",
        {"id": global_id("Training:99999999999999999999")},
    )
    assert body["data"]["favouriteAdd"]["errors"] == [{"code": "NOT_FOUND", "field": "trainingId"}]


@pytest.mark.parametrize(
    "after",
    [
        cursor([{"x": 1}, 1]),  # an object where a name is
        cursor(["Nom", 2**40]),  # an id beyond INTEGER
        cursor(["Nom", True]),
        cursor(["Nom\u0000", 1]),
        cursor([["nested"] * 3, 1]),
        cursor(["Nom", 1, 2]),
        "!!!" * 1_000,
        base64.urlsafe_b64encode(b"[" * 5_000 + b"]" * 5_000).decode(),
    ],
)
async def test_a_malformed_cursor_is_invalid_input(attack, after):
    measured = await attack.post(
        {"query": "query($a: String) { structures(after: $a) { totalCount } }", "variables": {"a": after}}
    )
    body = measured.json()
    assert body["data"] is None
    assert top_level(body) == [("INVALID_INPUT", "Curseur « after » invalide.")]


async def test_a_nul_character_in_variables_or_in_a_literal_is_refused_at_the_edge(attack):
    for document, variables in [
        ("query($s: String) { structures(search: $s) { totalCount } }", {"s": "a\u0000b"}),
        ('{ structures(search: "a\\u0000b") { totalCount } }', None),
    ]:
        measured = await attack.post({"query": document, "variables": variables})
        assert measured.response.status_code == 200
        assert measured.json() == {
            "errors": [
                {"message": "Caractère nul refusé dans la requête.", "extensions": {"code": "INVALID_INPUT"}}
            ]
        }


async def test_a_lone_surrogate_is_an_unreadable_body(attack):
    body = b'{"query": "query($s: String) { structures(search: $s) { totalCount } }", "variables": {"s": "\\ud800"}}'
    measured = await attack.run(
        lambda: attack.client.post("/graphql", content=body, headers={"Content-Type": "application/json"})
    )
    assert measured.response.status_code == 400
    assert measured.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


@pytest.mark.parametrize(
    "after",
    [
        cursor([{"x": 1}, 1]),
        cursor(["2026-01-01T00:00:00+00:00", 2**40]),
        cursor([True, 1]),
        cursor(["pas une date", 1]),
        "!!!" * 1_000,
    ],
)
async def test_a_malformed_cursor_of_the_inbox_is_invalid_input(db, settings, gql, clock, after):
    """The inbox (a connection that came after the issue) reads its cursors through the same checks."""
    world = World(db, AccessTokens(settings), gql)
    person = await world.person()
    body = await world.as_(
        person,
        "query($a: String) { me { notifications(after: $a) { edges { node { id } } } } }",
        {"a": after},
    )
    assert [code for code, _ in top_level(body)] == ["INVALID_INPUT"], body


OVERFLOW = global_id("Structure:99999999999999999999")


@pytest.mark.parametrize(
    "query",
    [
        "query($id: ID) { statistics(year: 2026, structureId: $id) { beneficiaries } }",
        "query($id: ID) { employerOverview(structureId: $id) { pendingCount } }",
    ],
)
async def test_the_reports_given_an_overflowing_id_answer_not_found(db, settings, gql, clock, query):
    world = World(db, AccessTokens(settings), gql)
    manager = await world.manager()
    body = await world.as_(manager, query, {"id": OVERFLOW})
    assert [code for code, _ in top_level(body)] == ["NOT_FOUND"], body
