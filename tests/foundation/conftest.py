"""Fixtures of the foundation tests that run the `parcourspro-gql` command."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from suite_limits import SUITE_LIMITS


@pytest.fixture
def environ(empty_database_url: str, tmp_path: Path) -> dict[str, str]:
    """The environment of a command run on a brand-new database: no PARCOURSPRO_* of the caller leaks in."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PARCOURSPRO_")}
    env.update(
        {
            "PARCOURSPRO_DATABASE_URL": empty_database_url,
            "PARCOURSPRO_VAR_DIR": str(tmp_path / "var"),
            "PARCOURSPRO_MAIL_URL": f"file://{tmp_path}/mail",
            "PARCOURSPRO_PASSWORD_HASH_PROFILE": "test",
            **SUITE_LIMITS,
        }
    )
    return env
