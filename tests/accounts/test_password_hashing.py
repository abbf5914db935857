"""Password hashing under bounded concurrency (issue 19): at most as many argon2 hashes at once as the memory
set aside allows (PARCOURSPRO_PASSWORD_HASH_MEMORY_MB), further logins waiting their turn, never failing."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator

import pytest

from parcourspro_gql.auth import passwords
from parcourspro_gql.config import ConfigError, load_settings


@pytest.fixture
def one_hash_at_a_time(settings) -> Iterator[None]:
    # 1 MiB holds no default-profile hash (64 MiB): the floor is one at a time.
    assert passwords.configure(1, "default") == 1
    yield
    passwords.configure(settings.password_hash_memory_mb, settings.password_hash_profile)


def test_the_number_of_hashes_at_once_follows_the_memory_budget():
    cores = os.cpu_count() or 1
    assert passwords.concurrency(64, "default") == 1
    assert passwords.concurrency(256, "default") == min(cores, 4)
    assert passwords.concurrency(100_000, "default") == cores  # never more than the cores
    assert passwords.concurrency(1, "default") == 1  # and never none


def test_the_budget_is_a_setting(tmp_path):
    settings = load_settings({"PARCOURSPRO_VAR_DIR": str(tmp_path)})
    assert settings.password_hash_memory_mb == 256
    with pytest.raises(ConfigError):
        load_settings({"PARCOURSPRO_VAR_DIR": str(tmp_path), "PARCOURSPRO_PASSWORD_HASH_MEMORY_MB": "0"})


async def test_a_login_burst_queues_and_every_login_succeeds(people, one_hash_at_a_time):
    emails = [f"personne{i}@example.org" for i in range(4)]
    for email in emails:
        await people.verified(email)
    answers = await asyncio.gather(*(people.login(email) for email in emails))
    assert [answer["errors"] for answer in answers] == [[], [], [], []]
    assert all(answer["accessToken"] for answer in answers)
    wrong = await asyncio.gather(*(people.login(email, "pas le bon mot de passe") for email in emails))
    assert {error["code"] for answer in wrong for error in answer["errors"]} == {"INVALID_CREDENTIALS"}
