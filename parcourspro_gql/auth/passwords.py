"""Argon2id password hashing (A2), run in a thread so the event loop never waits on it."""

from __future__ import annotations

import asyncio
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import CHEAPEST, RFC_9106_LOW_MEMORY

# "default" is argon2-cffi's RFC 9106 low-memory profile (its defaults); "test" is cheap, for the suite only.
PROFILES = {"default": RFC_9106_LOW_MEMORY, "test": CHEAPEST}


@cache
def hasher(profile: str = "default") -> PasswordHasher:
    """The hasher of a named parameter profile."""
    return PasswordHasher.from_parameters(PROFILES[profile])


async def hash_password(password: str, profile: str = "default") -> str:
    return await asyncio.to_thread(hasher(profile).hash, password)


async def verify_password(password_hash: str, password: str, profile: str = "default") -> bool:
    """True when `password` matches; never raises on a malformed hash."""

    def _verify() -> bool:
        try:
            return hasher(profile).verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(_verify)


def needs_rehash(password_hash: str, profile: str = "default") -> bool:
    return hasher(profile).check_needs_rehash(password_hash)
