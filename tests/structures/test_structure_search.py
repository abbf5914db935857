"""The public structure search at volume (issue 19): pages walked in name order whatever the number of
matches, a count exact up to EXACT_COUNT_LIMIT and flagged as an estimate above it, the statements the same."""

from __future__ import annotations

import random

from sqlalchemy import func, select
from world import add_structures

from parcourspro_gql.domain.structures import EXACT_COUNT_LIMIT
from parcourspro_gql.models import StructureSearchTerm, StructureSearchTermCount, StructureStatus

SEARCH = """
query($search: String, $first: Int, $after: String) {
  structures(search: $search, first: $first, after: $after) {
    totalCount totalCountIsEstimate
    edges { node { name } } pageInfo { hasNextPage endCursor }
  }
}
"""


async def every_page(gql, search: str, first: int) -> tuple[list[str], list[dict]]:
    names, pages, after = [], [], None
    while True:
        body = await gql(SEARCH, {"search": search, "first": first, "after": after})
        assert "errors" not in body, body
        page = body["data"]["structures"]
        pages.append(page)
        names += [edge["node"]["name"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return names, pages
        after = page["pageInfo"]["endCursor"]


async def test_many_matches_page_in_name_order_with_an_estimated_count(gql, db, statements) -> None:
    many = EXACT_COUNT_LIMIT + 40
    validated = [f"Relais {i:04d}" for i in random.Random(19).sample(range(many), many)]
    # "Pessacais" and "Pessac" are two terms of the prefix: these structures are found once each.
    twice = [f"Pessacais Emploi {i}" for i in range(5)]
    await add_structures(db, [(name, "Pessac") for name in validated + twice])
    await add_structures(
        db, [(f"Attente {i}", "Pessac") for i in range(3)], StructureStatus.PENDING, start=many + 10
    )
    await add_structures(
        db, [(f"Refus {i}", "Pessac") for i in range(2)], StructureStatus.REJECTED, start=many + 20
    )
    await add_structures(db, [("Relais Talence", "Talence")], start=many + 30)

    for search in ("pessac", "PESS"):
        statements.reset()
        names, pages = await every_page(gql, search, 100)
        # Every validated match once, in name order, none of the others; one statement per page.
        assert names == sorted(validated + twice)
        assert len(statements.statements) == len(pages)
        for page in pages:
            assert page["totalCountIsEstimate"] is True
            # The terms' counts: every status, a structure with two terms of the prefix twice.
            assert page["totalCount"] == many + 2 * 5 + 3 + 2
    # Several words: counted exactly, every match read.
    page = (await gql(SEARCH, {"search": "pessac relais", "first": 10}))["data"]["structures"]
    assert (page["totalCount"], page["totalCountIsEstimate"]) == (many, False)
    assert [edge["node"]["name"] for edge in page["edges"]] == sorted(validated)[:10]
    # A prefix of SIRETs (a term per structure, read whole rather than walked) pages the same way.
    names, pages = await every_page(gql, "9", 100)
    assert names == sorted([*validated, *twice, "Relais Talence"])
    assert pages[0]["totalCountIsEstimate"] is True


async def test_few_matches_are_counted_exactly(gql, db, statements) -> None:
    await add_structures(db, [(f"Relais {i:02d}", "Pessac") for i in range(30)])
    await add_structures(db, [(f"Pessacais Emploi {i}", "Pessac") for i in range(4)], start=40)
    await add_structures(
        db, [(f"Attente {i}", "Pessac") for i in range(3)], StructureStatus.PENDING, start=50
    )
    await add_structures(db, [("Refus", "Pessac")], StructureStatus.REJECTED, start=60)

    statements.reset()
    names, pages = await every_page(gql, "pessac", 10)
    assert names == sorted(
        [f"Relais {i:02d}" for i in range(30)] + [f"Pessacais Emploi {i}" for i in range(4)]
    )
    assert {(page["totalCount"], page["totalCountIsEstimate"]) for page in pages} == {(34, False)}
    assert len(statements.statements) == len(pages) == 4
    # A page past the end, and no page at all, count on their own: exactly too.
    past = await gql(SEARCH, {"search": "pessac", "first": 10, "after": pages[-1]["pageInfo"]["endCursor"]})
    none = await gql(SEARCH, {"search": "pessac", "first": 0})
    for body in (past, none):
        page = body["data"]["structures"]
        assert (page["edges"], page["totalCount"], page["totalCountIsEstimate"]) == ([], 34, False)
    # Other lists never estimate.
    everything = await gql("{ structures(first: 1) { totalCount totalCountIsEstimate } }")
    assert everything["data"]["structures"] == {"totalCount": 34, "totalCountIsEstimate": False}


async def test_statements_do_not_follow_the_matches(gql, db, statements) -> None:
    """The same statements for 20 matches as for 20 plus EXACT_COUNT_LIMIT, page and count alike."""
    await add_structures(db, [(f"Relais {i:04d}", "Pessac") for i in range(20)])
    seen = []
    for more in (EXACT_COUNT_LIMIT, 0):
        statements.reset()
        first = (await gql(SEARCH, {"search": "pessac", "first": 10}))["data"]["structures"]
        await gql(SEARCH, {"search": "pessac", "first": 10, "after": first["pageInfo"]["endCursor"]})
        seen.append((len(statements.statements), first["totalCountIsEstimate"]))
        await add_structures(db, [(f"Relais {i:04d}", "Pessac") for i in range(20, 20 + more)], start=20)
    assert seen == [(2, False), (2, True)]


async def test_term_counts_follow_requests_renames_and_imports(world, db) -> None:
    """index_terms keeps each term's count equal to its structures, whatever writes the terms."""
    manager = await world.manager()
    first = await world.structure("Cap emploi Pessac")
    await world.structure("PLIE Pessac", status=StructureStatus.PENDING)
    rename = {
        "structureId": first.id,
        "name": "Relais Talence Emploi",
        "apeCode": "8899b",
        "reason": "Nom",
        "address": {"street": "1 rue", "postalCode": "33400", "city": "Talence"},
    }
    mutation = (
        "mutation($input: StructureUpdateInput!) { structureUpdate(input: $input) { errors { code } } }"
    )
    assert (await world.as_(manager, mutation, {"input": rename}))["data"]["structureUpdate"]["errors"] == []
    async with db.read() as session:
        terms = dict(
            (
                await session.execute(
                    select(StructureSearchTerm.term, func.count()).group_by(StructureSearchTerm.term)
                )
            ).all()
        )
        counts = dict(
            (
                await session.execute(
                    select(StructureSearchTermCount.term, StructureSearchTermCount.structures).where(
                        StructureSearchTermCount.structures != 0
                    )
                )
            ).all()
        )
    assert counts == terms
    assert (terms["pessac"], terms["emploi"], terms["talence"]) == (1, 1, 1)
