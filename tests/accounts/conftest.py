"""Fixtures of the account tests."""

from __future__ import annotations

from typing import Any

import pytest
from accounts_support import People


@pytest.fixture
def people(gql: Any, outbox: Any, token_from: Any) -> People:
    return People(gql, outbox, token_from)
