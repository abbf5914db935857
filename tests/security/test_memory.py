"""X1: caches keyed by documents are bounded in bytes. Many distinct large documents (what an attacker
sends, varying the text so that no cache hits) leave the process's memory bounded: 20 distinct 10 MB
documents had taken a production process from 622 MB to 1,064 MB for good."""

from __future__ import annotations

import gc
import os

import pytest
from graphql import Source

from parcourspro_gql.engine import parsing

BUDGET = 2 * 1024 * 1024


@pytest.fixture
def small_cache(monkeypatch):
    """The document cache with a 2 MB budget (64 MB in production), so that a few dozen documents overflow it."""
    parsing.documents.clear()
    monkeypatch.setattr(parsing.documents, "budget", BUDGET)
    yield parsing.documents
    parsing.documents.clear()


def resident() -> int:
    """The process's resident memory, in bytes (Linux)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


async def grown_by(client, documents: list[str]) -> int:
    """Resident bytes gained, once collected, while each document was posted twice (the second time from the
    caches), after the first five (which warm what any request warms: compiled SQL, plans, the allocator's
    pools). Freed memory is reused for later documents, so a bounded cache shows a bounded growth."""

    async def post(batch: list[str]) -> None:
        for document in batch:
            for _ in range(2):
                response = await client.post("/graphql", json={"query": document})
                assert response.status_code == 200

    await post(documents[:5])
    gc.collect()
    before = resident()
    await post(documents[5:])
    gc.collect()
    return resident() - before


async def test_distinct_dense_documents_stay_within_the_cache_budget(client, small_cache):
    # 1,990 tokens each: 1.2 MB parsed, 13 MB for the 11 measured if each were kept.
    documents = ["{ " + " ".join(["__typename"] * 1989) + f" }} # {i}" for i in range(16)]
    grown = await grown_by(client, documents)
    assert small_cache.weight <= BUDGET
    assert grown < 3 * BUDGET, f"{grown / 1e6:.1f} MB kept"


def documents_alive() -> int:
    """How many parsed documents (their Source: text and tokens hang from it) are still reachable."""
    gc.collect()
    return sum(1 for thing in gc.get_objects() if isinstance(thing, Source))


async def test_distinct_large_documents_that_run_are_not_kept(client, small_cache):
    # 40 kB each (a comment: one token), above what the cache takes, run through the execution's plans, whose
    # cache held the nodes of every document it planned, hence each document's text and tokens.
    padding = "#" + "p" * 40_000
    documents = [
        f"{{ structures(first: 1) {{ edges {{ node {{ id name }} }} }} }} # {i}\n{padding}" for i in range(10)
    ]
    before = documents_alive()
    for document in documents:
        for _ in range(2):
            assert (await client.post("/graphql", json={"query": document})).status_code == 200
    assert len(small_cache) == 0  # above MAX_CACHED_CHARS: parsed for their request only
    # The last one stays, so that the steps of one request share its parse.
    assert documents_alive() - before <= 1
