"""Argon2id password hashing (A2), run in threads of its own so the event loop never waits on it, and never
more at once than the memory set aside for it allows (a login burst queues instead of swapping)."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import CHEAPEST, RFC_9106_LOW_MEMORY

# "default" is argon2-cffi's RFC 9106 low-memory profile (its defaults); "test" is cheap, for the suite only.
PROFILES = {"default": RFC_9106_LOW_MEMORY, "test": CHEAPEST}
DEFAULT_MEMORY_MB = 256
T = TypeVar("T")


@cache
def hasher(profile: str = "default") -> PasswordHasher:
    """The hasher of a named parameter profile."""
    return PasswordHasher.from_parameters(PROFILES[profile])


def concurrency(memory_mb: int, profile: str = "default") -> int:
    """How many hashes may run at once in `memory_mb` MiB: each takes the profile's memory cost (64 MiB for
    the default profile), and more than one per core would only queue in the kernel instead of here."""
    per_hash_kib = PROFILES[profile].memory_cost
    return max(1, min(os.cpu_count() or 1, memory_mb * 1024 // per_hash_kib))


class _Pool:
    """The threads that hash, sized by `configure` (at application start) or else by the default budget."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self.size = 0

    def configure(self, memory_mb: int, profile: str) -> None:
        with self._lock:
            size = concurrency(memory_mb, profile)
            if self._executor is not None and size == self.size:
                return
            old, self._executor, self.size = (
                self._executor,
                ThreadPoolExecutor(max_workers=size, thread_name_prefix="argon2"),
                size,
            )
        if old is not None:
            old.shutdown(wait=False)

    def executor(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self.configure(DEFAULT_MEMORY_MB, "default")
        assert self._executor is not None
        return self._executor


pool = _Pool()


def configure(memory_mb: int, profile: str = "default") -> int:
    """Sizes the hashing threads for `memory_mb` MiB (PARCOURSPRO_PASSWORD_HASH_MEMORY_MB); returns their number."""
    pool.configure(memory_mb, profile)
    return pool.size


async def _run(function: Callable[[], T]) -> T:
    return await asyncio.get_running_loop().run_in_executor(pool.executor(), function)


async def hash_password(password: str, profile: str = "default") -> str:
    return await _run(lambda: hasher(profile).hash(password))


async def verify_password(password_hash: str, password: str, profile: str = "default") -> bool:
    """True when `password` matches; never raises on a malformed hash."""

    def _verify() -> bool:
        try:
            return hasher(profile).verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    return await _run(_verify)


def needs_rehash(password_hash: str, profile: str = "default") -> bool:
    return hasher(profile).check_needs_rehash(password_hash)
