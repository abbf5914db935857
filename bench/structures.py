"""Structure import and picker search on 100,000 structures.

    .venv/bin/python bench/structures.py [--rows 100000] [--repeat 15]

Generates a SIRENE-format sample (scripts/sirene_sample.py), imports it twice into a fresh database
(creation, then update) with the real command, then times `structures(search: ...)` through the ASGI app,
with and without totalCount. PARCOURSPRO_DATABASE_URL chooses the database (default: a new SQLite file;
for PostgreSQL give a URL to an empty, migrated-on-the-fly database).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from parcourspro_gql.app import create_app
from parcourspro_gql.config import load_settings

ROOT = Path(__file__).resolve().parents[1]
TERMS = ["pessac", "CAP EMPLOI", "mission locale perigueux", "800001", "Sainte-Catherine", "zzz"]
QUERY = """query($s: String, $count: Boolean!) { structures(search: $s, first: 20) {
  totalCount @include(if: $count) edges { node { id name siret address { city } } } } }"""


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    print("  ", result.stdout.strip().splitlines()[-1])
    return time.perf_counter() - started


async def search(repeat: int) -> None:
    settings = load_settings()
    app = create_app(settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as http:
        for term in TERMS:
            for count in (True, False):
                times = []
                for _ in range(repeat):
                    started = time.perf_counter()
                    answer = await http.post(
                        "/graphql", json={"query": QUERY, "variables": {"s": term, "count": count}}
                    )
                    times.append((time.perf_counter() - started) * 1000)
                data = answer.json()["data"]["structures"]
                found = f"{data['totalCount']:>6} found" if count else f"{len(data['edges']):>3} on page "
                print(
                    f"  search {term!r:28} {found}  p50 {statistics.median(times):6.1f} ms  "
                    f"max {max(times):6.1f} ms  ({'with' if count else 'without'} totalCount)"
                )
    await app.state.db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="pp-bench-structures-"))
    sample = folder / "sirene.csv"
    os.environ.setdefault("PARCOURSPRO_DATABASE_URL", f"sqlite+aiosqlite:///{folder}/bench.db")
    os.environ.update(
        {
            "PARCOURSPRO_VAR_DIR": str(folder),
            "PARCOURSPRO_MAIL_DISPATCH": "false",
            "PARCOURSPRO_LOG_LEVEL": "WARNING",
        }
    )
    env = dict(os.environ)
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts/sirene_sample.py"),
            "--rows",
            str(args.rows),
            "--out",
            str(sample),
        ],
        check=True,
    )
    cli = [sys.executable, "-m", "parcourspro_gql.cli"]
    subprocess.run([*cli, "migrate"], env=env, check=True, capture_output=True)
    print(f"database: {env['PARCOURSPRO_DATABASE_URL'].split('://')[0]}, {args.rows} rows")
    print(f"  import (creation): {timed([*cli, 'import-structures', str(sample)], env):.1f} s")
    print(f"  import (update):   {timed([*cli, 'import-structures', str(sample)], env):.1f} s")
    asyncio.run(search(args.repeat))


if __name__ == "__main__":
    main()
