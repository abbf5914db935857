"""The callers' accounts and roles as a recent read saw them, so that a query need not read them again.

Every request with a bearer token needs its account (disabled? logged out since the token was issued?) and its
roles. Reading them is one statement, as much as the whole of a small query. A query may use what a read of
this process saw at most `seconds` ago, provided that no write transaction of this process has ended since
(`db.write_generation`): in one process, a logout, a password reset or a role granted is seen at once; in
another worker it is seen after `seconds` at most. Mutations never use this cache (see GraphQLApp).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass

from parcourspro_gql.db import write_generation
from parcourspro_gql.models import Account, Role

MAX_ENTRIES = 10_000


@dataclass(frozen=True)
class _Entry:
    read_at: float
    generation: int
    account: Account
    roles: tuple[Role, ...]
    family_revoked: bool


# An account, and the refresh-token family its access token names (None: none named).
Key = tuple[int, str | None]


class AccountCache:
    """At most MAX_ENTRIES accounts, the least recently used dropped first; `seconds` 0 keeps nothing."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._entries: OrderedDict[Key, _Entry] = OrderedDict()

    def get(self, key: Key) -> tuple[Account, tuple[Role, ...], bool] | None:
        """(account, roles, whether the family is revoked) as read for `key`, if recent enough."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.generation != write_generation() or time.monotonic() - entry.read_at > self.seconds:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return entry.account, entry.roles, entry.family_revoked

    def put(
        self, key: Key, account: Account, roles: tuple[Role, ...], family_revoked: bool, generation: int
    ) -> None:
        """`generation`: write_generation() taken *before* the read, so that a write ending during the read
        makes the entry stale at once."""
        if self.seconds <= 0 or generation != write_generation():
            return
        self._entries[key] = _Entry(time.monotonic(), generation, account, roles, family_revoked)
        self._entries.move_to_end(key)
        while len(self._entries) > MAX_ENTRIES:
            self._entries.popitem(last=False)
