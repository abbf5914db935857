"""API objects are built from a row's loaded values, and from the ORM when a value is not loaded."""

from __future__ import annotations

from world import World, training_session

from parcourspro_gql import models
from parcourspro_gql.schema.catalogue.types import Training


async def test_a_value_the_session_expired_is_read_again(world: World):
    provider = await world.structure("Institut de Formation")
    seats = await training_session(world, provider, title="Accueillir les publics")
    async with world.db.read() as session:
        row = await session.get(models.Training, seats.training_pk)
        assert row is not None
        loaded = Training.from_row(row)
        session.expire(row, ["title", "format"])
        assert "title" not in row.__dict__
        # The ORM loads what was expired (run_sync: its lazy load needs the session's greenlet).
        reread = await session.run_sync(lambda _: Training.from_row(row))
    assert (reread.title, reread.format, reread.id) == (loaded.title, loaded.format, loaded.id)
    assert reread.title == "Accueillir les publics"
