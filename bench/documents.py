"""Documents: render time per kind (median, p95) and the time convocationsSend takes for a session of 30.

    .venv/bin/python bench/documents.py [--renders 30] [--runs 3]
    PARCOURSPRO_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/EMPTY .venv/bin/python bench/documents.py

Rendering is timed on the contexts the API builds (domain.documents.load), in this thread; downloads through
the ASGI app add the read and the HTTP answer. convocationsSend renders 30 convocations and 2 conventions
(two render threads), then writes 32 emails with their PDFs in one transaction.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "support"))
sys.path.insert(0, str(ROOT / "bench"))

from course import Course, download  # noqa: E402
from registration_ops import code  # noqa: E402
from registrations import bench_database, served  # noqa: E402
from world import World  # noqa: E402

from parcourspro_gql.app import create_app  # noqa: E402
from parcourspro_gql.auth.tokens import AccessTokens  # noqa: E402
from parcourspro_gql.clock import clock  # noqa: E402
from parcourspro_gql.documents.render import render_pdf_now  # noqa: E402
from parcourspro_gql.domain import documents  # noqa: E402


def summary(times: list[float]) -> str:
    times = sorted(times)
    return f"median {statistics.median(times):6.1f} ms  p95 {times[int(0.95 * (len(times) - 1))]:6.1f} ms"


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--renders", type=int, default=30)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    settings, db = await bench_database("documents")
    app = create_app(settings, db=db)
    async with served(app) as http:

        async def gql(query: str, variables: dict | None = None, token: str | None = None) -> dict[str, Any]:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            return (
                await http.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
            ).json()

        world = World(db, AccessTokens(settings), gql)
        print(f"database: {db.dialect}")
        sends = []
        courses = []
        for _ in range(args.runs):
            course = await Course(world).build(per_structure=15)
            started = time.perf_counter()
            assert code(await course.send()) == "ok"
            sends.append((time.perf_counter() - started) * 1000)
            courses.append(course)
        print(
            f"  convocationsSend, 30 participants ({args.runs} sessions): median "
            f"{statistics.median(sends):6.0f} ms  max {max(sends):6.0f} ms"
        )

        course = courses[0]
        course.start(clock)
        entries = dict.fromkeys(course.accepted, 2)
        assert code(await course.record(4, entries)) == "ok"
        urls = {kind: item["url"] for kind, item in (await course.documents("org0", course.trainer)).items()}
        async with db.read() as session:
            for kind, url in sorted(urls.items()):
                ref = documents.DocumentRef.parse(url.rsplit("/", 1)[1])
                assert ref is not None
                times, downloads = [], []
                for _ in range(args.renders):
                    answer_started = time.perf_counter()
                    answer = await download(http, url, course.trainer)
                    downloads.append((time.perf_counter() - answer_started) * 1000)
                    assert answer.status_code == 200
                context = await _context(session, course, ref)
                for _ in range(args.renders):
                    started = time.perf_counter()
                    render_pdf_now(context.template, context.context)
                    times.append((time.perf_counter() - started) * 1000)
                print(f"  {kind:17} render {summary(times)}   download {summary(downloads)}")
    await db.dispose()


async def _context(session: Any, course: Course, ref: documents.DocumentRef) -> documents.DocumentFile:
    from parcourspro_gql.auth.viewer import Viewer
    from parcourspro_gql.models import AffiliationStatus, Role

    trainer = Viewer(
        account_id=course.trainer.pk,
        roles=frozenset({Role.BENEFICIARY, Role.PROVIDER}),
        structure_id=course.provider.pk,
        affiliation_status=AffiliationStatus.ACTIVE,
    )
    found = await documents.load(session, trainer, ref)
    assert found is not None
    return found


if __name__ == "__main__":
    asyncio.run(main())
