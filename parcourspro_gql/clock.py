"""The one clock of the application: production reads the system time, tests freeze and move it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clock:
    """Returns aware UTC datetimes; `freeze`/`advance`/`unfreeze` let tests travel in time."""

    def __init__(self) -> None:
        self._frozen: datetime | None = None

    def now(self) -> datetime:
        if self._frozen is not None:
            return self._frozen
        return datetime.now(UTC)

    @property
    def frozen(self) -> bool:
        return self._frozen is not None

    def freeze(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("the clock needs an aware datetime")
        self._frozen = at.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        self._frozen = self.now() + delta

    def unfreeze(self) -> None:
        self._frozen = None


clock = Clock()
