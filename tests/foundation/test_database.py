"""The database protects the data by itself, and concurrent writers queue instead of failing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, select, text, update
from sqlalchemy.exc import IntegrityError

from parcourspro_gql.clock import clock as app_clock
from parcourspro_gql.db import UTCDateTime
from parcourspro_gql.domain.structures import search_text
from parcourspro_gql.models import (
    Account,
    AffiliationStatus,
    Registration,
    RegistrationStatus,
    Structure,
    StructureStatus,
    Training,
    TrainingFormat,
    TrainingSession,
)
from parcourspro_gql.seed import demo_siret


def structure(
    seed: int, status: StructureStatus = StructureStatus.VALIDATED, siret: str | None = None
) -> Structure:
    siret = siret or demo_siret(seed)
    return Structure(
        name=f"S{seed}",
        siret=siret,
        ape_code="85.59A",
        street="1 rue",
        postal_code="33000",
        city="Bordeaux",
        status=status,
        search_text=search_text(f"S{seed}", siret, "Bordeaux"),
        requested_at=app_clock.now(),
    )


async def world(db, capacity: int = 10) -> dict[str, int]:
    now = app_clock.now()
    async with db.transaction() as session:
        org = structure(1)
        session.add(org)
        await session.flush()
        person = Account(
            email="p@example.org",
            email_normalized="p@example.org",
            password_hash="x",
            first_name="P",
            last_name="Q",
            structure_id=org.id,
            affiliation_status=AffiliationStatus.ACTIVE,
            created_at=now,
        )
        training = Training(
            title="T",
            description="D",
            objectives="O",
            format=TrainingFormat.FORMATION,
            reserved_to_members=False,
            duration_hours=7,
            provider_structure_id=org.id,
            search_text="t",
            created_at=now,
        )
        session.add_all([person, training])
        await session.flush()
        item = TrainingSession(
            training_id=training.id,
            starts_at=now + timedelta(days=10),
            ends_at=now + timedelta(days=11),
            location="Pessac",
            capacity=capacity,
            seats_taken=0,
            registration_opens_at=now - timedelta(days=1),
            registration_closes_at=now + timedelta(days=5),
            created_at=now,
        )
        session.add(item)
        await session.flush()
        return {"structure": org.id, "person": person.id, "training": training.id, "session": item.id}


def registration(
    ids: dict[str, int], status: RegistrationStatus = RegistrationStatus.PENDING_EMPLOYER
) -> Registration:
    now = app_clock.now()
    return Registration(
        beneficiary_id=ids["person"],
        session_id=ids["session"],
        training_id=ids["training"],
        structure_id=ids["structure"],
        motivation="m" * 30,
        status=status,
        requested_at=now,
        updated_at=now,
    )


async def test_concurrent_read_modify_write_transactions_never_lose_an_update(db):
    """On SQLite, write transactions start with BEGIN IMMEDIATE: they queue on the write lock instead of
    failing with "database is locked" when they upgrade a read lock, and none reads a stale count."""
    ids = await world(db, capacity=40)

    async def take_seat() -> None:
        async with db.transaction() as session:
            item = await session.scalar(
                select(TrainingSession).where(TrainingSession.id == ids["session"]).with_for_update()
            )
            await asyncio.sleep(0.001)  # let the other writers run in between
            item.seats_taken = item.seats_taken + 1

    await asyncio.gather(*(take_seat() for _ in range(30)))
    async with db.read() as session:
        assert await session.scalar(select(TrainingSession.seats_taken)) == 30


async def test_seats_never_exceed_capacity(db):
    ids = await world(db, capacity=1)
    async with db.transaction() as session:
        await session.execute(update(TrainingSession).values(seats_taken=TrainingSession.seats_taken + 1))
    with pytest.raises(IntegrityError):
        async with db.transaction() as session:
            await session.execute(
                update(TrainingSession)
                .where(TrainingSession.id == ids["session"])
                .values(seats_taken=TrainingSession.seats_taken + 1)
            )


async def test_one_live_registration_per_person_and_session(db):
    ids = await world(db)
    async with db.transaction() as session:
        session.add(registration(ids))
    with pytest.raises(IntegrityError):
        async with db.transaction() as session:
            session.add(registration(ids))
    async with db.transaction() as session:
        await session.execute(update(Registration).values(status=RegistrationStatus.CANCELLED))
        session.add(registration(ids))  # a cancelled one no longer counts
    async with db.read() as session:
        assert len((await session.scalars(select(Registration))).all()) == 2


async def test_one_live_structure_per_siret(db):
    async with db.transaction() as session:
        session.add(structure(1, StructureStatus.REJECTED, siret=demo_siret(77)))
        session.add(
            structure(2, StructureStatus.PENDING, siret=demo_siret(77))
        )  # a rejected one does not count
    with pytest.raises(IntegrityError):
        async with db.transaction() as session:
            session.add(structure(3, StructureStatus.VALIDATED, siret=demo_siret(77)))


async def test_emails_are_unique_once_normalised(db):
    await world(db)
    with pytest.raises(IntegrityError):
        async with db.transaction() as session:
            session.add(
                Account(
                    email="P@Example.org",
                    email_normalized="p@example.org",
                    password_hash="x",
                    first_name="A",
                    last_name="B",
                    affiliation_status=AffiliationStatus.NONE,
                    created_at=app_clock.now(),
                )
            )


async def test_datetimes_come_back_aware_in_utc_whoever_wrote_them(db):
    """Ours are stored as naive UTC on SQLite and timestamptz on PostgreSQL; a value written by hand with an
    offset (SQLite) is read right too."""
    table = Table(
        "datetime_probe", MetaData(), Column("id", Integer, primary_key=True), Column("at", UTCDateTime)
    )
    paris = timezone(timedelta(hours=1))
    async with db.engine.connect() as connection:
        await connection.run_sync(table.create)
        try:
            await connection.execute(
                table.insert(), [{"id": 1, "at": datetime(2026, 11, 28, 10, 0, tzinfo=paris)}]
            )
            if db.dialect == "sqlite":
                await connection.execute(
                    text("INSERT INTO datetime_probe VALUES (2, '2026-11-28 10:00:00+01:00')")
                )
                await connection.execute(text("INSERT INTO datetime_probe VALUES (3, '2026-11-28 09:00:00')"))
            values = (await connection.execute(select(table.c.at).order_by(table.c.id))).scalars().all()
        finally:
            await connection.run_sync(table.drop)
            await connection.commit()
    assert values[0] == datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    assert all(value == values[0] and value.tzinfo is UTC for value in values)
