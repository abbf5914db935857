"""G11: the year of a session, a membership or a figure is a calendar year in Europe/Paris, never in UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from parcourspro_gql.clock import clock

PARIS = ZoneInfo("Europe/Paris")


def year_of(moment: datetime) -> int:
    """The calendar year in Paris of an aware moment (00:30 on 1 January in Paris is in the new year)."""
    return moment.astimezone(PARIS).year


def current_year() -> int:
    """This year in Paris, by the application's clock."""
    return year_of(clock.now())


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """The UTC moments where `year` starts and the next one starts in Paris: [start, end) for SQL filters."""
    return (
        datetime(year, 1, 1, tzinfo=PARIS).astimezone(UTC),
        datetime(year + 1, 1, 1, tzinfo=PARIS).astimezone(UTC),
    )
