"""Loads validated structures from an extract of INSEE's SIRENE establishments file (S1, S2 on every row)."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, cast

from sqlalchemy import insert, select, update

from parcourspro_gql.clock import clock
from parcourspro_gql.db import Database
from parcourspro_gql.domain import audit
from parcourspro_gql.domain.errors import DomainError
from parcourspro_gql.domain.structures import check_ape, check_siret, index_terms, search_text
from parcourspro_gql.models import Structure, StructureStatus

REQUIRED_COLUMNS = {
    "siret",
    "activitePrincipaleEtablissement",
    "numeroVoieEtablissement",
    "typeVoieEtablissement",
    "libelleVoieEtablissement",
    "codePostalEtablissement",
    "libelleCommuneEtablissement",
    "etatAdministratifEtablissement",
}
NAME_COLUMNS = ("denominationUniteLegale", "enseigne1Etablissement", "denominationUsuelleEtablissement")
# SIRENE's codes for the kind of street, as INSEE documents them (most frequent ones).
STREET_TYPES = {
    "ALL": "allée",
    "AV": "avenue",
    "BD": "boulevard",
    "CAR": "carrefour",
    "CHE": "chemin",
    "CHS": "chaussée",
    "CITE": "cité",
    "COR": "corniche",
    "CRS": "cours",
    "DOM": "domaine",
    "DSC": "descente",
    "ECA": "écart",
    "ESP": "esplanade",
    "FG": "faubourg",
    "GR": "grande rue",
    "HAM": "hameau",
    "HLE": "halle",
    "IMP": "impasse",
    "LD": "lieu-dit",
    "LOT": "lotissement",
    "MAR": "marché",
    "MTE": "montée",
    "PARC": "parc",
    "PAS": "passage",
    "PL": "place",
    "PLN": "plaine",
    "PLT": "plateau",
    "PRO": "promenade",
    "PRV": "parvis",
    "QUA": "quartier",
    "QUAI": "quai",
    "RES": "résidence",
    "RLE": "ruelle",
    "ROC": "rocade",
    "RPT": "rond-point",
    "RTE": "route",
    "RUE": "rue",
    "SEN": "sentier",
    "SQ": "square",
    "TPL": "terre-plein",
    "TRA": "traverse",
    "VLA": "villa",
    "VLGE": "village",
    "VOIE": "voie",
    "ZA": "zone artisanale",
    "ZAC": "ZAC",
    "ZI": "zone industrielle",
}
BATCH = 2_000


class ImportFormatError(ValueError):
    """The file is not a SIRENE establishments extract (columns missing)."""


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    inactive: int = 0
    invalid: list[tuple[int, str]] = field(default_factory=list)

    @property
    def read(self) -> int:
        return self.created + self.updated + self.inactive + len(self.invalid)


@dataclass(frozen=True)
class _Row:
    line: int
    values: dict[str, str]


def _street(values: dict[str, str]) -> str:
    kind = values.get("typeVoieEtablissement", "").strip().upper()
    parts = [
        values.get("numeroVoieEtablissement", ""),
        STREET_TYPES.get(kind, kind.lower()),
        values["libelleVoieEtablissement"],
    ]
    return " ".join(" ".join(parts).split()).strip()


def _parse(row: _Row) -> dict[str, object]:
    """The structure columns of one row, or DomainError/ValueError with a French reason."""
    values = row.values
    siret = check_siret(values["siret"])
    ape = check_ape(values["activitePrincipaleEtablissement"])
    name = next((" ".join(values[c].split()) for c in NAME_COLUMNS if values.get(c, "").strip()), "")
    if not name:
        raise ValueError("pas de dénomination ni d'enseigne")
    postal_code = values["codePostalEtablissement"].strip()
    if not (len(postal_code) == 5 and postal_code.isdigit()):
        raise ValueError(f"code postal invalide « {postal_code} »")
    city = " ".join(values["libelleCommuneEtablissement"].split())
    street = _street(values)
    if not city or not street:
        raise ValueError("adresse incomplète")
    return {
        "name": name[:200],
        "siret": siret,
        "ape_code": ape,
        "street": street[:200],
        "postal_code": postal_code,
        "city": city[:100],
        "search_text": search_text(name, siret, city)[:400],
    }


def read_rows(handle: IO[str]) -> Iterator[_Row]:
    """The data rows with their line numbers; the delimiter (comma or semicolon) is sniffed from the header."""
    header = handle.readline()
    delimiter = ";" if header.count(";") > header.count(",") else ","
    columns = next(csv.reader([header], delimiter=delimiter))
    missing = REQUIRED_COLUMNS - set(columns)
    if missing or not set(NAME_COLUMNS) & set(columns):
        raise ImportFormatError(
            f"colonnes manquantes : {', '.join(sorted(missing)) or ' / '.join(NAME_COLUMNS)}"
        )
    for number, values in enumerate(csv.DictReader(handle, fieldnames=columns, delimiter=delimiter), start=2):
        yield _Row(number, {key: value or "" for key, value in values.items() if key is not None})


def _batches(rows: Iterable[_Row]) -> Iterator[list[_Row]]:
    batch: list[_Row] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


async def import_structures(
    db: Database, rows: Iterable[_Row], progress: Callable[[int], None] = lambda _: None
) -> ImportReport:
    """Creates (as VALIDATED) or updates one structure per active establishment; one transaction per batch.

    Rows of closed establishments (etatAdministratifEtablissement != "A") are skipped; invalid rows are
    reported with their line. A structure keeps its status when it is updated (a rejected request stays so).
    """
    report = ImportReport()
    now = clock.now()
    for batch in _batches(rows):
        parsed: dict[str, dict[str, object]] = {}
        for row in batch:
            if row.values.get("etatAdministratifEtablissement", "").strip() != "A":
                report.inactive += 1
                continue
            try:
                values = _parse(row)
            except (DomainError, ValueError) as error:
                report.invalid.append(
                    (row.line, error.message if isinstance(error, DomainError) else str(error))
                )
                continue
            parsed[str(values["siret"])] = values
        async with db.transaction() as session:
            found = await session.execute(
                select(Structure.siret, Structure.id).where(
                    Structure.siret.in_(list(parsed)), Structure.status != StructureStatus.REJECTED
                )
            )
            existing = dict(found.all())
            updates = [
                {"id": existing[siret], **values} for siret, values in parsed.items() if siret in existing
            ]
            inserts = [
                {**values, "status": StructureStatus.VALIDATED, "requested_at": now, "decided_at": now}
                for siret, values in parsed.items()
                if siret not in existing
            ]
            if updates:
                await session.execute(update(Structure), updates)
            indexed = [(cast(int, row["id"]), str(row["search_text"]), str(row["name"])) for row in updates]
            if inserts:
                created = await session.execute(
                    insert(Structure).returning(Structure.id, Structure.search_text, Structure.name), inserts
                )
                indexed.extend((pk, text, name) for pk, text, name in created.all())
            await index_terms(session, indexed)
        report.updated += len(updates)
        report.created += len(inserts)
        progress(len(batch))
    await db.analyze("structures", "structure_search_terms")
    async with db.transaction() as session:
        await audit.record(
            session,
            None,
            entity_type="Import",
            entity_id=0,
            action="structures.import",
            data={
                "created": report.created,
                "updated": report.updated,
                "inactive": report.inactive,
                "invalid": len(report.invalid),
            },
        )
    return report
