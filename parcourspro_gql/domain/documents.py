"""D1–D5: which documents exist, who may download them, and what they say.

Documents are not stored: each download renders the PDF from the recorded data (registrations, attendance,
training, structures), so a document always matches the database and holds no copy of personal data that
would outlive it. A document is named by a reference (kind, session, registration or structure) that
`token()` turns into the opaque id of its URL; `load()` answers None for a reference that does not exist and
for one the caller is not concerned by, so that a download route can answer 404 to both (D5).
"""

from __future__ import annotations

import base64
import binascii
import enum
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parcourspro_gql.auth.viewer import Viewer
from parcourspro_gql.clock import clock
from parcourspro_gql.domain.catalogue import acts_for_provider
from parcourspro_gql.models import (
    PARTICIPANT_STATUSES,
    Account,
    ArchivedDocument,
    Registration,
    RegistrationStatus,
    Role,
    Structure,
    Training,
    TrainingFormat,
    TrainingSession,
)

S = RegistrationStatus
PARIS = ZoneInfo("Europe/Paris")
FUNDING = "Action financée par la Région Nouvelle-Aquitaine et l'État."
# D2: a convocation (and the convention) once a person is accepted; it stays his after attendance.
ISSUED = PARTICIPANT_STATUSES

NATURE = {
    TrainingFormat.FORMATION: "Formation en présentiel",
    TrainingFormat.AUTOFORMATION: "Autoformation accompagnée",
    TrainingFormat.LAB_INNOV: "Lab'Innov : atelier collectif d'innovation",
    TrainingFormat.WEBINAR: "Webinaire à distance",
}


class DocumentKind(enum.Enum):
    CONVENTION = "CONVENTION"
    CONVOCATION = "CONVOCATION"
    ATTESTATION = "ATTESTATION"
    ATTENDANCE_SHEET = "ATTENDANCE_SHEET"
    COMPLETION_CERTIFICATE = "COMPLETION_CERTIFICATE"


# D3, D6: one participant's, once he attended; the same download rules.
ATTENDED_ONLY = frozenset({DocumentKind.ATTESTATION, DocumentKind.COMPLETION_CERTIFICATE})


TITLES = {
    DocumentKind.CONVENTION: "Convention de formation",
    DocumentKind.CONVOCATION: "Convocation",
    DocumentKind.ATTESTATION: "Attestation de fin de formation",
    DocumentKind.ATTENDANCE_SHEET: "Feuille d'émargement",
    DocumentKind.COMPLETION_CERTIFICATE: "Certificat de réalisation",
}
TEMPLATES = {
    DocumentKind.CONVENTION: "convention",
    DocumentKind.CONVOCATION: "convocation",
    DocumentKind.ATTESTATION: "attestation",
    DocumentKind.ATTENDANCE_SHEET: "attendance_sheet",
    DocumentKind.COMPLETION_CERTIFICATE: "completion_certificate",
}


@dataclass(frozen=True)
class DocumentRef:
    """One document: a convocation or attestation names a registration, a convention a session and a
    structure, an attendance sheet a session."""

    kind: DocumentKind
    session_id: int
    registration_id: int | None = None
    structure_id: int | None = None

    def token(self) -> str:
        raw = f"{self.kind.value}:{self.session_id}:{self.registration_id or 0}:{self.structure_id or 0}"
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def parse(cls, token: str) -> DocumentRef | None:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            kind, session_id, registration_id, structure_id = raw.split(":")
            # X3: numbers an INTEGER key can hold (asyncpg refuses to send larger ones).
            if not all(n.isascii() and n.isdigit() and int(n) < 2**31 for n in raw.split(":")[1:]):
                return None
            return cls(
                DocumentKind(kind), int(session_id), int(registration_id) or None, int(structure_id) or None
            )
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None


@dataclass(frozen=True)
class DocumentFile:
    """What to render (template and context), or, for a document archived at an erasure, the PDF itself."""

    ref: DocumentRef
    file_name: str
    template: str
    context: Mapping[str, Any]
    content: bytes | None = None


def _is_party(viewer: Viewer, structure_id: int) -> bool:
    """An employer or referent acting for the structure."""
    return viewer.active_structure_id == structure_id and (
        viewer.has_role(Role.EMPLOYER) or viewer.has_role(Role.REFERENT)
    )


def may_download(
    viewer: Viewer,
    ref: DocumentRef,
    *,
    provider_structure_id: int,
    structure_id: int | None,
    people: Iterable[int],
) -> bool:
    """D5: the participant(s) named, their structure's employers and referents, the provider, managers."""
    if viewer.account_id is None:
        return False
    if viewer.is_manager or acts_for_provider(viewer, provider_structure_id):
        return True
    if ref.kind is DocumentKind.ATTENDANCE_SHEET:
        # It lists the people of every structure: the provider's and the managers' only.
        return False
    return viewer.account_id in set(people) or (structure_id is not None and _is_party(viewer, structure_id))


def may_list_conventions(viewer: Viewer, structure_id: int) -> bool:
    """V2: Structure.conventions for the structure's referents and employers, and managers (who may download
    each of them, D5)."""
    return viewer.is_manager or _is_party(viewer, structure_id)


def convention(session_id: int, structure_id: int) -> DocumentRef:
    """D1: the convention of a session with one structure."""
    return DocumentRef(DocumentKind.CONVENTION, session_id, structure_id=structure_id)


def documents_of(viewer: Viewer, registration: Registration, provider_structure_id: int) -> list[DocumentRef]:
    """Registration.documents: what exists for this registration and the caller may download."""
    if registration.status not in ISSUED:
        return []
    refs = [
        DocumentRef(DocumentKind.CONVOCATION, registration.session_id, registration_id=registration.id),
        DocumentRef(DocumentKind.CONVENTION, registration.session_id, structure_id=registration.structure_id),
    ]
    if registration.status is S.ATTENDED:
        refs.extend(
            DocumentRef(kind, registration.session_id, registration_id=registration.id)
            for kind in (DocumentKind.ATTESTATION, DocumentKind.COMPLETION_CERTIFICATE)
        )
    refs.append(DocumentRef(DocumentKind.ATTENDANCE_SHEET, registration.session_id))
    return [
        ref
        for ref in refs
        if may_download(
            viewer,
            ref,
            provider_structure_id=provider_structure_id,
            structure_id=registration.structure_id,
            people=[registration.beneficiary_id],
        )
    ]


# What NFKD does not decompose into ASCII letters.
LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "€": "eur", "ß": "ss"})


def file_name(ref: DocumentRef, training_title: str) -> str:
    """convocation-accueillir-les-publics-r42.pdf: ASCII, lower case, safe in any header or file system, and
    the same in Registration.documents as in the download (it depends on the reference and the title only)."""
    spelled = training_title.translate(LIGATURES)
    words = unicodedata.normalize("NFKD", spelled).encode("ascii", "ignore").decode()
    title = re.sub(r"[^a-z0-9]+", "-", words.lower()).strip("-")[:60].rstrip("-")
    if ref.registration_id:
        suffix = f"r{ref.registration_id}"
    elif ref.structure_id:
        suffix = f"s{ref.session_id}-st{ref.structure_id}"
    else:
        suffix = f"s{ref.session_id}"
    return (
        "-".join(part for part in (ref.kind.value.lower().replace("_", "-"), title, suffix) if part) + ".pdf"
    )


# French formatting, in Paris time.
def _date(value: datetime) -> str:
    return value.astimezone(PARIS).strftime("%d/%m/%Y")


def _time(value: datetime) -> str:
    return value.astimezone(PARIS).strftime("%Hh%M")


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".").replace(".", ",")


def days_between(starts_at: datetime, ends_at: datetime) -> list[date]:
    """The calendar days from a start to an end, in Paris time (what a session's participants live by)."""
    first, last = starts_at.astimezone(PARIS).date(), ends_at.astimezone(PARIS).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def session_days(item: TrainingSession) -> list[date]:
    return days_between(item.starts_at, item.ends_at)


def half_day_labels(item: TrainingSession) -> list[str]:
    """D4's columns: morning and afternoon of each day, or numbered half-days when the count differs."""
    days = session_days(item)
    count = item.half_days or 2 * len(days)
    if count == 2 * len(days):
        return [f"{day.strftime('%d/%m')} {part}" for day in days for part in ("matin", "après-midi")]
    return [f"Demi-journée {n}" for n in range(1, count + 1)]


def _dates(item: TrainingSession) -> str:
    start, end = _date(item.starts_at), _date(item.ends_at)
    return f"le {start}" if start == end else f"du {start} au {end}"


def _address(structure: Structure) -> str:
    return f"{structure.street}, {structure.postal_code} {structure.city}"


def _party(structure: Structure) -> dict[str, str]:
    return {"name": structure.name, "siret": structure.siret, "address": _address(structure)}


def _person(account: Account) -> dict[str, str]:
    return {"first_name": account.first_name, "last_name": account.last_name, "email": account.email}


def _common(
    kind: DocumentKind, ref: DocumentRef, item: TrainingSession, training: Training, provider: Structure
) -> dict[str, Any]:
    nature = NATURE.get(training.format, training.format.value)
    return {
        "title": TITLES[kind],
        "reference": f"ParcoursPro S{item.id}" + (f"-R{ref.registration_id}" if ref.registration_id else ""),
        "funding": FUNDING,
        "issued_on": _date(clock.now()),
        "provider": _party(provider),
        "training": {
            "title": training.title,
            "nature": nature,
            "format": f"{nature} ; {_number(training.duration_hours)} heures",
            "objectives": training.objectives,
            "content": training.content or training.description,
            "assessment": training.assessment or "Questionnaire d'évaluation en fin de formation.",
            "duration": f"{_number(training.duration_hours)} heures",
        },
        "session": {
            "dates": _dates(item),
            "hours": f"de {_time(item.starts_at)} à {_time(item.ends_at)}",
            "location": item.location,
            "contact": item.contact or provider.name,
        },
    }


async def _participants(
    session: AsyncSession, session_id: int, structure_id: int | None = None
) -> list[tuple[Registration, Account, Structure]]:
    statement = (
        select(Registration, Account, Structure)
        .join(Account, Account.id == Registration.beneficiary_id)
        .join(Structure, Structure.id == Registration.structure_id)
        .where(Registration.session_id == session_id, Registration.status.in_(ISSUED))
        .order_by(Account.last_name, Account.first_name, Account.id)
    )
    if structure_id is not None:
        statement = statement.where(Registration.structure_id == structure_id)
    return [(row[0], row[1], row[2]) for row in (await session.execute(statement)).all()]


async def load(session: AsyncSession, viewer: Viewer, ref: DocumentRef) -> DocumentFile | None:
    """What to render for `ref`, or None when it does not exist or the caller is not concerned (D5). A document
    archived when a person it names was anonymised is served as archived (it still names him)."""
    found = await _load_live(session, viewer, ref)
    if found is None:
        return None
    archived = await session.scalar(select(ArchivedDocument).where(ArchivedDocument.ref == ref.token()))
    if archived is not None:
        return DocumentFile(ref, archived.file_name, found.template, {}, archived.content)
    return found


async def _load_live(session: AsyncSession, viewer: Viewer, ref: DocumentRef) -> DocumentFile | None:
    item = await session.get(TrainingSession, ref.session_id)
    if item is None:
        return None
    training = await session.get(Training, item.training_id)
    assert training is not None
    provider = await session.get(Structure, training.provider_structure_id)
    assert provider is not None
    common = _common(ref.kind, ref, item, training, provider)
    if ref.kind is DocumentKind.CONVOCATION or ref.kind in ATTENDED_ONLY:
        return await _personal(session, viewer, ref, item, training, common)
    if ref.kind is DocumentKind.CONVENTION:
        if ref.structure_id is None:
            return None
        rows = await _participants(session, item.id, ref.structure_id)
        people = [person.id for _, person, _ in rows]
        if not rows or not may_download(
            viewer, ref, provider_structure_id=provider.id, structure_id=ref.structure_id, people=people
        ):
            return None
        structure = rows[0][2]
        context = {**common, "structure": _party(structure), "participants": [_person(p) for _, p, _ in rows]}
        return DocumentFile(ref, file_name(ref, training.title), TEMPLATES[ref.kind], context)
    # The attendance sheet.
    if not may_download(viewer, ref, provider_structure_id=provider.id, structure_id=None, people=()):
        return None
    rows = await _participants(session, item.id)
    if not rows:
        return None
    labels = half_day_labels(item)
    lines = [
        {
            **_person(person),
            "structure": structure.name,
            "marks": [""] * len(labels),
            "attended": f"{registration.half_days_attended} / {item.half_days}"
            if registration.half_days_attended is not None and item.half_days
            else "",
        }
        for registration, person, structure in rows
    ]
    note = (
        f"Présence enregistrée le {_date(item.attendance_recorded_at)}."
        if item.attendance_recorded_at
        else "À signer à chaque demi-journée."
    )
    context = {**common, "half_days": labels, "lines": lines, "note": note}
    return DocumentFile(ref, file_name(ref, training.title), TEMPLATES[ref.kind], context)


async def _personal(
    session: AsyncSession,
    viewer: Viewer,
    ref: DocumentRef,
    item: TrainingSession,
    training: Training,
    common: dict[str, Any],
) -> DocumentFile | None:
    """A convocation (D2), an attestation (D3) or a completion certificate (D6): one participant's."""
    registration = await session.get(Registration, ref.registration_id) if ref.registration_id else None
    if registration is None or registration.session_id != item.id:
        return None
    exists = registration.status in ISSUED
    if ref.kind in ATTENDED_ONLY:
        exists = registration.status is S.ATTENDED and bool(item.half_days)
    if not exists or not may_download(
        viewer,
        ref,
        provider_structure_id=training.provider_structure_id,
        structure_id=registration.structure_id,
        people=[registration.beneficiary_id],
    ):
        return None
    person = await session.get(Account, registration.beneficiary_id)
    structure = await session.get(Structure, registration.structure_id)
    assert person is not None
    assert structure is not None
    context: dict[str, Any] = {**common, "person": _person(person), "structure": _party(structure)}
    if ref.kind in ATTENDED_ONLY:
        attended = registration.half_days_attended or 0
        half_days = item.half_days or 1
        context["attendance"] = {
            "half_days": f"{attended} demi-journée(s) sur {half_days}",
            "hours": f"{_number(training.duration_hours * attended / half_days)} heures",
            "rate": f"{_number(100 * (registration.attendance_rate or 0))} %",
        }
    return DocumentFile(ref, file_name(ref, training.title), TEMPLATES[ref.kind], context)
