"""Issue 14: the CPU time of the worst documents we could construct, against a baseline request, in-process.

    .venv/bin/python bench/abuse.py [--runs 3] [--fast-paths false]

Each attack is sent `runs` times with a text varied each time (so no cache helps, as an attacker would do)
to the real app on a fresh SQLite file; the median CPU time (process_time: the shared machine's load
weighs little on it) and its ratio to the baseline request are printed.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import orjson

from parcourspro_gql.app import create_app
from parcourspro_gql.config import load_settings
from parcourspro_gql.db import create_engine
from parcourspro_gql.migrate import upgrade

BASELINE = "{ structures(first: 20) { totalCount edges { node { id name } } } }"


def fan_out(levels: int) -> str:
    fragments = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels))
    return f"query {{ ...F0 }} {fragments} fragment F{levels} on Query {{ __typename }}"


def chain_on_types(count: int) -> str:
    below = "structure {{ accounts(first: 100) {{ edges {{ node {{ ...A{next} ...A{next} }} }} }} }}"
    fragments = " ".join(
        f"fragment A{i} on Account {{ id {below.format(next=i + 1)} }}" for i in range(count)
    )
    return "{ me { ...A0 } } " + fragments + f" fragment A{count} on Account {{ id }}"


def nested_names(width: int, depth: int) -> str:
    def level(d: int) -> str:
        return "name" if d == 0 else " ".join(f"types {{ {level(d - 1)} }}" for _ in range(width))

    return "{ __schema { " + level(depth) + " } }"


ATTACKS: dict[str, Callable[[], dict | bytes]] = {
    "fragment fan-out, 20 levels (issue's case)": lambda: {"query": fan_out(20)},
    "fragment fan-out, 190 levels": lambda: {"query": fan_out(190)},
    "fan-out on nested types, 150 fragments": lambda: {"query": chain_on_types(150)},
    "300 `me { id email firstName }` side by side": lambda: {
        "query": "{ " + " ".join("me { id email firstName }" for _ in range(300)) + " }"
    },
    "1,990 `__typename`": lambda: {"query": "{ " + " ".join(["__typename"] * 1989) + " }"},
    "200 fragments spread at one place": lambda: {
        "query": "{ "
        + " ".join(f"...F{i}" for i in range(200))
        + " } "
        + " ".join(f"fragment F{i} on Query {{ __typename }}" for i in range(200))
    },
    "introspection 4 x 4 same-named, nested": lambda: {"query": nested_names(4, 4)},
    "inline fragments nested 190 deep": lambda: {
        "query": "{ " + "... on Query { " * 190 + "__typename" + " }" * 190 + " }"
    },
    "cost with variable defaults 100 x 100": lambda: {
        "query": "query($f: Int = 100) { trainings(first: $f) { edges { node { sessions(first: $f) "
        "{ edges { node { id } } } } } } }"
    },
    "search of 20,000 words": lambda: {
        "query": "query($s: String) { structures(search: $s) { totalCount } }",
        "variables": {"s": " ".join(f"w{i}" for i in range(20_000))},
    },
    "body of 1 MB (a comment)": lambda: {"query": "{ __typename } #" + "c" * 1_040_000},
    "variables nested 10,000 deep": lambda: (
        b'{"query": "{ __typename }", "variables": {"v": ' + b"[" * 10_000 + b"]" * 10_000 + b"}}"
    ),
}


async def main(runs: int, fast_paths: str) -> None:
    folder = Path(tempfile.mkdtemp())
    url = f"sqlite+aiosqlite:///{folder}/bench.db"
    engine = create_engine(url)
    await upgrade(engine)
    await engine.dispose()
    settings = load_settings(
        {
            "PARCOURSPRO_DATABASE_URL": url,
            "PARCOURSPRO_VAR_DIR": str(folder),
            "PARCOURSPRO_MAIL_DISPATCH": "false",
            "PARCOURSPRO_PASSWORD_HASH_PROFILE": "test",
            "PARCOURSPRO_FAST_PATHS": fast_paths,
        }
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:

        async def cpu(body: dict | bytes, vary: int) -> tuple[float, int]:
            varied = {**body, "query": body["query"] + f" # {vary}"} if isinstance(body, dict) else None
            content = body if varied is None else orjson.dumps(varied)
            started = time.process_time()
            response = await client.post(
                "/graphql", content=content, headers={"Content-Type": "application/json"}
            )
            return time.process_time() - started, response.status_code

        for i in range(3):
            await cpu({"query": BASELINE}, i)
        baseline = statistics.median([(await cpu({"query": BASELINE}, 100 + i))[0] for i in range(runs * 3)])
        print(f"{'baseline request':50} {baseline * 1000:8.2f} ms CPU")
        for name, build in ATTACKS.items():
            measured = [await cpu(build(), 1000 + i) for i in range(runs)]
            median = statistics.median(seconds for seconds, _ in measured)
            print(f"{name:50} {median * 1000:8.2f} ms CPU  {median / baseline:6.1f}x  HTTP {measured[0][1]}")
    await app.state.db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--fast-paths", choices=("true", "false"), default="true")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.runs, arguments.fast_paths))
