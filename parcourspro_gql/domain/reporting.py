"""V5: statistics and exports of a year: who may ask for which structure, what a year is, and how an exported
cell is made safe for a spreadsheet.

A year is a calendar year in Europe/Paris (G11): a session belongs to the year of its start in Paris time, so
a session starting at 23:30 UTC on 31 December counts in the next year.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from parcourspro_gql.auth.viewer import Viewer
from parcourspro_gql.domain.errors import DomainError, ErrorCode
from parcourspro_gql.models import Role

PARIS = ZoneInfo("Europe/Paris")
# The programme started in 2010; a year beyond the next one has nothing to count yet.
FIRST_YEAR, YEARS_AHEAD = 2000, 1


@dataclass(frozen=True)
class YearRange:
    """The UTC instants of a Paris calendar year: [start, end)."""

    year: int
    start: datetime
    end: datetime


def paris_year(year: int, now: datetime, field: str = "year") -> YearRange:
    """The bounds of `year` in Paris time; a year before 2000 or after next year is refused (INVALID_INPUT)."""
    last = now.astimezone(PARIS).year + YEARS_AHEAD
    if not FIRST_YEAR <= year <= last:
        raise DomainError(ErrorCode.INVALID_INPUT, f"Année attendue entre {FIRST_YEAR} et {last}.", field)
    start = datetime(year, 1, 1, tzinfo=PARIS).astimezone(UTC)
    end = datetime(year + 1, 1, 1, tzinfo=PARIS).astimezone(UTC)
    return YearRange(year, start, end)


def scope(viewer: Viewer, structure_id: int | None) -> int | None:
    """V5: the structure whose figures the caller may read: any one or all of them (None) for a manager, his own
    for an employer (when he names none, too); FORBIDDEN for anyone else or another structure."""
    if viewer.is_manager:
        return structure_id
    own = viewer.active_structure_id if viewer.has_role(Role.EMPLOYER) else None
    if own is not None and structure_id in (None, own):
        return own
    raise DomainError(
        ErrorCode.FORBIDDEN,
        "Statistiques et exports réservés aux gestionnaires et aux employeurs, pour leur propre structure.",
    )


# What a spreadsheet reads as the start of a formula (OWASP's list: = + - @, tab and carriage return).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert(value: str) -> str:
    """A text cell that no spreadsheet runs: names and reasons are typed by anyone (V5), so one that starts like
    a formula gets a leading apostrophe."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value
