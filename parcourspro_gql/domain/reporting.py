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
from parcourspro_gql.models import RegistrationStatus, Role

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


# The export's columns, in French: who, where, what, when, the decisions with their dates, deciders and reasons,
# and attendance (V5).
HEADERS = (
    "Nom",
    "Prénom",
    "Courriel",
    "Structure",
    "SIRET",
    "Formation",
    "Début de la session",
    "Fin de la session",
    "Lieu",
    "Statut",
    "Demandée le",
    "Décision de l'employeur le",
    "Décision de l'employeur par",
    "Motif de l'employeur",
    "Décision de l'organisme le",
    "Décision de l'organisme par",
    "Motif de l'organisme",
    "Annulée le",
    "Annulée par",
    "Motif de l'annulation",
    "Demi-journées suivies",
    "Demi-journées de la session",
    "Taux de présence",
)
STATUS_LABELS = {
    RegistrationStatus.PENDING_EMPLOYER: "En attente de l'employeur",
    RegistrationStatus.REFUSED_BY_EMPLOYER: "Refusée par l'employeur",
    RegistrationStatus.PENDING_PROVIDER: "En attente de l'organisme",
    RegistrationStatus.WAITLISTED: "En liste d'attente",
    RegistrationStatus.ACCEPTED: "Acceptée",
    RegistrationStatus.REJECTED_BY_PROVIDER: "Non retenue par l'organisme",
    RegistrationStatus.CANCELLED: "Annulée",
    RegistrationStatus.ATTENDED: "Présent",
    RegistrationStatus.ABSENT: "Absent",
}
# A cell: text (made inert), a moment in Paris time (naive, as spreadsheets know no zones), a number, or empty.
Cell = str | datetime | int | float | None


@dataclass(frozen=True)
class ExportLine:
    """One registration as the export reads it (the columns of loaders.reporting.export_rows)."""

    last_name: str
    first_name: str
    email: str
    structure_name: str
    siret: str
    training_title: str
    starts_at: datetime
    ends_at: datetime
    location: str
    half_days: int | None
    status: RegistrationStatus
    requested_at: datetime
    employer_decision_at: datetime | None
    employer_decision_comment: str | None
    provider_decision_at: datetime | None
    provider_decision_comment: str | None
    cancelled_at: datetime | None
    cancellation_reason: str | None
    half_days_attended: int | None
    attendance_rate: float | None
    employer_decision_first_name: str | None
    employer_decision_last_name: str | None
    provider_decision_first_name: str | None
    provider_decision_last_name: str | None
    cancelled_first_name: str | None
    cancelled_last_name: str | None


def _paris(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(PARIS).replace(tzinfo=None)


def _text(value: str | None) -> str | None:
    return None if value is None else inert(value)


def _name(first_name: str | None, last_name: str | None) -> str | None:
    if first_name is None and last_name is None:
        return None
    return inert(f"{first_name or ''} {last_name or ''}".strip())


def cells(line: ExportLine) -> list[Cell]:
    """The export's row of one registration, in the order of HEADERS; every text cell inert."""
    return [
        _text(line.last_name),
        _text(line.first_name),
        _text(line.email),
        _text(line.structure_name),
        _text(line.siret),
        _text(line.training_title),
        _paris(line.starts_at),
        _paris(line.ends_at),
        _text(line.location),
        STATUS_LABELS.get(line.status, line.status.value),
        _paris(line.requested_at),
        _paris(line.employer_decision_at),
        _name(line.employer_decision_first_name, line.employer_decision_last_name),
        _text(line.employer_decision_comment),
        _paris(line.provider_decision_at),
        _name(line.provider_decision_first_name, line.provider_decision_last_name),
        _text(line.provider_decision_comment),
        _paris(line.cancelled_at),
        _name(line.cancelled_first_name, line.cancelled_last_name),
        _text(line.cancellation_reason),
        line.half_days_attended,
        line.half_days,
        line.attendance_rate,
    ]
