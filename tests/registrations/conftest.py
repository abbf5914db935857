"""Fixtures of the structure and affiliation tests."""

from __future__ import annotations

from typing import Any

import pytest
from world import World

from parcourspro_gql.auth.tokens import AccessTokens


@pytest.fixture
def world(db: Any, settings: Any, gql: Any, clock: Any) -> World:
    return World(db, AccessTokens(settings), gql)


@pytest.fixture
def scheduler(db: Any) -> Any:
    """The scheduler as `serve` and `worker` run it; tests call run_once() after moving the clock."""
    from parcourspro_gql.scheduler import Scheduler

    return Scheduler(db)
