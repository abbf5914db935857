"""V5: the year's registrations as CSV (UTF-8 with BOM, `;`) and XLSX, read back as a spreadsheet user would
(the csv module, openpyxl); no cell starts like a formula; managers for all or one structure, employers for
their own."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
from openpyxl import load_workbook
from world import World
from year_world import HOSTILE, YearWorld

from parcourspro_gql.domain.reporting import HEADERS
from parcourspro_gql.loaders import reporting as reporting_loaders

FORMULA = ("=", "+", "-", "@", "\t", "\r")


async def export(client, who, extension: str, **params) -> object:
    headers = {"Authorization": f"Bearer {who.token}"} if who else {}
    return await client.get(f"/exports/registrations.{extension}", params=params, headers=headers)


def read_csv(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")  # the BOM that makes Excel read UTF-8
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""), delimiter=";"))


def read_xlsx(content: bytes) -> list[tuple]:
    workbook = load_workbook(io.BytesIO(content))
    assert workbook.sheetnames == ["Inscriptions"]
    sheet = workbook["Inscriptions"]
    # A cell starting with "=" would be a formula ("f"): every text cell is a plain string.
    assert {cell.data_type for row in sheet.iter_rows() for cell in row if cell.value is not None} <= {
        "s",
        "n",
        "d",
    }
    return [tuple(cell.value for cell in row) for row in sheet.iter_rows()]


def column(rows: list, header: str) -> list:
    index = HEADERS.index(header)
    return [row[index] for row in rows[1:]]


async def test_a_manager_exports_the_year_as_csv_read_back_with_the_csv_module(client, world: World):
    year = await YearWorld(world).build()
    response = await export(client, year.manager, "csv", year=2026)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="inscriptions-2026.csv"'
    assert "no-store" in response.headers["cache-control"]
    rows = read_csv(response.content)
    assert rows[0] == list(HEADERS)
    # One row per registration of a session starting in 2026 (Paris): not the 1 January one, nor 2025's.
    assert len(rows) == 1 + 7
    # Ordered by session start: the summer session's three people, then December's four.
    assert column(rows, "Formation") == ["Conduite d'entretien"] * 3 + ["Accueillir les publics"] * 4
    assert column(rows, "Début de la session")[0] == "20/08/2026 09:00"  # 07:00 UTC is 09:00 in Paris
    # The hostile reason and the structure named like a formula are inert: a leading apostrophe.
    assert column(rows, "Motif de l'employeur").count("'" + HOSTILE) == 1
    assert set(column(rows, "Structure")) == {"Mission Locale des Graves", "'=Cap Emploi Gironde"}
    assert "'-5 jours de congés restants : empêchement" in column(rows, "Motif de l'annulation")
    assert not [cell for row in rows for cell in row if cell.startswith(FORMULA)]
    statuses = column(rows, "Statut")
    assert sorted(statuses) == sorted(
        [
            "Présent",
            "Absent",
            "Présent",
            "Acceptée",
            "Refusée par l'employeur",
            "Annulée",
            "En attente de l'employeur",
        ]
    )
    by_status = {
        row[HEADERS.index("Statut")]: row for row in rows[1:] if row[HEADERS.index("Statut")] != "Présent"
    }
    refused = by_status["Refusée par l'employeur"]
    assert refused[HEADERS.index("SIRET")] == year.member.siret
    assert refused[HEADERS.index("Décision de l'employeur par")].startswith("Prénom")
    assert refused[HEADERS.index("Décision de l'employeur le")] == "28/11/2026 10:00"
    cancelled = by_status["Annulée"]
    assert cancelled[HEADERS.index("Annulée le")] == "28/11/2026 10:00"
    assert cancelled[HEADERS.index("Structure")] == "'=Cap Emploi Gironde"
    attended = [row for row in rows[1:] if row[HEADERS.index("Statut")] in ("Présent", "Absent")]
    assert sorted(row[HEADERS.index("Taux de présence")] for row in attended) == ["0", "0,5", "1"]
    assert {row[HEADERS.index("Courriel")] for row in rows[1:]} == {
        person.email for person in year.people.values()
    }


async def test_the_same_export_as_xlsx_read_back_with_openpyxl(client, world: World):
    year = await YearWorld(world).build()
    response = await export(client, year.manager, "xlsx", year=2026)
    assert response.status_code == 200
    assert response.headers["content-type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response.headers["content-disposition"] == 'attachment; filename="inscriptions-2026.xlsx"'
    rows = read_xlsx(response.content)
    assert rows[0] == HEADERS
    assert len(rows) == 1 + 7
    assert column(rows, "Motif de l'employeur").count("'" + HOSTILE) == 1
    assert "'=Cap Emploi Gironde" in column(rows, "Structure")
    assert not [cell for row in rows for cell in row if isinstance(cell, str) and cell.startswith(FORMULA)]
    # Dates are dates (Paris time) and rates numbers, for the spreadsheet to sort and sum.
    assert column(rows, "Début de la session")[0] == datetime(2026, 8, 20, 9, 0)
    assert sorted(rate for rate in column(rows, "Taux de présence") if rate is not None) == [0, 0.5, 1]
    assert csv_rows_match(rows, read_csv((await export(client, year.manager, "csv", year=2026)).content))


def csv_rows_match(xlsx: list[tuple], from_csv: list[list[str]]) -> bool:
    """The two formats hold the same registrations in the same order (by e-mail and status)."""
    keys = (HEADERS.index("Courriel"), HEADERS.index("Statut"))
    return [tuple(row[i] for i in keys) for row in xlsx[1:]] == [
        tuple(row[i] for i in keys) for row in from_csv[1:]
    ]


@pytest.mark.parametrize("extension", ["csv", "xlsx"])
async def test_an_employer_exports_his_own_structure_and_is_refused_another(client, world: World, extension):
    year = await YearWorld(world).build()
    own = await export(client, year.employer, extension, year=2026)
    assert own.status_code == 200
    rows = read_csv(own.content) if extension == "csv" else read_xlsx(own.content)
    assert set(column(rows, "Structure")) == {"Mission Locale des Graves"}
    assert len(rows) == 1 + 4
    named = await export(client, year.employer, extension, year=2026, structureId=year.member.id)
    assert named.status_code == 200
    assert named.headers["content-disposition"].endswith(f'-structure-{year.member.pk}.{extension}"')
    refused = await export(client, year.employer, extension, year=2026, structureId=year.other.id)
    assert (refused.status_code, refused.text) == (
        403,
        "Statistiques et exports réservés aux gestionnaires et aux employeurs, pour leur propre structure.",
    )
    for who in (year.referent, year.trainer, year.people["a1"]):
        assert (await export(client, who, extension, year=2026)).status_code == 403
    anonymous = await export(client, None, extension, year=2026)
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    for params, status in (
        ({}, 400),
        ({"year": "deux mille"}, 400),
        ({"year": "1999"}, 400),
        ({"year": "2026", "structureId": "U3RydWN0dXJlOjk5OTk="}, 404),  # Structure:9999
        ({"year": "2026", "structureId": "n'importe quoi"}, 404),
    ):
        assert (await export(client, year.manager, extension, **params)).status_code == status, params


async def test_batches_of_any_size_give_the_same_file(client, world: World, monkeypatch):
    year = await YearWorld(world).build()
    whole = (await export(client, year.manager, "csv", year=2026)).content
    # Batches of two registrations: sessions are grouped until a batch is full, a session is never split.
    monkeypatch.setattr(reporting_loaders, "EXPORT_BATCH", 2)
    assert (await export(client, year.manager, "csv", year=2026)).content == whole
    monkeypatch.setattr(reporting_loaders, "EXPORT_BATCH", 1)
    assert (await export(client, year.manager, "csv", year=2026)).content == whole
    empty = read_csv((await export(client, year.manager, "csv", year=2024)).content)
    assert empty == [list(HEADERS)]
