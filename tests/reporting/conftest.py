"""Fixtures of the statistics and export tests."""

from __future__ import annotations

from typing import Any

import pytest
from world import World

from parcourspro_gql.auth.tokens import AccessTokens


@pytest.fixture
def world(db: Any, settings: Any, gql: Any, clock: Any) -> World:
    return World(db, AccessTokens(settings), gql)
