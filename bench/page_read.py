"""What reading the employer overview's page costs, statement alone (no GraphQL), four ways: as the API reads it
with the fast paths off (ORM entities of every column), as Core rows of the same columns, as Core rows of only
the columns the overview's selection prints (typed: datetimes and enums converted; close to the narrow read of
the fast paths, loaders/relations.py), and the raw-SQL baseline's text statement (bench/server.py). ms per
execution on one session, min and median of 10 batches of 30, each way twice in turn.

    .venv/bin/python bench/page_read.py
    PARCOURSPRO_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/EMPTY .venv/bin/python bench/page_read.py

It measured what became the narrow reads of issue 15: how much of the API's cost over the baseline was its page
read.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT.parent / "tests" / "support"))
FOLDER = tempfile.mkdtemp(prefix="pp-bench-page-")
os.environ.setdefault("PARCOURSPRO_DATABASE_URL", f"sqlite+aiosqlite:///{FOLDER}/bench.db")
os.environ.update(
    {"PARCOURSPRO_VAR_DIR": FOLDER, "PARCOURSPRO_MAIL_DISPATCH": "false", "PARCOURSPRO_LOG_LEVEL": "WARNING"}
)

from registrations import build  # noqa: E402
from server import OVERVIEW_SQL  # noqa: E402
from sqlalchemy import Select, inspect, select  # noqa: E402
from sqlalchemy.orm import aliased  # noqa: E402

from parcourspro_gql import models  # noqa: E402
from parcourspro_gql.clock import clock  # noqa: E402
from parcourspro_gql.config import load_settings  # noqa: E402
from parcourspro_gql.db import Database  # noqa: E402
from parcourspro_gql.migrate import upgrade  # noqa: E402


async def main() -> None:
    settings = load_settings()
    db = Database.from_url(settings.database_url, settings)
    await upgrade(db.engine)
    clock.freeze(clock.now())
    await build(db, settings)
    clock.unfreeze()
    async with db.read() as session:
        structure_id = (await session.execute(select(models.Registration.structure_id).limit(1))).scalar_one()
        viewer = (
            (
                await session.execute(
                    select(models.Account.id).where(models.Account.structure_id == structure_id)
                )
            )
            .scalars()
            .first()
        )

    registration, session_, training = models.Registration, models.TrainingSession, models.Training
    beneficiary = aliased(models.Account)

    def page(statement: Select[Any]) -> Select[Any]:
        return (
            statement.join(beneficiary, beneficiary.id == registration.beneficiary_id)
            .join(session_, session_.id == registration.session_id)
            .join(training, training.id == registration.training_id)
            .where(registration.structure_id == structure_id)
            .order_by(registration.requested_at, registration.id)
            .limit(101)
        )

    # The columns the API's entities load (password_hash and search_text are deferred).
    every = [
        *registration.__table__.c,
        *[c for c in inspect(beneficiary).selectable.c if c.name != "password_hash"],
        *session_.__table__.c,
        *[c for c in training.__table__.c if c.name != "search_text"],
    ]
    asked = [
        registration.id,
        registration.status,
        registration.requested_at,
        beneficiary.id,
        beneficiary.first_name,
        beneficiary.last_name,
        session_.id,
        session_.starts_at,
        session_.ends_at,
        training.id,
        training.title,
    ]
    ways: dict[str, tuple[Any, dict[str, Any]]] = {
        "ORM entities, every column": (page(select(registration, beneficiary, session_, training)), {}),
        "Core rows, every column": (page(select(*[c.label(f"c{i}") for i, c in enumerate(every)])), {}),
        "Core rows, the asked columns": (page(select(*[c.label(f"c{i}") for i, c in enumerate(asked)])), {}),
        "baseline text statement": (OVERVIEW_SQL, {"viewer": viewer}),
    }
    print(f"database: {settings.database_url.split('+')[0]}; {len(every)} columns vs {len(asked)} asked")
    for _ in range(2):
        for name, (statement, params) in ways.items():

            async def read(statement: Any = statement, params: dict[str, Any] = params) -> int:
                async with db.read() as session:
                    return len((await session.execute(statement, params)).all())

            for _ in range(20):
                await read()
            batches = []
            for _ in range(10):
                started = time.perf_counter()
                for _ in range(30):
                    rows = await read()
                batches.append((time.perf_counter() - started) / 30 * 1000)
            print(
                f"  {name:30} {rows} rows  min {min(batches):5.2f} ms  median {statistics.median(batches):5.2f} ms"
            )
    await db.dispose()


if __name__ == "__main__":
    asyncio.run(main())
